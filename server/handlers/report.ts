import { MatchmakerError } from '../services/matchmaker';
import { searchAck, type EventHandler } from './types';

/**
 * Saves the report first (at most STORE_DEADLINE_MS; `unavailable` and no
 * change otherwise), then ends the call for both, blocks the pair and
 * requeues the reporter. Ban counting follows through the write queue.
 */
export const report: EventHandler<'report'> = {
  event: 'report',
  bucket: 'report',
  async handle({ socketId, live, safety }, { matchId, reason, details }) {
    const { reporterId, reportedId } = await live.reportTarget(socketId, matchId);
    const record = { reporterId, reportedId, matchId, reason, details, at: new Date() };
    if (!(await safety.saveReport(record))) {
      throw new MatchmakerError('unavailable', 'The report could not be saved just now; nothing changed. Try again.', safety.retryAfterMs);
    }
    // The call may have ended (or the reporter dropped) while the report was saved: end it if it is still on.
    await live.endByReport(matchId, reporterId);
    await safety.block(reporterId, reportedId);
    safety.countReports(record);
    const current = await live.state(socketId);
    if (!current) return searchAck(live, 'waiting');
    const state = current === 'idle' ? await live.join(socketId, undefined) : current;
    return searchAck(live, state);
  },
};
