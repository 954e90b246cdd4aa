/**
 * What the server persists. Only facts about calls, never what anyone said or
 * showed, never an address. Two implementations (memory, mongoose) pass the
 * same contract tests in tests/store/.
 */
import type { EndReason } from '../../shared/protocol';

export interface CallRecord {
  matchId: string;
  startedAt: Date;
  endedAt: Date;
  endReason: EndReason;
  durationMs: number;
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
