/**
 * Reports, blocks and bans. Blocks of connected people are cached in memory
 * so the pairing hot path never waits on the store; reports and bans are
 * written through to it. Install ids are random and the only identifier kept.
 */
import type { Logger } from 'pino';
import type { BanRecord, ReportRecord, Store } from '../store';

export interface SafetyPolicy {
  /** Distinct reporters within the window that ban an install. */
  banThreshold: number;
  reportWindowMs: number;
  /** First ban's length; each further offence doubles it, up to banMaxMs. */
  banBaseMs: number;
  banMaxMs: number;
}

export class Safety {
  /** installId → installs it must never meet; held while it has a connection. */
  readonly #blocks = new Map<string, Set<string>>();
  readonly #connections = new Map<string, number>();

  constructor(
    private readonly store: Store,
    private readonly policy: SafetyPolicy,
    private readonly log: Logger,
  ) {}

  /**
   * At the handshake: refuses a banned install (resolving with its ban), or
   * loads its blocks before it can join the queue. Every admitted connection
   * must be matched by a `disconnected` call. A store that is down lets people
   * in (and says so in the log).
   */
  async admit(installId: string, now = Date.now()): Promise<BanRecord | undefined> {
    try {
      const ban = await this.store.latestBan(installId);
      if (ban && ban.until.getTime() > now) return ban;
    } catch (error) {
      this.log.error({ err: error }, 'ban check failed: letting the connection in');
    }
    this.#connections.set(installId, (this.#connections.get(installId) ?? 0) + 1);
    if (this.#blocks.has(installId)) return undefined;
    const set = new Set<string>();
    this.#blocks.set(installId, set);
    try {
      for (const other of await this.store.blockedWith(installId)) set.add(other);
    } catch (error) {
      this.log.error({ err: error }, 'could not load blocks');
    }
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

  /** Blocks a pair for the pairing queue at once (in memory; `report` stores it). */
  block(a: string, b: string): void {
    this.#blocks.get(a)?.add(b);
    this.#blocks.get(b)?.add(a);
  }

  /**
   * Stores a report and the block it implies, and bans the reported install
   * when enough different people reported it. Resolves with the new ban, if any.
   */
  async report(report: ReportRecord): Promise<BanRecord | undefined> {
    const { reporterId, reportedId } = report;
    this.block(reporterId, reportedId);
    await Promise.all([this.store.addReport(report), this.store.addBlock(reporterId, reportedId)]);

    const now = report.at.getTime();
    const previous = await this.store.latestBan(reportedId);
    if (previous && previous.until.getTime() > now) return undefined;
    // Reports made before the last ban do not count again.
    const since = new Date(Math.max(now - this.policy.reportWindowMs, previous?.at.getTime() ?? 0));
    if ((await this.store.distinctReporters(reportedId, since)) < this.policy.banThreshold) return undefined;
    const offence = (previous?.offence ?? 0) + 1;
    const length = Math.min(this.policy.banBaseMs * 2 ** (offence - 1), this.policy.banMaxMs);
    const ban: BanRecord = { installId: reportedId, offence, at: new Date(now + 1), until: new Date(now + length) };
    await this.store.addBan(ban);
    this.log.info({ offence, until: ban.until }, 'install banned after reports');
    return ban;
  }
}
