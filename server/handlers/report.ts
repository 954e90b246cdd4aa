import type { EventHandler } from './types';

export const report: EventHandler<'report'> = {
  event: 'report',
  bucket: 'report',
  handle({ socketId, matchmaker, safety, log }, { matchId, reason, details }) {
    const session = matchmaker.session(socketId)!;
    const { state, reportedInstallId } = matchmaker.report(socketId, matchId);
    // The call is already over for both; storing the report and any ban happens after.
    safety
      .report({ reporterId: session.installId, reportedId: reportedInstallId, matchId, reason, details, at: new Date() })
      .then((ban) => ban && matchmaker.banned(reportedInstallId))
      .catch((error: unknown) => log.error({ err: error }, 'could not store a report'));
    const { online, waiting } = matchmaker.stats();
    return { state: state === 'matched' ? 'matched' : 'waiting', stats: { online, waiting } };
  },
};
