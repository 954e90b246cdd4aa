/**
 * Reports, blocks and bans. Blocks of connected people and known active bans
 * are held in the live state (memory, or Redis shared by every process), so
 * pairing and resuming never wait on the store; the store is asked at the
 * handshake with a deadline, and reports are written through before they are
 * acknowledged. Install ids are random and the only identifier kept.
 */
import type { Logger } from 'pino';
import type { LiveState } from '../live/types';
import type { BanRecord, ReportRecord, Store } from '../store';
import { TIMED_OUT, withDeadline } from './deadline';
import type { WriteQueue } from './write-queue';

export interface SafetyPolicy {
  /** Distinct reporters within the window that ban an install. */
  banThreshold: number;
  reportWindowMs: number;
  /** First ban's length; each further offence doubles it, up to banMaxMs. */
  banBaseMs: number;
  banMaxMs: number;
}

/** The handshake's ban and block lookups together wait this long at most. */
export const LOOKUP_DEADLINE_MS = 500;
/** A report's write waits this long at most before the answer is `unavailable`. */
export const REPORT_DEADLINE_MS = 900;

export interface SafetyDeps {
  store: Store;
  policy: SafetyPolicy;
  log: Logger;
  /** Follow-up writes that must happen eventually (ban counting). */
  writes: WriteQueue;
  /** Where blocks and bans take effect; a ban there ends the install's calls on every process. */
  live: LiveState;
}

export class Safety {
  /** What `unavailable` tells clients to wait before retrying. */
  readonly retryAfterMs = 5000;

  constructor(private readonly deps: SafetyDeps) {}

  /**
   * At the handshake: refuses a banned install (resolving with its ban), or
   * admits it with its blocks loaded. The store gets LOOKUP_DEADLINE_MS: past
   * that the connection is admitted on what memory knows, and the lookup's
   * late answer still applies (a ban found then closes the connection).
   * Every admitted connection must be matched by a `disconnected` call.
   */
  async admit(installId: string, now = Date.now()): Promise<BanRecord | undefined> {
    const { store, log, live } = this.deps;
    // A known ban answers at once, store or no store (a live state that does not answer knows nothing).
    const until = await live.bannedUntil(installId).catch(() => undefined);
    if (until) return { installId, offence: 0, at: new Date(now), until };
    const lookup = Promise.all([store.latestBan(installId), store.blockedWith(installId)]);
    let answer: Awaited<typeof lookup> | typeof TIMED_OUT | undefined;
    try {
      answer = await withDeadline(lookup, LOOKUP_DEADLINE_MS);
    } catch (error) {
      log.error({ err: error }, 'ban and block lookup failed: admitting on what memory knows');
    }
    if (answer === TIMED_OUT) {
      log.warn('ban and block lookup is slow: admitting on what memory knows, applying its answer when it comes');
      lookup.then(([ban, blocked]) => this.#learn(installId, ban, blocked)).catch(() => {});
    } else if (answer) {
      const [ban, blocked] = answer;
      if (ban && ban.until.getTime() > now) {
        await live.ban(installId, ban.until).catch(() => {});
        return ban;
      }
      if (blocked.length > 0) await live.learnBlocks(installId, blocked).catch(() => {});
    }
    return undefined;
  }

  /** Blocks a pair for the pairing queue at once (saveReport stores it). */
  block(a: string, b: string): Promise<void> {
    return this.deps.live.block(a, b);
  }

  /**
   * Writes a report and the block it implies, waiting at most
   * REPORT_DEADLINE_MS. True once both are stored; false when the store did
   * not answer in time (a late write is harmless: reports are stored once
   * per reporter and match, blocks once per pair).
   */
  async saveReport(report: ReportRecord): Promise<boolean> {
    const { store, log } = this.deps;
    const write = Promise.all([store.addReport(report), store.addBlock(report.reporterId, report.reportedId)]);
    try {
      return (await withDeadline(write, REPORT_DEADLINE_MS)) !== TIMED_OUT;
    } catch (error) {
      log.error({ err: error }, 'could not store a report');
      return false;
    }
  }

  /** Counts the reports against the reported install and bans it at the threshold; retried until the store answers. */
  countReports(report: ReportRecord): void {
    this.deps.writes.push(`ban check ${report.matchId}`, async () => {
      const ban = await this.decideBan(report);
      if (ban) await this.deps.live.ban(ban.installId, ban.until);
    });
  }

  /** Bans the reported install if enough different people reported it; resolves with the new ban. Idempotent. */
  async decideBan(report: ReportRecord): Promise<BanRecord | undefined> {
    const { store, policy, log } = this.deps;
    const now = report.at.getTime();
    const previous = await store.latestBan(report.reportedId);
    if (previous && previous.until.getTime() > now) return undefined;
    // Reports made before the last ban do not count again.
    const since = new Date(Math.max(now - policy.reportWindowMs, previous?.at.getTime() ?? 0));
    if ((await store.distinctReporters(report.reportedId, since)) < policy.banThreshold) return undefined;
    const offence = (previous?.offence ?? 0) + 1;
    const length = Math.min(policy.banBaseMs * 2 ** (offence - 1), policy.banMaxMs);
    const ban: BanRecord = { installId: report.reportedId, offence, at: new Date(now + 1), until: new Date(now + length) };
    await store.addBan(ban);
    log.info({ offence, until: ban.until }, 'install banned after reports');
    return ban;
  }

  /** Applies a lookup's late answer: the blocks it found, and a ban, which closes the connection. */
  async #learn(installId: string, ban: BanRecord | undefined, blocked: string[]): Promise<void> {
    const { live } = this.deps;
    if (blocked.length > 0) await live.learnBlocks(installId, blocked);
    if (ban && ban.until.getTime() > Date.now()) await live.ban(installId, ban.until);
  }
}
