/**
 * The live-state port: every fact about people online that several server
 * processes must share (sessions, the queue, matches with their away seats,
 * blocks, bans, connections per address). Two implementations pass the same
 * contract and model tests: in memory (one process, REDIS_URL unset) and on
 * Redis (any number of processes).
 *
 * Operations are whole use cases, not reads and writes, so the Redis one can
 * make each of them atomic (one Lua script) and two processes can never hand
 * the same waiting person to two strangers.
 */
import type { ResumeAck, SignalData, Stats } from '../../shared/protocol';
import type { EndedCall, MatchmakerOptions, SessionState, Transport } from '../services/matchmaker';

export type { EndedCall, SessionState, Transport };

/** What a resume answers, and the held signals to deliver once that answer is sent. */
export interface ResumeOutcome {
  ack: ResumeAck;
  deliver?: () => void;
}

/** One person as a test sees it (model and contract tests check invariants on these). */
export interface SessionView {
  socketId: string;
  installId: string;
  state: SessionState;
  matchId?: string;
  /** The socket id in the partner's seat. */
  partner?: string;
}

export interface LiveStats extends Stats {
  inCalls: number;
  away: number;
}

export interface LiveState {
  readonly kind: 'memory' | 'redis';

  /** A new connection, or one Socket.IO recovered (it takes its away seat back). */
  connect(socketId: string, installId: string, recovered?: boolean): Promise<void>;
  /** A dropped connection: leaves the queue; in a call it turns away for the grace period. */
  disconnect(socketId: string): Promise<void>;
  /** The state of a connected session, undefined when unknown. */
  state(socketId: string): Promise<SessionState | undefined>;

  join(socketId: string, interests: string[] | undefined): Promise<SessionState>;
  next(socketId: string): Promise<SessionState>;
  leave(socketId: string): Promise<'idle'>;
  /** Relays to the current partner of that match (held while they are away), and to no one else. */
  relay(socketId: string, matchId: string, data: SignalData): Promise<void>;
  resume(socketId: string, token: string): Promise<ResumeOutcome>;
  reportTarget(socketId: string, matchId: string): Promise<{ reporterId: string; reportedId: string }>;
  endByReport(matchId: string, reporterId: string): Promise<void>;

  /** The pair may never meet again (a report); both directions. */
  block(a: string, b: string): Promise<void>;
  isBlocked(a: string, b: string): Promise<boolean>;
  /** Blocks the store knows for an install being admitted. */
  learnBlocks(installId: string, others: string[]): Promise<void>;
  /** Remembers a ban until it ends, ends that install's calls and closes its connections on every process. */
  ban(installId: string, until: Date): Promise<void>;
  /** When the install's active ban ends; undefined when it is not banned. */
  bannedUntil(installId: string): Promise<Date | undefined>;
  /** A moderator lifted the install's ban: forgotten at once on every process, so its next connection is let in. */
  lift(installId: string): Promise<void>;

  /**
   * Counts one more connection from an address key (already hashed), across
   * every process; false (and nothing counted) past the cap.
   */
  admitAddress(addressKey: string, cap: number): Promise<boolean>;
  releaseAddress(addressKey: string): Promise<void>;

  /** Retries people whose interest wait ran out, ends expired grace periods, reaps dead processes. */
  tick(): Promise<void>;
  stats(): Promise<LiveStats>;
  /** Pushes live counts to this process's people waiting. */
  broadcastStats(): Promise<void>;
  /** Stops timers; calls are kept (people resume them on another process). */
  close(): Promise<void>;
  /** Every session, connected or away (tests only; the Redis one reads every session). */
  snapshot(): Promise<SessionView[]>;
}

/** What both implementations are built from: the matchmaker's options, less the block and ban checks the live state owns. */
export type LiveStateOptions = Omit<MatchmakerOptions, 'canPair' | 'isBanned'>;
