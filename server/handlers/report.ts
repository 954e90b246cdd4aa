import { searchAck, type EventHandler } from './types';

/** Ends the call for both, blocks the pair, requeues the reporter; storing and banning follow. */
export const report: EventHandler<'report'> = {
  event: 'report',
  bucket: 'report',
  handle({ socketId, matchmaker, safety, log }, { matchId, reason, details }) {
    const reporterId = matchmaker.session(socketId)!.installId;
    const reportedId = matchmaker.endByReport(socketId, matchId);
    safety.block(reporterId, reportedId);
    safety
      .report({ reporterId, reportedId, matchId, reason, details, at: new Date() })
      .then((ban) => ban && matchmaker.banned(reportedId))
      .catch((error: unknown) => log.error({ err: error }, 'could not store a report'));
    const state = matchmaker.join(socketId, undefined);
    return searchAck(matchmaker, state);
  },
};
