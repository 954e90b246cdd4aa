/**
 * Who is connected, who waits, who talks to whom. Owns the pairing queue and
 * the matches; speaks to sockets only through the Transport it is given, so
 * tests can drive it without a network.
 *
 * A match belongs to the two people in it, not to their connections: when a
 * matched connection drops, its session turns `away` and keeps its seat for
 * the grace period; `resume` (a sealed token) or a recovered connection puts
 * a connection back in that seat, on this process or on a fresh one.
 */
import { randomUUID } from 'node:crypto';
import { LIMITS } from '../../shared/limits';
import type { EndReason, IceServer, ResumeAck, ResumeMatched, ServerToClientEvents, SignalData, SignalPayload, Stats } from '../../shared/protocol';
import type { ErrorCode } from '../../shared/errors';
import { ExpiringMap } from './expiring-map';
import { PairingQueue, type Pair, type QueueEntry } from './pairing-queue';
import { keepRelayOnly } from './relay-only';
import type { ResumeTokens } from './resume-token';

export interface Transport {
  emit<E extends keyof ServerToClientEvents>(socketId: string, event: E, ...args: Parameters<ServerToClientEvents[E]>): void;
  /** Closes a connection from the server side. */
  disconnect(socketId: string): void;
}

export type SessionState = 'idle' | 'waiting' | 'matched' | 'away';

export interface Session {
  /** The connection it is on; while away, the one it was on (for connection state recovery). */
  socketId: string;
  readonly installId: string;
  state: SessionState;
  interests: string[];
  match?: Match;
  /** Install id of the last partner, avoided on the next search. */
  lastPartner?: string;
  /** Signals for this person while away, delivered in order when they are back. */
  held: SignalPayload[];
  /** Cancels the grace timer; set exactly while away. */
  cancelGrace?: () => void;
  /** The ended match this connection was already told about on recovery (a resume does not repeat it). */
  toldEnded?: string;
}

export interface Match {
  readonly id: string;
  readonly offerer: Session;
  readonly answerer: Session;
  /** Wall clock, ms since the epoch (carried in resume tokens, so an adopted call keeps it). */
  readonly startedAt: number;
  readonly commonInterests: string[];
}

export interface EndedCall {
  matchId: string;
  startedAt: Date;
  endedAt: Date;
  endReason: EndReason;
  durationMs: number;
}

/** Schedules a callback; returns its cancel function. Injectable so model tests own time. */
export type SetTimer = (callback: () => void, ms: number) => () => void;

const realTimer: SetTimer = (callback, ms) => {
  const timer = setTimeout(callback, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export interface MatchmakerOptions {
  transport: Transport;
  interestWaitMs: number;
  /** How long an away person keeps their seat (RESUME_GRACE_S). */
  graceMs: number;
  tokens: ResumeTokens;
  /** ICE servers for one person (TURN credentials are per install). */
  iceServers: (installId: string) => IceServer[];
  /** Relay-only calls: peers gather and use TURN relay candidates only. */
  relayOnly?: boolean;
  /** Extra pairing veto (blocked pairs). */
  canPair?: (installA: string, installB: string) => boolean;
  /** The ban check every resume runs (from memory: it must not wait on the database). */
  isBanned?: (installId: string) => boolean;
  onCallEnded?: (call: EndedCall) => void;
  /** Monotonic clock for the queue; injectable for tests. */
  now?: () => number;
  setTimer?: SetTimer;
  /** How long ended matches are remembered for late resumes (the token lifetime). */
  tombstoneMs: number;
}

export class MatchmakerError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

/** What a resume answers, and the held signals to deliver once that answer is sent. */
export interface ResumeOutcome {
  ack: ResumeAck;
  deliver?: () => void;
}

export class Matchmaker {
  /** Connected sessions by socket id. */
  readonly #sessions = new Map<string, Session>();
  /** Away sessions by the socket id they were on. */
  readonly #away = new Map<string, Session>();
  readonly #matches = new Map<string, Match>();
  /** Ended matches: a late resume is told how it ended. */
  readonly #tombstones: ExpiringMap<string, EndReason>;
  /** Connections whose call ended while they were away: told so if Socket.IO recovers them. */
  readonly #endedWhileAway = new ExpiringMap<string, string>(60_000, 100_000);
  readonly #queue: PairingQueue;
  readonly #now: () => number;
  readonly #setTimer: SetTimer;
  #inCalls = 0;
  #closed = false;

  constructor(private readonly options: MatchmakerOptions) {
    const { canPair } = options;
    this.#queue = new PairingQueue({
      interestWaitMs: options.interestWaitMs,
      canPair: canPair && ((a, b) => canPair(a.installId, b.installId)),
    });
    this.#now = options.now ?? (() => performance.now());
    this.#setTimer = options.setTimer ?? realTimer;
    this.#tombstones = new ExpiringMap(options.tombstoneMs, 100_000);
  }

  stats(): Stats & { inCalls: number; away: number } {
    return { ...this.publicStats(), inCalls: this.#inCalls, away: this.#away.size };
  }

  /** The counts people are shown while they wait. */
  publicStats(): Stats {
    return { online: this.#sessions.size, waiting: this.#queue.size };
  }

  session(socketId: string): Session | undefined {
    return this.#sessions.get(socketId);
  }

  /** Connected sessions. */
  sessions(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  awaySessions(): IterableIterator<Session> {
    return this.#away.values();
  }

  /** Who waits, in arrival order, with when they joined (on the `now` clock). */
  queueEntries(): IterableIterator<QueueEntry> {
    return this.#queue.entries();
  }

  /** The clock queue entries' joinedAt is on. */
  now(): number {
    return this.#now();
  }

  /**
   * A new connection, or one Socket.IO recovered (same socket id): that one
   * takes its away seat back at once, or learns its call ended meanwhile.
   */
  connect(socketId: string, installId: string, recovered = false): Session {
    const seat = recovered ? this.#away.get(socketId) : undefined;
    const session: Session = { socketId, installId, state: 'idle', interests: [], held: [] };
    this.#sessions.set(socketId, session);
    if (seat && seat.installId === installId) {
      this.#takeSeat(seat, socketId)();
      return seat;
    }
    const ended = recovered ? this.#endedWhileAway.get(socketId) : undefined;
    const reason = ended && this.#tombstones.get(ended);
    if (ended && reason) {
      this.options.transport.emit(socketId, 'match:ended', { matchId: ended, reason });
      session.toldEnded = ended;
    }
    return session;
  }

  /** A dropped connection: leaves the queue; in a call it turns away for the grace period. */
  disconnect(socketId: string): void {
    const session = this.#sessions.get(socketId);
    if (!session || session.socketId !== socketId) return;
    this.#sessions.delete(socketId);
    this.#stopWaiting(session);
    if (session.state === 'matched' && !this.#closed) this.#goAway(session);
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

  /** The two install ids of a report, checked against the reporter's current call. */
  reportTarget(socketId: string, matchId: string): { reporterId: string; reportedId: string } {
    const session = this.#require(socketId);
    const match = session.match;
    if (!match || match.id !== matchId) throw new MatchmakerError('stale_match', 'That call is over or is not yours.');
    return { reporterId: session.installId, reportedId: this.#partner(match, session).installId };
  }

  /**
   * After a report is saved: ends that call if it is still on (the reported
   * side is told only `ended`), wherever the reporter's connection is now.
   */
  endByReport(matchId: string, reporterId: string): void {
    const match = this.#matches.get(matchId);
    if (!match) return;
    const reporter = match.offerer.installId === reporterId ? match.offerer : match.answerer;
    this.#endMatch(match, reporter, 'ended');
  }

  /** queue:leave — back to idle from anywhere (partner told `left`). */
  leave(socketId: string): 'idle' {
    const session = this.#require(socketId);
    this.#stopWaiting(session);
    if (session.match) this.#endMatch(session.match, session, 'left');
    return 'idle';
  }

  /** signal — relayed to the current partner of that match (held while they are away), and to no one else. */
  relay(socketId: string, matchId: string, data: SignalData): void {
    if (this.options.relayOnly) data = keepRelayOnly(data);
    const session = this.#require(socketId);
    const match = session.match;
    if (!match) throw new MatchmakerError('not_in_match', 'No call to signal in.');
    if (match.id !== matchId) throw new MatchmakerError('stale_match', 'That call is over or is not yours.');
    const partner = this.#partner(match, session);
    if (partner.state !== 'away') return this.options.transport.emit(partner.socketId, 'signal', { matchId, data });
    if (partner.held.length >= LIMITS.heldSignals) {
      throw new MatchmakerError('partner_away', 'The stranger is away and cannot take more; resend after partner:back.');
    }
    partner.held.push({ matchId, data });
  }

  /**
   * session:resume — puts this connection back in the match its token proves:
   * an away seat is taken back, a seat held by another connection of the same
   * install is taken over, an unknown match (a fresh process) is re-created
   * with the stranger away. A match that is over is reported as such.
   */
  resume(socketId: string, token: string): ResumeOutcome {
    const session = this.#require(socketId);
    const opened = this.options.tokens.open(token);
    if (!opened.ok) {
      throw new MatchmakerError(opened.code, opened.code === 'token_expired' ? 'That call can no longer be resumed.' : 'Not a valid resume token.');
    }
    const claims = opened.claims;
    if (claims.installId !== session.installId) throw new MatchmakerError('invalid_token', 'Not a valid resume token.');
    // Already there (a recovered connection the server reattached): answer the same way.
    if (session.match?.id === claims.matchId) return { ack: this.#resumeAck(session, session.match) };
    if (session.state !== 'idle') throw new MatchmakerError('not_idle', 'This connection is already waiting or in another call.');

    if (this.options.isBanned?.(session.installId)) {
      this.banned(session.installId);
      const match = this.#matches.get(claims.matchId);
      if (match) this.#endMatch(match, undefined, 'ended');
      else if (!this.#tombstones.get(claims.matchId)) this.#tombstones.set(claims.matchId, 'ended');
      return { ack: { state: 'idle' } };
    }

    const reason = this.#tombstones.get(claims.matchId);
    if (reason) {
      if (session.toldEnded !== claims.matchId) this.options.transport.emit(socketId, 'match:ended', { matchId: claims.matchId, reason });
      return { ack: { state: 'idle' } };
    }

    const match = this.#matches.get(claims.matchId);
    if (!match) return { ack: this.#resumeAck(this.#recreate(session, claims), this.#matches.get(claims.matchId)!) };
    const seat = claims.role === 'offerer' ? match.offerer : match.answerer;
    if (seat.installId !== session.installId) throw new MatchmakerError('invalid_token', 'Not a valid resume token.');
    if (seat.state === 'matched') {
      // Another connection of this install holds the seat (a restarted worker's old socket): the newer one wins.
      const older = seat.socketId;
      this.#sessions.set(older, { socketId: older, installId: seat.installId, state: 'idle', interests: [], held: [] });
      this.options.transport.emit(older, 'match:ended', { matchId: match.id, reason: 'ended' });
    }
    const deliver = this.#takeSeat(seat, socketId);
    return { ack: this.#resumeAck(seat, match), deliver };
  }

  /** An install was just banned: its calls end (the stranger is told `ended`) and its connections close. */
  banned(installId: string): void {
    for (const session of [...this.#sessions.values(), ...this.#away.values()]) {
      if (session.installId !== installId) continue;
      this.#stopWaiting(session);
      if (session.match) this.#endMatch(session.match, session, 'ended');
      if (this.#sessions.get(session.socketId) === session) this.options.transport.disconnect(session.socketId);
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

  /**
   * The server is going away: calls are kept (people resume them on the next
   * process), so only the timers stop, and drops from now on are not news.
   */
  close(): void {
    this.#closed = true;
    for (const session of this.#away.values()) session.cancelGrace?.();
  }

  #require(socketId: string): Session {
    const session = this.#sessions.get(socketId);
    if (!session) throw new MatchmakerError('internal', 'Unknown connection.');
    return session;
  }

  #partner(match: Match, session: Session): Session {
    return match.offerer === session ? match.answerer : match.offerer;
  }

  #enqueue(session: Session): SessionState {
    this.#releaseAwaySeats(session.installId);
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

  /** `tell`: whether the partner hears `partner:away` (not a resumer, whose ack already says so). */
  /**
   * Someone who looks for a new stranger has moved on from a call they were
   * away from (a restarted client that did not resume): that call ends now,
   * rather than at the end of the grace, so nobody is ever in two calls.
   */
  #releaseAwaySeats(installId: string): void {
    for (const seat of [...this.#away.values()]) {
      if (seat.installId === installId && seat.match) this.#endMatch(seat.match, seat, 'disconnected');
    }
  }

  #goAway(session: Session, tell = true): void {
    const match = session.match!;
    session.state = 'away';
    this.#away.set(session.socketId, session);
    session.cancelGrace = this.#setTimer(() => this.#endMatch(match, session, 'disconnected'), this.options.graceMs);
    const partner = this.#partner(match, session);
    if (tell && partner.state === 'matched') {
      this.options.transport.emit(partner.socketId, 'partner:away', { matchId: match.id, graceMs: this.options.graceMs });
    }
  }

  /**
   * Puts a connection in a seat: the connection's own idle session is
   * replaced by the seat. Returns the delivery of signals held for it, to run
   * once the connection has its answer.
   */
  #takeSeat(seat: Session, socketId: string): () => void {
    const match = seat.match!;
    const wasAway = seat.state === 'away';
    if (wasAway) {
      this.#away.delete(seat.socketId);
      seat.cancelGrace?.();
      seat.cancelGrace = undefined;
    }
    seat.socketId = socketId;
    seat.state = 'matched';
    this.#sessions.set(socketId, seat);
    const partner = this.#partner(match, seat);
    if (wasAway && partner.state === 'matched') this.options.transport.emit(partner.socketId, 'partner:back', { matchId: match.id });
    return () => {
      if (seat.socketId !== socketId || seat.match !== match) return;
      for (const payload of seat.held.splice(0)) this.options.transport.emit(socketId, 'signal', payload);
    };
  }

  /** A fresh process adopting a call from one side's token: the other side is away until it resumes too. */
  #recreate(session: Session, claims: { matchId: string; partnerId: string; role: 'offerer' | 'answerer'; commonInterests: string[]; startedAt: number }): Session {
    const partner: Session = { socketId: `away:${randomUUID()}`, installId: claims.partnerId, state: 'matched', interests: [], held: [] };
    const [offerer, answerer] = claims.role === 'offerer' ? [session, partner] : [partner, session];
    const match: Match = { id: claims.matchId, offerer, answerer, startedAt: claims.startedAt, commonInterests: claims.commonInterests };
    this.#matches.set(match.id, match);
    session.state = 'matched';
    session.match = match;
    partner.match = match;
    this.#inCalls += 2;
    this.#goAway(partner, false);
    return session;
  }

  #resumeAck(session: Session, match: Match): ResumeMatched {
    const partner = this.#partner(match, session);
    const role = match.offerer === session ? 'offerer' : 'answerer';
    return {
      state: 'matched',
      matchId: match.id,
      partner: partner.state === 'away' ? 'away' : 'present',
      resumeToken: this.#token(match, session),
      role,
      polite: role === 'answerer',
      iceServers: this.options.iceServers(session.installId),
      iceTransportPolicy: this.options.relayOnly ? 'relay' : 'all',
      commonInterests: match.commonInterests,
    };
  }

  #token(match: Match, session: Session): string {
    return this.options.tokens.seal({
      matchId: match.id,
      installId: session.installId,
      partnerId: this.#partner(match, session).installId,
      role: match.offerer === session ? 'offerer' : 'answerer',
      commonInterests: match.commonInterests,
      startedAt: match.startedAt,
    });
  }

  #startMatch([first, second]: Pair): void {
    const offerer = this.#sessions.get(first.id)!;
    const answerer = this.#sessions.get(second.id)!;
    const commonInterests = offerer.interests.filter((tag) => answerer.interests.includes(tag));
    const match: Match = { id: randomUUID(), offerer, answerer, startedAt: Date.now(), commonInterests };
    this.#matches.set(match.id, match);
    for (const session of [offerer, answerer]) {
      session.state = 'matched';
      session.match = match;
      session.lastPartner = undefined;
    }
    this.#inCalls += 2;
    const { transport, iceServers, relayOnly } = this.options;
    const common = { matchId: match.id, commonInterests, iceTransportPolicy: relayOnly ? ('relay' as const) : ('all' as const) };
    for (const [session, role] of [[offerer, 'offerer'], [answerer, 'answerer']] as const) {
      transport.emit(session.socketId, 'match:found', {
        ...common,
        role,
        polite: role === 'answerer',
        iceServers: iceServers(session.installId),
        resumeToken: this.#token(match, session),
      });
    }
  }

  /** Ends a match; every connected side but `by` (who already knows, from their ack) is told why. */
  #endMatch(match: Match, by: Session | undefined, reason: EndReason): void {
    if (this.#matches.get(match.id) !== match) return;
    this.#matches.delete(match.id);
    this.#tombstones.set(match.id, reason);
    for (const session of [match.offerer, match.answerer]) {
      if (session.state === 'away') {
        session.cancelGrace?.();
        session.cancelGrace = undefined;
        this.#away.delete(session.socketId);
        this.#endedWhileAway.set(session.socketId, match.id);
        session.held = [];
      } else if (session !== by) {
        this.options.transport.emit(session.socketId, 'match:ended', { matchId: match.id, reason });
      }
      session.state = 'idle';
      session.match = undefined;
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
      durationMs: Math.max(0, endedAt - match.startedAt),
    });
  }
}
