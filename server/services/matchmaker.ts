/**
 * Who is connected, who waits, who talks to whom. Owns the pairing queue and
 * the matches; speaks to sockets only through the Transport it is given, so
 * tests can drive it without a network.
 */
import { randomUUID } from 'node:crypto';
import type { EndReason, IceServer, ServerToClientEvents, SignalData, Stats } from '../../shared/protocol';
import type { ErrorCode } from '../../shared/errors';
import { PairingQueue, type Pair } from './pairing-queue';
import { keepRelayOnly } from './relay-only';

export interface Transport {
  emit<E extends keyof ServerToClientEvents>(socketId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
  /** Closes a connection from the server side. */
  disconnect(socketId: string): void;
}

export type SessionState = 'idle' | 'waiting' | 'matched';

export interface Session {
  readonly socketId: string;
  readonly installId: string;
  state: SessionState;
  interests: string[];
  match?: Match;
  /** Install id of the last partner, avoided on the next search. */
  lastPartner?: string;
}

export interface Match {
  readonly id: string;
  readonly offerer: Session;
  readonly answerer: Session;
  readonly startedAt: number;
}

export interface EndedCall {
  matchId: string;
  startedAt: Date;
  endedAt: Date;
  endReason: EndReason;
  durationMs: number;
}

export interface MatchmakerOptions {
  transport: Transport;
  interestWaitMs: number;
  /** ICE servers for one person (TURN credentials are per install). */
  iceServers: (installId: string) => IceServer[];
  /** Relay-only calls: peers gather and use TURN relay candidates only. */
  relayOnly?: boolean;
  /** Extra pairing veto (blocked pairs). */
  canPair?: (installA: string, installB: string) => boolean;
  onCallEnded?: (call: EndedCall) => void;
  /** Monotonic clock for the queue; injectable for tests. */
  now?: () => number;
}

export class MatchmakerError extends Error {
  constructor(readonly code: ErrorCode, message: string) {
    super(message);
  }
}

export class Matchmaker {
  readonly #sessions = new Map<string, Session>();
  readonly #queue: PairingQueue;
  readonly #now: () => number;
  #inCalls = 0;

  constructor(private readonly options: MatchmakerOptions) {
    const { canPair } = options;
    this.#queue = new PairingQueue({
      interestWaitMs: options.interestWaitMs,
      canPair: canPair && ((a, b) => canPair(a.installId, b.installId)),
    });
    this.#now = options.now ?? (() => performance.now());
  }

  stats(): Stats & { inCalls: number } {
    return { ...this.publicStats(), inCalls: this.#inCalls };
  }

  /** The counts people are shown while they wait. */
  publicStats(): Stats {
    return { online: this.#sessions.size, waiting: this.#queue.size };
  }

  session(socketId: string): Session | undefined {
    return this.#sessions.get(socketId);
  }

  sessions(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  connect(socketId: string, installId: string): Session {
    const session: Session = { socketId, installId, state: 'idle', interests: [] };
    this.#sessions.set(socketId, session);
    return session;
  }

  disconnect(socketId: string): void {
    const session = this.#sessions.get(socketId);
    if (!session) return;
    this.#stopWaiting(session);
    if (session.match) this.#endMatch(session.match, session, 'disconnected');
    this.#sessions.delete(socketId);
  }

  /** queue:join — idempotent while waiting (interests are updated, the turn kept). */
  join(socketId: string, interests: string[] | undefined): SessionState {
    const session = this.#require(socketId);
    if (session.state === 'matched') throw new MatchmakerError('in_match', 'Already in a call: send queue:next or queue:leave first.');
    if (interests) session.interests = interests;
    return this.#enqueue(session);
  }

  /** queue:next — ends the call (partner told `next`) and searches again. */
  next(socketId: string): SessionState {
    const session = this.#require(socketId);
    if (session.state === 'waiting') return 'waiting';
    if (session.match) this.#endMatch(session.match, session, 'next');
    return this.#enqueue(session);
  }

  /**
   * report — ends the call at once (the reported side is told only `ended`)
   * and leaves the reporter idle, so the caller can block the pair before
   * requeueing them. Returns who was reported.
   */
  endByReport(socketId: string, matchId: string): string {
    const session = this.#require(socketId);
    const match = session.match;
    if (!match || match.id !== matchId) throw new MatchmakerError('stale_match', 'That call is over or is not yours.');
    const partner = match.offerer === session ? match.answerer : match.offerer;
    this.#endMatch(match, session, 'ended');
    return partner.installId;
  }

  /** queue:leave — back to idle from anywhere (partner told `left`). */
  leave(socketId: string): 'idle' {
    const session = this.#require(socketId);
    this.#stopWaiting(session);
    if (session.match) this.#endMatch(session.match, session, 'left');
    return 'idle';
  }

  /** signal — relayed to the current partner of that match, and to no one else. */
  relay(socketId: string, matchId: string, data: SignalData): void {
    if (this.options.relayOnly) data = keepRelayOnly(data);
    const session = this.#require(socketId);
    const match = session.match;
    if (!match) throw new MatchmakerError('not_in_match', 'No call to signal in.');
    if (match.id !== matchId) throw new MatchmakerError('stale_match', 'That call is over or is not yours.');
    const partner = match.offerer === session ? match.answerer : match.offerer;
    this.options.transport.emit(partner.socketId, 'signal', { matchId, data });
  }

  /** An install was just banned: drop its connections (its calls end as `disconnected`). */
  banned(installId: string): void {
    for (const session of [...this.#sessions.values()]) {
      if (session.installId === installId) this.options.transport.disconnect(session.socketId);
    }
  }

  /** Retries people whose interest wait has run out; call it on a timer. */
  tick(): void {
    for (const pair of this.#queue.sweep(this.#now())) this.#startMatch(pair);
  }

  /** Pushes live counts to everyone waiting. */
  broadcastStats(): void {
    if (this.#queue.size === 0) return;
    const stats = this.publicStats();
    for (const entry of this.#queue.entries()) this.options.transport.emit(entry.id, 'stats', stats);
  }

  /** Ends every call (server shutting down); partners are told `server_shutdown`. */
  endAll(): void {
    for (const session of this.#sessions.values()) {
      this.#stopWaiting(session);
      if (session.match) this.#endMatch(session.match, undefined, 'server_shutdown');
    }
  }

  #require(socketId: string): Session {
    const session = this.#sessions.get(socketId);
    if (!session) throw new MatchmakerError('internal', 'Unknown connection.');
    return session;
  }

  #enqueue(session: Session): SessionState {
    session.state = 'waiting';
    // add() keeps the turn of someone already waiting and only updates interests.
    this.#queue.add({
      id: session.socketId,
      installId: session.installId,
      interests: session.interests,
      joinedAt: this.#now(),
      avoid: session.lastPartner,
    });
    const pair = this.#queue.pairFor(session.socketId, this.#now());
    if (pair) this.#startMatch(pair);
    return session.state;
  }

  #stopWaiting(session: Session): void {
    if (session.state !== 'waiting') return;
    this.#queue.remove(session.socketId);
    session.state = 'idle';
  }

  #startMatch([first, second]: Pair): void {
    const offerer = this.#sessions.get(first.id)!;
    const answerer = this.#sessions.get(second.id)!;
    const match: Match = { id: randomUUID(), offerer, answerer, startedAt: Date.now() };
    const commonInterests = offerer.interests.filter((tag) => answerer.interests.includes(tag));
    for (const session of [offerer, answerer]) {
      session.state = 'matched';
      session.match = match;
      session.lastPartner = undefined;
    }
    this.#inCalls += 2;
    const { transport, iceServers, relayOnly } = this.options;
    const common = { matchId: match.id, commonInterests, iceTransportPolicy: relayOnly ? ('relay' as const) : ('all' as const) };
    transport.emit(offerer.socketId, 'match:found', { ...common, role: 'offerer', polite: false, iceServers: iceServers(offerer.installId) });
    transport.emit(answerer.socketId, 'match:found', { ...common, role: 'answerer', polite: true, iceServers: iceServers(answerer.installId) });
  }

  /** Ends a match; everyone but `by` (who already knows, from their ack) is told why. */
  #endMatch(match: Match, by: Session | undefined, reason: EndReason): void {
    for (const session of [match.offerer, match.answerer]) {
      session.state = 'idle';
      session.match = undefined;
      if (session !== by) this.options.transport.emit(session.socketId, 'match:ended', { matchId: match.id, reason });
    }
    match.offerer.lastPartner = match.answerer.installId;
    match.answerer.lastPartner = match.offerer.installId;
    this.#inCalls -= 2;
    const endedAt = Date.now();
    this.options.onCallEnded?.({
      matchId: match.id,
      startedAt: new Date(match.startedAt),
      endedAt: new Date(endedAt),
      endReason: reason,
      durationMs: endedAt - match.startedAt,
    });
  }
}
