/**
 * What the server persists. Only facts about calls, never what anyone said or
 * showed, never an address. Two implementations (memory, mongoose) pass the
 * same contract tests in tests/store/.
 */
import type { EndReason, REPORT_REASONS } from '../../shared/protocol';

export interface CallRecord {
  matchId: string;
  startedAt: Date;
  endedAt: Date;
  endReason: EndReason;
  durationMs: number;
}

export type ReportReason = (typeof REPORT_REASONS)[number];

/** A moderator's decision on a report; `open` until one is made. */
export type ReportStatus = 'open' | 'upheld' | 'dismissed';

/** One person's report of another, by random install ids only. */
export interface ReportRecord {
  id: string;
  reporterId: string;
  reportedId: string;
  matchId: string;
  reason: ReportReason;
  /** The reporter's own short words about what happened (never call content). */
  details?: string;
  at: Date;
  status: ReportStatus;
  /** The moderator who decided, and when (absent while open). */
  decidedBy?: string;
  decidedAt?: Date;
}

/** What a caller gives to file a report; the store assigns the id and opens it. */
export type NewReport = Omit<ReportRecord, 'id' | 'status' | 'decidedBy' | 'decidedAt'>;

/** How a reporter's decided reports went (their standing). */
export interface ReporterStanding {
  upheld: number;
  dismissed: number;
  open: number;
}

/** Who banned: the automatic rule, or a moderator's name. */
export const AUTO = 'auto';

/** "For good": far enough to never end, still a valid ISO date for the wire. */
export const FOREVER = new Date('9999-12-31T23:59:59.999Z');

export interface BanRecord {
  id: string;
  installId: string;
  /** 1 for a first ban, 2 for the next…: automatic periods grow with it. */
  offence: number;
  /** The category (a report reason) the person is told. */
  reason: ReportReason;
  /** AUTO, or the moderator's name. */
  by: string;
  at: Date;
  /** FOREVER for a ban for good. */
  until: Date;
  /** A lifted ban stays in the history, marked: it no longer applies. */
  liftedAt?: Date;
  liftedBy?: string;
}

export type NewBan = Omit<BanRecord, 'id' | 'liftedAt' | 'liftedBy'>;

/** A banned person's appeal of one ban (at most one per ban). */
export interface AppealRecord {
  id: string;
  banId: string;
  installId: string;
  text: string;
  at: Date;
}

export type NewAppeal = Omit<AppealRecord, 'id'>;

export type AuditAction = 'dismiss' | 'uphold' | 'ban' | 'lift';

/** One moderator action: who, what, on whom, when, and the state before and after (in words). */
export interface AuditEntry {
  id: string;
  at: Date;
  moderator: string;
  action: AuditAction;
  installId: string;
  /** The report acted on, for dismiss and uphold. */
  reportId?: string;
  before: string;
  after: string;
}

export type NewAuditEntry = Omit<AuditEntry, 'id'>;

export type StoreKind = 'memory' | 'mongodb';

export interface Store {
  readonly kind: StoreKind;
  /** Saves a finished call; saving the same matchId twice keeps the first. */
  recordCall(call: CallRecord): Promise<void>;
  findCall(matchId: string): Promise<CallRecord | undefined>;
  /** Most recent first. */
  recentCalls(limit: number): Promise<CallRecord[]>;
  countCalls(): Promise<number>;
  /** Retention: deletes call records that ended before `before`; resolves with how many. */
  deleteCallsBefore(before: Date): Promise<number>;

  /** Stores a report once per reporter and match: a resent one resolves with the one stored first. */
  addReport(report: NewReport): Promise<ReportRecord>;
  findReport(id: string): Promise<ReportRecord | undefined>;
  /** Records a moderator's decision (a later one replaces it); undefined if there is no such report. */
  decideReport(id: string, status: 'upheld' | 'dismissed', by: string, at: Date): Promise<ReportRecord | undefined>;
  /** Every report against this install, newest first. */
  reportsAgainst(reportedId: string): Promise<ReportRecord[]>;
  /** Reports no moderator has decided yet, newest first. */
  openReports(limit: number): Promise<ReportRecord[]>;
  reporterStanding(reporterId: string): Promise<ReporterStanding>;
  /** Retention: deletes dismissed reports filed before `before`; resolves with how many. */
  deleteDismissedReportsBefore(before: Date): Promise<number>;

  /** Blocks are symmetric: the two are never paired again, whoever asked. Idempotent. */
  addBlock(a: string, b: string): Promise<void>;
  /** Everyone this install is blocked with, in either direction. */
  blockedWith(installId: string): Promise<string[]>;

  addBan(ban: NewBan): Promise<BanRecord>;
  /** This install's most recent ban, in force, lifted or over. */
  latestBan(installId: string): Promise<BanRecord | undefined>;
  /** Every ban of this install, the most recent first (by `at`, then offence). */
  bansOf(installId: string): Promise<BanRecord[]>;
  /** Marks a ban lifted (kept in the history); undefined if there is no such ban or it was lifted already. */
  liftBan(id: string, by: string, at: Date): Promise<BanRecord | undefined>;

  /** Files an appeal; undefined if this ban has one already. */
  addAppeal(appeal: NewAppeal): Promise<AppealRecord | undefined>;
  appealOf(banId: string): Promise<AppealRecord | undefined>;
  /** Most recent first. */
  recentAppeals(limit: number): Promise<AppealRecord[]>;

  /** The audit log is append-only: there is no way to change or delete an entry. */
  appendAudit(entry: NewAuditEntry): Promise<AuditEntry>;
  /** Most recent first. */
  auditLog(limit: number): Promise<AuditEntry[]>;

  close(): Promise<void>;
}

/** Thrown when the backing database cannot answer; callers log it and carry on. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super(`store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** Exactly the fields of a CallRecord, whatever else the object carries. */
export function callFields(call: CallRecord): CallRecord {
  return {
    matchId: call.matchId,
    startedAt: new Date(call.startedAt),
    endedAt: new Date(call.endedAt),
    endReason: call.endReason,
    durationMs: call.durationMs,
  };
}

/** Copies only the listed optional fields that are set (a document may carry null or extra keys). */
function optional<T extends object, K extends keyof T>(source: T, keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const key of keys) if (source[key] !== undefined && source[key] !== null) out[key] = source[key];
  return out;
}

export function reportFields(report: ReportRecord): ReportRecord {
  const { id, reporterId, reportedId, matchId, reason, at, status } = report;
  const extra = optional(report, ['details', 'decidedBy', 'decidedAt']);
  return { id, reporterId, reportedId, matchId, reason, at: new Date(at), status, ...extra, ...(extra.decidedAt && { decidedAt: new Date(extra.decidedAt) }) };
}

export function banFields(ban: BanRecord): BanRecord {
  const { id, installId, offence, reason, by } = ban;
  const extra = optional(ban, ['liftedAt', 'liftedBy']);
  return { id, installId, offence, reason, by, at: new Date(ban.at), until: new Date(ban.until), ...extra, ...(extra.liftedAt && { liftedAt: new Date(extra.liftedAt) }) };
}

export function appealFields(appeal: AppealRecord): AppealRecord {
  return { id: appeal.id, banId: appeal.banId, installId: appeal.installId, text: appeal.text, at: new Date(appeal.at) };
}

export function auditFields(entry: AuditEntry): AuditEntry {
  const { id, moderator, action, installId, before, after } = entry;
  return { id, at: new Date(entry.at), moderator, action, installId, ...optional(entry, ['reportId']), before, after };
}

/** A ban applies while it is neither lifted nor over. */
export function inForce(ban: BanRecord | undefined, now: number): boolean {
  return ban !== undefined && ban.liftedAt === undefined && ban.until.getTime() > now;
}

/** One key per unordered pair, so a block is found from either side. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
