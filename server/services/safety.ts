/**
 * Reports, blocks and bans. Blocks of connected people and known active bans
 * are held in memory, so pairing and resuming never wait on the store; the
 * store is asked at the handshake with a deadline, and reports are written
 * through before they are acknowledged. Install ids are random and the only
 * identifier kept.
 */
import type { Logger } from 'pino';
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
      if (ban && ban.until.getTime() > now) {
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
      if (ban) {
        this.#rememberBan(ban);
        this.deps.onBan(ban.installId);
      }
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

  /** Applies a lookup's answer: the blocks it found, and (when it came late) a ban, which closes the connection. */
  #learn(installId: string, ban: BanRecord | undefined, blocked: string[], late: boolean): void {
    const set = this.#blocks.get(installId);
    if (set) for (const other of blocked) set.add(other);
    if (late && ban && ban.until.getTime() > Date.now()) {
      this.#rememberBan(ban);
      this.deps.onBan(installId);
    }
  }

  #activeBan(installId: string, now: number): BanRecord | undefined {
    const ban = this.#bans.get(installId);
    if (ban && ban.until.getTime() <= now) this.#bans.delete(installId);
    return ban && ban.until.getTime() > now ? ban : undefined;
  }

  #rememberBan(ban: BanRecord): void {
    this.#bans.delete(ban.installId);
    this.#bans.set(ban.installId, ban);
    if (this.#bans.size > MAX_KNOWN_BANS) this.#bans.delete(this.#bans.keys().next().value!);
  }
}
