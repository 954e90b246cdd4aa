import { randomUUID } from 'node:crypto';
import {
  appealFields,
  auditFields,
  banFields,
  callFields,
  pairKey,
  reportFields,
  type AppealRecord,
  type AuditEntry,
  type BanRecord,
  type CallRecord,
  type NewAppeal,
  type NewAuditEntry,
  type NewBan,
  type NewReport,
  type ReportRecord,
  type ReporterStanding,
  type Store,
} from './types';

const newestFirst = <T extends { at: Date }>(a: T, b: T) => b.at.getTime() - a.at.getTime();

/**
 * The embedded default: in-process, gone on restart. Bounded so a long-running
 * server cannot grow without limit (oldest records drop first).
 */
export class MemoryStore implements Store {
  readonly kind = 'memory' as const;
  readonly #calls = new Map<string, CallRecord>();
  readonly #reports = new Map<string, ReportRecord>();
  readonly #blocks = new Map<string, [string, string]>();
  readonly #bans = new Map<string, BanRecord>();
  readonly #appeals = new Map<string, AppealRecord>();
  readonly #audit: AuditEntry[] = [];

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

  async deleteCallsBefore(before: Date): Promise<number> {
    let deleted = 0;
    for (const [matchId, call] of this.#calls) {
      if (call.endedAt < before && this.#calls.delete(matchId)) deleted++;
    }
    return deleted;
  }

  async addReport(report: NewReport): Promise<ReportRecord> {
    const stored = [...this.#reports.values()].find((r) => r.reporterId === report.reporterId && r.matchId === report.matchId);
    if (stored) return reportFields(stored);
    const record = reportFields({ ...report, id: randomUUID(), status: 'open' });
    this.#reports.set(record.id, record);
    return reportFields(record);
  }

  async findReport(id: string): Promise<ReportRecord | undefined> {
    const report = this.#reports.get(id);
    return report && reportFields(report);
  }

  async decideReport(id: string, status: 'upheld' | 'dismissed', by: string, at: Date): Promise<ReportRecord | undefined> {
    const report = this.#reports.get(id);
    if (!report) return undefined;
    const decided = reportFields({ ...report, status, decidedBy: by, decidedAt: at });
    this.#reports.set(id, decided);
    return reportFields(decided);
  }

  async reportsAgainst(reportedId: string): Promise<ReportRecord[]> {
    return [...this.#reports.values()].filter((r) => r.reportedId === reportedId).sort(newestFirst).map(reportFields);
  }

  async openReports(limit: number): Promise<ReportRecord[]> {
    return [...this.#reports.values()].filter((r) => r.status === 'open').sort(newestFirst).slice(0, limit).map(reportFields);
  }

  async reporterStanding(reporterId: string): Promise<ReporterStanding> {
    const standing: ReporterStanding = { upheld: 0, dismissed: 0, open: 0 };
    for (const report of this.#reports.values()) if (report.reporterId === reporterId) standing[report.status]++;
    return standing;
  }

  async deleteDismissedReportsBefore(before: Date): Promise<number> {
    let deleted = 0;
    for (const [id, report] of this.#reports) {
      if (report.status === 'dismissed' && report.at < before && this.#reports.delete(id)) deleted++;
    }
    return deleted;
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

  async addBan(ban: NewBan): Promise<BanRecord> {
    const record = banFields({ ...ban, id: randomUUID() });
    this.#bans.set(record.id, record);
    return banFields(record);
  }

  async latestBan(installId: string): Promise<BanRecord | undefined> {
    return (await this.bansOf(installId))[0];
  }

  async bansOf(installId: string): Promise<BanRecord[]> {
    return [...this.#bans.values()].filter((b) => b.installId === installId).sort((x, y) => newestFirst(x, y) || y.offence - x.offence).map(banFields);
  }

  async liftBan(id: string, by: string, at: Date): Promise<BanRecord | undefined> {
    const ban = this.#bans.get(id);
    if (!ban || ban.liftedAt) return undefined;
    const lifted = banFields({ ...ban, liftedAt: at, liftedBy: by });
    this.#bans.set(id, lifted);
    return banFields(lifted);
  }

  async addAppeal(appeal: NewAppeal): Promise<AppealRecord | undefined> {
    if (this.#appeals.has(appeal.banId)) return undefined;
    const record = appealFields({ ...appeal, id: randomUUID() });
    this.#appeals.set(record.banId, record);
    return appealFields(record);
  }

  async appealOf(banId: string): Promise<AppealRecord | undefined> {
    const appeal = this.#appeals.get(banId);
    return appeal && appealFields(appeal);
  }

  async recentAppeals(limit: number): Promise<AppealRecord[]> {
    return [...this.#appeals.values()].sort(newestFirst).slice(0, limit).map(appealFields);
  }

  async appendAudit(entry: NewAuditEntry): Promise<AuditEntry> {
    const record = auditFields({ ...entry, id: randomUUID() });
    this.#audit.push(record);
    return auditFields(record);
  }

  async auditLog(limit: number): Promise<AuditEntry[]> {
    // Insertion order is time order: the log is only ever appended to.
    return this.#audit.slice(-limit).reverse().map(auditFields);
  }

  async close(): Promise<void> {}
}
