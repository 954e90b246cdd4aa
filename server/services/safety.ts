/**
 * Reports, blocks and bans. Blocks of connected people and known active bans
 * are held in memory, so pairing and resuming never wait on the store; the
 * store is asked at the handshake with a deadline, and reports are written
 * through before they are acknowledged. Install ids are random and the only
 * identifier kept.
 */
import type { Logger } from 'pino';
import type { BannedInfo } from '../../shared/protocol';
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
/** Known bans held in memory, most recent kept. */
const MAX_KNOWN_BANS = 100_000;

export interface SafetyDeps {
  store: Store;
  policy: SafetyPolicy;
  log: Logger;
  /** Follow-up writes that must happen eventually (ban counting). */
  writes: WriteQueue;
  /** A ban decided here, or found late by a lookup that missed the handshake's deadline. */
  onBan: (installId: string) => void;
}

export class Safety {
  /** installId → installs it must never meet; held while it has a connection. */
  readonly #blocks = new Map<string, Set<string>>();
  readonly #connections = new Map<string, number>();
  /** installId → its active ban, as far as this process knows. */
  readonly #bans = new Map<string, BanRecord>();
  /** What `unavailable` tells clients to wait before retrying. */
  readonly retryAfterMs = 5000;

  constructor(private readonly deps: SafetyDeps) {}

  /** The ban check of every resume: memory only, never the database. */
  isBanned(installId: string, now = Date.now()): boolean {
    return this.#activeBan(installId, now) !== undefined;
  }

  /**
   * At the handshake: refuses a banned install (resolving with its ban), or
   * admits it with its blocks loaded. The store gets LOOKUP_DEADLINE_MS: past
   * that the connection is admitted on what memory knows, and the lookup's
   * late answer still applies (a ban found then closes the connection).
   * Every admitted connection must be matched by a `disconnected` call.
   */
  async admit(installId: string, now = Date.now()): Promise<BanRecord | undefined> {
    const known = this.#activeBan(installId, now);
    if (known) return known;
    const { store, log } = this.deps;
    const lookup = Promise.all([store.latestBan(installId), store.blockedWith(installId)]);
    let answer: Awaited<typeof lookup> | typeof TIMED_OUT | undefined;
    try {
      answer = await withDeadline(lookup, LOOKUP_DEADLINE_MS);
    } catch (error) {
      log.error({ err: error }, 'ban and block lookup failed: admitting on what memory knows');
    }
    if (answer === TIMED_OUT) {
      log.warn('ban and block lookup is slow: admitting on what memory knows, applying its answer when it comes');
      lookup.then(([ban, blocked]) => this.#learn(installId, ban, blocked, true)).catch(() => {});
    } else if (answer) {
      const [ban, blocked] = answer;
      if (ban && inForce(ban, now)) {
        this.#rememberBan(ban);
        return ban;
      }
    }
    this.#connections.set(installId, (this.#connections.get(installId) ?? 0) + 1);
    if (!this.#blocks.has(installId)) this.#blocks.set(installId, new Set());
    if (answer && answer !== TIMED_OUT) this.#learn(installId, undefined, answer[1], false);
    return undefined;
  }

  disconnected(installId: string): void {
    const left = (this.#connections.get(installId) ?? 1) - 1;
    if (left > 0) return void this.#connections.set(installId, left);
    this.#connections.delete(installId);
    this.#blocks.delete(installId);
  }

  isBlocked(a: string, b: string): boolean {
    return this.#blocks.get(a)?.has(b) === true || this.#blocks.get(b)?.has(a) === true;
  }

  /** Blocks a pair for the pairing queue at once (in memory; saveReport stores it). */
  block(a: string, b: string): void {
    this.#blocks.get(a)?.add(b);
    this.#blocks.get(b)?.add(a);
  }

  /** What a refused connection is told about its ban. */
  async bannedInfo(ban: BanRecord): Promise<BannedInfo> {
    // The handshake never waits long on the database: unknown counts as not appealed (the appeal form says so if not).
    const appeal = await withDeadline(this.deps.store.appealOf(ban.id), LOOKUP_DEADLINE_MS).catch(() => undefined);
    const appealed = appeal !== undefined && appeal !== TIMED_OUT;
    return { until: ban.until.toISOString(), reason: ban.reason, permanent: ban.until.getTime() >= FOREVER.getTime(), appealed };
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
      if (ban) this.banned(ban);
    });
  }

  /** Bans the reported install if enough different people reported it; resolves with the new ban. Idempotent. */
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

  /** A moderator's ban: refused from now on (memory first, so no lookup is needed) and dropped wherever connected. */
  banned(ban: BanRecord): void {
    this.#rememberBan(ban);
    this.deps.onBan(ban.installId);
  }

  /** A moderator lifted this install's ban: let it in at once (forget what memory knew). */
  lifted(installId: string): void {
    this.#bans.delete(installId);
  }

  /** Applies a lookup's answer: the blocks it found, and (when it came late) a ban, which closes the connection. */
  #learn(installId: string, ban: BanRecord | undefined, blocked: string[], late: boolean): void {
    const set = this.#blocks.get(installId);
    if (set) for (const other of blocked) set.add(other);
    if (late && ban && inForce(ban, Date.now())) {
      this.#rememberBan(ban);
      this.deps.onBan(installId);
    }
  }

  #activeBan(installId: string, now: number): BanRecord | undefined {
    const ban = this.#bans.get(installId);
    if (ban && !inForce(ban, now)) this.#bans.delete(installId);
    return inForce(ban, now) ? ban : undefined;
  }

  #rememberBan(ban: BanRecord): void {
    this.#bans.delete(ban.installId);
    this.#bans.set(ban.installId, ban);
    if (this.#bans.size > MAX_KNOWN_BANS) this.#bans.delete(this.#bans.keys().next().value!);
  }
}
