/**
 * Reports, blocks and bans. Blocks of connected people and known active bans
 * are held in the live state (memory, or Redis shared by every process), so
 * pairing and resuming never wait on the store; the store is asked at the
 * handshake with a deadline, and reports are written through before they are
 * acknowledged. Install ids are random and the only identifier kept.
 */
import type { Logger } from 'pino';
import type { BannedInfo } from '../../shared/protocol';
import type { LiveState } from '../live/types';
import { AUTO, FOREVER, inForce, type BanRecord, type NewReport, type ReporterStanding, type ReportReason, type ReportRecord, type Store } from '../store';
import { TIMED_OUT, withDeadline } from './deadline';
import type { WriteQueue } from './write-queue';

/** Most severe first: the review queue and a ban's category follow this order. */
export const SEVERITY: readonly ReportReason[] = ['underage', 'nudity', 'harassment', 'spam', 'other'];

/**
 * How much one reporter counts toward an automatic ban. Someone with at least
 * 3 decided reports, more than half of them dismissed by a moderator, counts
 * half; everyone else counts one. (Dismissed reports themselves never count.)
 */
export function reporterWeight(standing: ReporterStanding): number {
  const decided = standing.upheld + standing.dismissed;
  return decided >= 3 && standing.dismissed * 2 > decided ? 0.5 : 1;
}

/** The category a ban is told under: the most frequent reason, the more severe on a tie. */
export function banReason(reports: Pick<ReportRecord, 'reason'>[]): ReportReason {
  const counts = new Map<ReportReason, number>();
  for (const { reason } of reports) counts.set(reason, (counts.get(reason) ?? 0) + 1);
  return [...SEVERITY].sort((a, b) => (counts.get(b) ?? 0) - (counts.get(a) ?? 0))[0]!;
}


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
    if (until) return this.#knownBan(installId, until, now);
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
      if (ban && inForce(ban, now)) {
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
  async saveReport(report: NewReport): Promise<boolean> {
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
  countReports(report: NewReport): void {
    this.deps.writes.push(`ban check ${report.matchId}`, async () => {
      const ban = await this.decideBan(report);
      if (ban) await this.banned(ban);
    });
  }

  /**
   * A ban (automatic or a moderator's) takes effect on every process at once:
   * the live state remembers it, ends the install's calls (the stranger is
   * told `ended`, also while the install is away) and closes its connections.
   */
  banned(ban: BanRecord): Promise<void> {
    return this.deps.live.ban(ban.installId, ban.until);
  }

  /** A moderator lifted this install's ban: every process lets it in from now on. */
  lifted(installId: string): Promise<void> {
    return this.deps.live.lift(installId);
  }

  /** What a refused connection is told about its ban. */
  async bannedInfo(ban: BanRecord): Promise<BannedInfo> {
    // The handshake never waits long on the database: unknown counts as not appealed (the appeal form says so if not).
    const appeal = ban.id ? await withDeadline(this.deps.store.appealOf(ban.id), LOOKUP_DEADLINE_MS).catch(() => undefined) : undefined;
    const appealed = appeal !== undefined && appeal !== TIMED_OUT;
    return { until: ban.until.toISOString(), reason: ban.reason, permanent: ban.until.getTime() >= FOREVER.getTime(), appealed };
  }

  /**
   * Bans the reported install when enough different people reported it
   * (weighted by reporterWeight, dismissed reports left out); resolves with
   * the new ban. Idempotent.
   */
  async decideBan(report: NewReport): Promise<BanRecord | undefined> {
    const { store, policy, log } = this.deps;
    const now = report.at.getTime();
    const history = await store.bansOf(report.reportedId);
    const previous = history[0];
    if (inForce(previous, now)) return undefined;
    // Reports made before the last ban do not count again; nor do those a moderator dismissed.
    const since = Math.max(now - policy.reportWindowMs, previous?.at.getTime() ?? 0);
    const counted = (await store.reportsAgainst(report.reportedId)).filter((r) => r.at.getTime() >= since && r.status !== 'dismissed');
    const reporters = [...new Set(counted.map((r) => r.reporterId))];
    const weights = await Promise.all(reporters.map(async (id) => reporterWeight(await store.reporterStanding(id))));
    if (weights.reduce((sum, w) => sum + w, 0) < policy.banThreshold) return undefined;
    // A lifted ban was a mistake: it does not make the next one longer.
    const offence = history.filter((ban) => !ban.liftedAt).length + 1;
    const length = Math.min(policy.banBaseMs * 2 ** (offence - 1), policy.banMaxMs);
    const ban = await store.addBan({
      installId: report.reportedId,
      offence,
      reason: banReason(counted),
      by: AUTO,
      at: new Date(now + 1),
      until: new Date(now + length),
    });
    log.info({ offence, until: ban.until }, 'install banned after reports');
    return ban;
  }

  /**
   * A ban the live state knows (from any process): its record from the store
   * for what the person is told, within the lookup deadline. A record the
   * store says is lifted means the live state missed the lift: forget it and
   * admit. A store that does not answer: refuse with what the live state knows.
   */
  async #knownBan(installId: string, until: Date, now: number): Promise<BanRecord | undefined> {
    const { store, live } = this.deps;
    const record: BanRecord | undefined | typeof TIMED_OUT = await withDeadline(store.latestBan(installId), LOOKUP_DEADLINE_MS).catch(() => TIMED_OUT);
    if (record !== TIMED_OUT) {
      if (record && inForce(record, now)) return record;
      if (record?.liftedAt) {
        await live.lift(installId).catch(() => {});
        return undefined;
      }
    }
    return { id: '', installId, offence: 0, reason: 'other', by: AUTO, at: new Date(now), until };
  }

  /** Applies a lookup's late answer: the blocks it found, and a ban, which closes the connection. */
  async #learn(installId: string, ban: BanRecord | undefined, blocked: string[]): Promise<void> {
    const { live } = this.deps;
    if (blocked.length > 0) await live.learnBlocks(installId, blocked);
    if (ban && inForce(ban, Date.now())) await live.ban(installId, ban.until);
  }
}
