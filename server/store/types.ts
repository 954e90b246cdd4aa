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

/** One person's report of another, by random install ids only. */
export interface ReportRecord {
  reporterId: string;
  reportedId: string;
  matchId: string;
  reason: ReportReason;
  /** The reporter's own short words about what happened (never call content). */
  details?: string;
  at: Date;
}

export interface BanRecord {
  installId: string;
  /** 1 for a first ban, 2 for the next…: the period grows with it. */
  offence: number;
  at: Date;
  until: Date;
}

export type StoreKind = 'memory' | 'mongodb';

export interface Store {
  readonly kind: StoreKind;
  /** Saves a finished call; saving the same matchId twice keeps the first. */
  recordCall(call: CallRecord): Promise<void>;
  findCall(matchId: string): Promise<CallRecord | undefined>;
  /** Most recent first. */
  recentCalls(limit: number): Promise<CallRecord[]>;
  countCalls(): Promise<number>;

  /** Stores a report once per reporter and match (a resent one is ignored). */
  addReport(report: ReportRecord): Promise<void>;
  /** Reports about an install, oldest first (for moderation and tests). */
  reportsAbout(reportedId: string): Promise<ReportRecord[]>;
  /** How many different people reported this install since the given time. */
  distinctReporters(reportedId: string, since: Date): Promise<number>;

  /** Blocks are symmetric: the two are never paired again, whoever asked. Idempotent. */
  addBlock(a: string, b: string): Promise<void>;
  /** Everyone this install is blocked with, in either direction. */
  blockedWith(installId: string): Promise<string[]>;

  addBan(ban: BanRecord): Promise<void>;
  /** This install's most recent ban (the highest offence), active or not. */
  latestBan(installId: string): Promise<BanRecord | undefined>;

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

export function reportFields(report: ReportRecord): ReportRecord {
  const { reporterId, reportedId, matchId, reason, details, at } = report;
  return { reporterId, reportedId, matchId, reason, ...(details !== undefined && { details }), at: new Date(at) };
}

export function banFields(ban: BanRecord): BanRecord {
  return { installId: ban.installId, offence: ban.offence, at: new Date(ban.at), until: new Date(ban.until) };
}

/** One key per unordered pair, so a block is found from either side. */
export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}
