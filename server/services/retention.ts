/**
 * Data retention: call records and dismissed reports older than the retention
 * age are deleted, on a timer. Open and upheld reports, bans, appeals and the
 * audit log stay: they are the evidence behind decisions.
 */
import type { Logger } from 'pino';
import type { Store } from '../store';

export interface RetentionPolicy {
  maxAgeMs: number;
  sweepEveryMs: number;
}

/** One pass: deletes what is older than the policy allows at `now`. */
export async function sweepExpired(store: Store, maxAgeMs: number, now = Date.now()): Promise<{ calls: number; reports: number }> {
  const before = new Date(now - maxAgeMs);
  const [calls, reports] = await Promise.all([store.deleteCallsBefore(before), store.deleteDismissedReportsBefore(before)]);
  return { calls, reports };
}

/** Sweeps every `sweepEveryMs` until the signal aborts; a store that is down is retried next time. */
export function scheduleRetention(store: Store, policy: RetentionPolicy, log: Logger, signal: AbortSignal): void {
  const timer = setInterval(() => {
    sweepExpired(store, policy.maxAgeMs).then(
      (deleted) => (deleted.calls || deleted.reports) && log.info(deleted, 'retention: deleted expired records'),
      (error: unknown) => log.error({ err: error }, 'retention sweep failed'),
    );
  }, policy.sweepEveryMs);
  timer.unref();
  signal.addEventListener('abort', () => clearInterval(timer), { once: true });
}
