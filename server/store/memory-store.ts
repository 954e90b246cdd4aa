import { banFields, callFields, pairKey, reportFields, type BanRecord, type CallRecord, type ReportRecord, type Store } from './types';

/**
 * The embedded default: in-process, gone on restart. Bounded so a long-running
 * server cannot grow without limit (oldest records drop first).
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #calls = new Map<string, CallRecord>();
  readonly #reports: ReportRecord[] = [];
  readonly #blocks = new Map<string, [string, string]>();
  readonly #bans: BanRecord[] = [];

  constructor(private readonly maxCalls = 100_000) {}

  async recordCall(call: CallRecord): Promise<void> {
    if (this.#calls.has(call.matchId)) return;
    this.#calls.set(call.matchId, callFields(call));
    if (this.#calls.size > this.maxCalls) this.#calls.delete(this.#calls.keys().next().value!);
  }

  async findCall(matchId: string): Promise<CallRecord | undefined> {
    const call = this.#calls.get(matchId);
    return call && callFields(call);
  }

  async recentCalls(limit: number): Promise<CallRecord[]> {
    return [...this.#calls.values()]
      .sort((a, b) => b.endedAt.getTime() - a.endedAt.getTime())
      .slice(0, limit)
      .map(callFields);
  }

  async countCalls(): Promise<number> {
    return this.#calls.size;
  }

  async addReport(report: ReportRecord): Promise<void> {
    if (this.#reports.some((r) => r.reporterId === report.reporterId && r.matchId === report.matchId)) return;
    this.#reports.push(reportFields(report));
  }

  async reportsAbout(reportedId: string): Promise<ReportRecord[]> {
    return this.#reports.filter((r) => r.reportedId === reportedId).sort((a, b) => a.at.getTime() - b.at.getTime()).map(reportFields);
  }

  async distinctReporters(reportedId: string, since: Date): Promise<number> {
    const reporters = this.#reports.filter((r) => r.reportedId === reportedId && r.at >= since).map((r) => r.reporterId);
    return new Set(reporters).size;
  }

  async addBlock(a: string, b: string): Promise<void> {
    this.#blocks.set(pairKey(a, b), [a, b]);
  }

  async blockedWith(installId: string): Promise<string[]> {
    const out = new Set<string>();
    for (const [a, b] of this.#blocks.values()) {
      if (a === installId) out.add(b);
      if (b === installId) out.add(a);
    }
    return [...out];
  }

  async addBan(ban: BanRecord): Promise<void> {
    this.#bans.push(banFields(ban));
  }

  async latestBan(installId: string): Promise<BanRecord | undefined> {
    const bans = this.#bans.filter((b) => b.installId === installId).sort((x, y) => y.offence - x.offence);
    return bans[0] && banFields(bans[0]);
  }

  async close(): Promise<void> {}
}
