/**
 * Live state in this process's memory: today's Matchmaker, plus the blocks,
 * bans and per-address connection counts Safety and the handshake use. One
 * process only; nothing here survives it.
 */
import type { SignalData } from '../../shared/protocol';
import { Matchmaker } from '../services/matchmaker';
import type { LiveState, LiveStateOptions, LiveStats, ResumeOutcome, SessionState, SessionView } from './types';

/** Known bans held in memory, most recent kept. */
const MAX_KNOWN_BANS = 100_000;

export class MemoryLiveState implements LiveState {
  readonly kind = 'memory';
  readonly matchmaker: Matchmaker;
  /** installId → installs it must never meet. */
  readonly #blocks = new Map<string, Set<string>>();
  /** installId → ban end, ms since the epoch. */
  readonly #bans = new Map<string, number>();
  readonly #addresses = new Map<string, number>();
  /** installId → its connections here; its blocks are dropped with the last one. */
  readonly #connections = new Map<string, number>();
  readonly #now: () => number;

  constructor(options: LiveStateOptions) {
    this.#now = options.now ?? Date.now;
    this.matchmaker = new Matchmaker({
      ...options,
      now: options.now,
      canPair: (a, b) => !this.#isBlocked(a, b),
      isBanned: (installId) => this.#activeBan(installId),
    });
  }

  async connect(socketId: string, installId: string, recovered = false): Promise<void> {
    this.matchmaker.connect(socketId, installId, recovered);
    this.#connections.set(installId, (this.#connections.get(installId) ?? 0) + 1);
  }

  async disconnect(socketId: string): Promise<void> {
    const installId = this.matchmaker.session(socketId)?.installId;
    this.matchmaker.disconnect(socketId);
    if (installId === undefined) return;
    // Blocks are kept while an install has a connection; Safety loads them again at the next handshake.
    const left = (this.#connections.get(installId) ?? 1) - 1;
    if (left > 0) return void this.#connections.set(installId, left);
    this.#connections.delete(installId);
    this.#blocks.delete(installId);
  }

  async state(socketId: string): Promise<SessionState | undefined> {
    return this.matchmaker.session(socketId)?.state;
  }

  async join(socketId: string, interests: string[] | undefined): Promise<SessionState> {
    return this.matchmaker.join(socketId, interests);
  }

  async next(socketId: string): Promise<SessionState> {
    return this.matchmaker.next(socketId);
  }

  async leave(socketId: string): Promise<'idle'> {
    return this.matchmaker.leave(socketId);
  }

  async relay(socketId: string, matchId: string, data: SignalData): Promise<void> {
    this.matchmaker.relay(socketId, matchId, data);
  }

  async resume(socketId: string, token: string): Promise<ResumeOutcome> {
    return this.matchmaker.resume(socketId, token);
  }

  async reportTarget(socketId: string, matchId: string) {
    return this.matchmaker.reportTarget(socketId, matchId);
  }

  async endByReport(matchId: string, reporterId: string): Promise<void> {
    this.matchmaker.endByReport(matchId, reporterId);
  }

  async block(a: string, b: string): Promise<void> {
    this.#blockSet(a).add(b);
    this.#blockSet(b).add(a);
  }

  async isBlocked(a: string, b: string): Promise<boolean> {
    return this.isBlockedNow(a, b);
  }

  /** The same, synchronously (in-process inspection: the soak's invariant checks). */
  isBlockedNow(a: string, b: string): boolean {
    return this.#isBlocked(a, b);
  }

  async learnBlocks(installId: string, others: string[]): Promise<void> {
    const set = this.#blockSet(installId);
    for (const other of others) set.add(other);
  }

  async ban(installId: string, until: Date): Promise<void> {
    this.#bans.delete(installId);
    this.#bans.set(installId, until.getTime());
    if (this.#bans.size > MAX_KNOWN_BANS) this.#bans.delete(this.#bans.keys().next().value!);
    this.matchmaker.banned(installId);
  }

  async lift(installId: string): Promise<void> {
    this.#bans.delete(installId);
  }

  async bannedUntil(installId: string): Promise<Date | undefined> {
    return this.#activeBan(installId) ? new Date(this.#bans.get(installId)!) : undefined;
  }

  async admitAddress(addressKey: string, cap: number): Promise<boolean> {
    const count = this.#addresses.get(addressKey) ?? 0;
    if (count >= cap) return false;
    this.#addresses.set(addressKey, count + 1);
    return true;
  }

  async releaseAddress(addressKey: string): Promise<void> {
    const left = (this.#addresses.get(addressKey) ?? 1) - 1;
    if (left > 0) this.#addresses.set(addressKey, left);
    else this.#addresses.delete(addressKey);
  }

  async tick(): Promise<void> {
    this.matchmaker.tick();
  }

  async stats(): Promise<LiveStats> {
    return this.matchmaker.stats();
  }

  async broadcastStats(): Promise<void> {
    this.matchmaker.broadcastStats();
  }

  async close(): Promise<void> {
    this.matchmaker.close();
  }

  async snapshot(): Promise<SessionView[]> {
    const views: SessionView[] = [];
    for (const session of [...this.matchmaker.sessions(), ...this.matchmaker.awaySessions()]) {
      if (this.matchmaker.session(session.socketId) !== session && session.state !== 'away') continue;
      const match = session.match;
      const partner = match && (match.offerer === session ? match.answerer : match.offerer);
      views.push({ socketId: session.socketId, installId: session.installId, state: session.state, matchId: match?.id, partner: partner?.socketId });
    }
    return views;
  }

  #blockSet(installId: string): Set<string> {
    let set = this.#blocks.get(installId);
    if (!set) this.#blocks.set(installId, (set = new Set()));
    return set;
  }

  #isBlocked(a: string, b: string): boolean {
    return this.#blocks.get(a)?.has(b) === true || this.#blocks.get(b)?.has(a) === true;
  }

  #activeBan(installId: string): boolean {
    const until = this.#bans.get(installId);
    if (until === undefined) return false;
    if (until > this.#now()) return true;
    this.#bans.delete(installId);
    return false;
  }
}
