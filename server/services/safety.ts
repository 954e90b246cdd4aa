/**
 * Reports, blocks and bans. Blocks of connected people are cached in memory
 * so the pairing hot path never waits on the store; reports and bans are
 * written through to it. Install ids are random and the only identifier kept.
 */
import type { Logger } from 'pino';
import type { BannedInfo } from '../../shared/protocol';
import { AUTO, FOREVER, inForce, type BanRecord, type NewReport, type ReporterStanding, type ReportReason, type ReportRecord, type Store } from '../store';

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
      if (ban && inForce(ban, now)) return ban;
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

  /** What a refused connection is told about its ban. */
  async bannedInfo(ban: BanRecord): Promise<BannedInfo> {
    const appealed = await this.store.appealOf(ban.id).then(Boolean, () => false);
    return { until: ban.until.toISOString(), reason: ban.reason, permanent: ban.until.getTime() >= FOREVER.getTime(), appealed };
  }

  /**
   * Stores a report and the block it implies, and bans the reported install
   * when enough different people reported it (weighted by reporterWeight,
   * dismissed reports left out). Resolves with the new ban, if any.
   */
  async report(report: NewReport): Promise<BanRecord | undefined> {
    const { reporterId, reportedId } = report;
    this.block(reporterId, reportedId);
    await Promise.all([this.store.addReport(report), this.store.addBlock(reporterId, reportedId)]);

    const now = report.at.getTime();
    const history = await this.store.bansOf(reportedId);
    const previous = history[0];
    if (inForce(previous, now)) return undefined;
    // Reports made before the last ban do not count again.
    const since = Math.max(now - this.policy.reportWindowMs, previous?.at.getTime() ?? 0);
    const counted = (await this.store.reportsAgainst(reportedId)).filter((r) => r.at.getTime() >= since && r.status !== 'dismissed');
    const reporters = [...new Set(counted.map((r) => r.reporterId))];
    const weights = await Promise.all(reporters.map(async (id) => reporterWeight(await this.store.reporterStanding(id))));
    if (weights.reduce((sum, w) => sum + w, 0) < this.policy.banThreshold) return undefined;
    // A lifted ban was a mistake: it does not make the next one longer.
    const offence = history.filter((ban) => !ban.liftedAt).length + 1;
    const length = Math.min(this.policy.banBaseMs * 2 ** (offence - 1), this.policy.banMaxMs);
    const ban = await this.store.addBan({
      installId: reportedId,
      offence,
      reason: banReason(counted),
      by: AUTO,
      at: new Date(now + 1),
      until: new Date(now + length),
    });
    this.log.info({ offence, until: ban.until }, 'install banned after reports');
    return ban;
  }
}
