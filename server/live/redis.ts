/**
 * Live state on Redis, shared by any number of server processes ("nodes").
 * Each use case is one Lua script (redis-scripts.ts), so it is atomic across
 * nodes; pairing reads a bounded window of waiting people, applies the pure
 * pairing rule (choosePartner) here, and claims the pair in a script that
 * checks again that both still wait, are not blocked, and live on nodes whose
 * heartbeat is fresh. A node's people drop within HEARTBEAT_TTL_MS of its
 * death (any node's tick reaps them).
 *
 * Redis not answering: every operation rejects with `unavailable` at once
 * (no offline queue) or within COMMAND_TIMEOUT_MS; when Redis answers again
 * the node reconciles: sessions it lost while cut off are dropped, and its
 * connections Redis no longer knows are asked to reconnect and resume.
 */
import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { LIMITS } from '../../shared/limits';
import type { EndReason, ResumeMatched, SignalData, SignalPayload } from '../../shared/protocol';
import { MatchmakerError } from '../services/matchmaker';
import { choosePartner, type QueueEntry } from '../services/pairing-queue';
import { keepRelayOnly } from '../services/relay-only';
import { SCRIPTS, type ScriptName } from './redis-scripts';
import type { LiveState, LiveStateOptions, LiveStats, ResumeOutcome, SessionState, SessionView } from './types';

/** A node is dead this long after its last heartbeat. */
export const HEARTBEAT_TTL_MS = 3000;
const HEARTBEAT_EVERY_MS = 1000;
/** A command Redis has not answered by then fails (and the client is told `unavailable`). */
export const COMMAND_TIMEOUT_MS = 800;
/** Waiting people read per join, oldest first, among those open to anyone and per interest: no whole-queue scan. */
const CANDIDATES = 32;
/** Claims tried per join before the person just waits (another node took each candidate first). */
const CLAIM_ATTEMPTS = 4;
/** Grace ends, dead nodes' people and opened waits handled per tick. */
const TICK_LIMIT = 500;
const BLOCK_TTL_MS = 86_400_000;
const RETRY_AFTER_MS = 2000;

type Reply = [code: string, data?: string[], effects?: unknown[][], held?: string[]];

export interface RedisLiveStateOptions extends LiveStateOptions {
  redis: Redis;
  /** A connection of its own for this node's effects channel (fx:<node>): what its people are sent. */
  subscriber: Redis;
  /** Key prefix; its {hash tag} keeps every key of one script in one Cluster slot. */
  prefix?: string;
  nodeId?: string;
  /** This node's connection ids, for reconciling after an outage. */
  localSockets?: () => Iterable<string>;
  /** Connections Redis forgot (it restarted empty, or reaped this node): asked to reconnect and resume. */
  onLost?: (socketIds: string[]) => void;
  log?: { warn(msg: string): void; info(msg: string): void; error(obj: unknown, msg: string): void };
}

export class RedisLiveState implements LiveState {
  readonly kind = 'redis';
  readonly nodeId: string;
  readonly #redis: Redis;
  readonly #prefix: string;
  readonly #now: () => number;
  readonly #heartbeat: NodeJS.Timeout;
  readonly #subscribed: Promise<void>;
  readonly #drains = new Map<string, () => void>();
  #healthy = true;
  #closed = false;

  constructor(private readonly options: RedisLiveStateOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix ?? 'tc:{pool}:';
    this.nodeId = options.nodeId ?? randomUUID();
    this.#now = options.now ?? Date.now;
    for (const [name, lua] of Object.entries(SCRIPTS)) {
      if (!(name in this.#redis)) this.#redis.defineCommand(name, { numberOfKeys: 1, lua });
    }
    // Everything this node's people are sent arrives here, in the order the scripts ran.
    const channel = this.#key('fx', this.nodeId);
    options.subscriber.on('smessage', (from: string, message: string) => {
      if (from !== channel) return;
      const effect = JSON.parse(message) as unknown[];
      if (effect[0] === 'drained') this.#drains.get(String(effect[1]))?.();
      else this.#apply([effect]);
    });
    this.#subscribed = options.subscriber.ssubscribe(channel).then(() => undefined);
    this.#heartbeat = setInterval(() => void this.beat(), HEARTBEAT_EVERY_MS);
    this.#heartbeat.unref();
  }

  /** Marks this node alive (call once before serving; then it repeats every second). */
  async beat(): Promise<void> {
    if (this.#closed) return;
    try {
      await this.#subscribed;
      await this.#redis.multi().set(this.#key('hb', this.nodeId), '1', 'PX', HEARTBEAT_TTL_MS).sadd(this.#key('N'), this.nodeId).exec();
      if (!this.#healthy) {
        // Effects published while this node's channel is not subscribed are lost: subscribed again first
        // (it waits for the subscriber's reconnection), then the connections Redis forgot are told to come back.
        await this.options.subscriber.ssubscribe(this.#key('fx', this.nodeId));
        this.#healthy = true;
        await this.#reconcile();
        this.options.log?.info('live state: Redis answers again');
      }
    } catch {
      if (this.#healthy) this.options.log?.warn('live state: Redis does not answer; new joins get `unavailable` until it does');
      this.#healthy = false;
    }
  }

  /**
   * Resolves once every effect published to this node before now has been
   * emitted: a marker sent down the same channel has come back. Acks that the
   * protocol orders after events (match:found before a join's ack) wait for it.
   */
  async drained(): Promise<void> {
    const marker = randomUUID();
    const back = new Promise<void>((resolve) => this.#drains.set(marker, resolve));
    try {
      await this.#call(() => this.#redis.spublish(this.#key('fx', this.nodeId), JSON.stringify(['drained', marker])));
      await Promise.race([back, new Promise((resolve) => setTimeout(resolve, COMMAND_TIMEOUT_MS))]);
    } finally {
      this.#drains.delete(marker);
    }
  }

  async connect(socketId: string, installId: string, recovered = false): Promise<void> {
    await this.#run('tcConnect', socketId, installId, recovered ? '1' : '0');
  }

  async disconnect(socketId: string): Promise<void> {
    await this.#run('tcDisconnect', socketId);
  }

  async state(socketId: string): Promise<SessionState | undefined> {
    return ((await this.#call(() => this.#redis.hget(this.#key('s', socketId), 'st'))) ?? undefined) as SessionState | undefined;
  }

  async join(socketId: string, interests: string[] | undefined): Promise<SessionState> {
    await this.#run('tcJoin', socketId, interests ? '1' : '0', JSON.stringify(interests ?? []));
    return this.#settled(await this.#pair(socketId));
  }

  async next(socketId: string): Promise<SessionState> {
    await this.#run('tcNext', socketId);
    return this.#settled(await this.#pair(socketId));
  }

  async leave(socketId: string): Promise<'idle'> {
    await this.#run('tcLeave', socketId);
    return 'idle';
  }

  async relay(socketId: string, matchId: string, data: SignalData): Promise<void> {
    if (this.options.relayOnly) data = keepRelayOnly(data);
    const payload: SignalPayload = { matchId, data };
    await this.#run('tcRelay', socketId, matchId, JSON.stringify(payload), String(LIMITS.heldSignals));
  }

  async resume(socketId: string, token: string): Promise<ResumeOutcome> {
    const opened = this.options.tokens.open(token);
    if (!opened.ok) {
      throw new MatchmakerError(opened.code, opened.code === 'token_expired' ? 'That call can no longer be resumed.' : 'Not a valid resume token.');
    }
    const c = opened.claims;
    const [, view, , held] = await this.#run(
      'tcResume',
      socketId,
      c.matchId,
      c.role === 'offerer' ? 'o' : 'a',
      c.installId,
      c.partnerId,
      String(c.startedAt),
      JSON.stringify(c.commonInterests),
      `away:${randomUUID()}`,
    );
    // Whatever the resume told this connection (match:ended) goes out before its ack.
    await this.drained();
    if (!view || view[0] !== 'matched') return { ack: { state: 'idle' } };
    const [, matchId, seat, partner, partnerId, startedAt, common] = view as [string, string, string, 'present' | 'away', string, string, string];
    const role = seat === 'o' ? 'offerer' : 'answerer';
    const commonInterests = JSON.parse(common) as string[];
    const ack: ResumeMatched = {
      state: 'matched',
      matchId,
      partner,
      resumeToken: this.options.tokens.seal({ matchId, installId: c.installId, partnerId, role, commonInterests, startedAt: Number(startedAt) }),
      role,
      polite: role === 'answerer',
      iceServers: this.options.iceServers(c.installId),
      iceTransportPolicy: this.options.relayOnly ? 'relay' : 'all',
      commonInterests,
    };
    const deliver = held?.length ? () => held.forEach((h) => this.options.transport.emit(socketId, 'signal', JSON.parse(h) as SignalPayload)) : undefined;
    return { ack, deliver };
  }

  async reportTarget(socketId: string, matchId: string) {
    const [, out] = await this.#run('tcReportTarget', socketId, matchId);
    return { reporterId: out![0]!, reportedId: out![1]! };
  }

  async endByReport(matchId: string, reporterId: string): Promise<void> {
    await this.#run('tcEndByReport', matchId, reporterId);
  }

  async block(a: string, b: string): Promise<void> {
    await this.#run('tcBlock', String(BLOCK_TTL_MS), a, b);
  }

  async isBlocked(a: string, b: string): Promise<boolean> {
    const [ab, ba] = await this.#call(() => Promise.all([this.#redis.sismember(this.#key('blk', a), b), this.#redis.sismember(this.#key('blk', b), a)]));
    return ab === 1 || ba === 1;
  }

  async learnBlocks(installId: string, others: string[]): Promise<void> {
    if (others.length > 0) await this.#run('tcBlock', String(BLOCK_TTL_MS), installId, ...others);
  }

  async ban(installId: string, until: Date): Promise<void> {
    await this.#run('tcBan', installId, String(until.getTime()));
  }

  async lift(installId: string): Promise<void> {
    // One key every process reads at the handshake and in the pairing script: gone for all at once.
    await this.#call(() => this.#redis.del(this.#key('ban', installId)));
  }

  async bannedUntil(installId: string): Promise<Date | undefined> {
    const until = await this.#call(() => this.#redis.get(this.#key('ban', installId)));
    return until ? new Date(Number(until)) : undefined;
  }

  async admitAddress(addressKey: string, cap: number): Promise<boolean> {
    const [, out] = await this.#run('tcAdmitAddress', addressKey, String(cap));
    return out?.[0] === '1';
  }

  async releaseAddress(addressKey: string): Promise<void> {
    await this.#run('tcReleaseAddress', addressKey);
  }

  async tick(): Promise<void> {
    const [, due] = await this.#run('tcTick', String(TICK_LIMIT));
    for (const socketId of due ?? []) await this.#pair(socketId);
  }

  async stats(): Promise<LiveStats> {
    const replies = await this.#call(() =>
      this.#redis.multi().scard(this.#key('S')).zcard(this.#key('q')).get(this.#key('calls')).zcard(this.#key('grace')).exec(),
    );
    const [online, waiting, inCalls, away] = (replies ?? []).map(([, value]) => Number(value ?? 0));
    return { online: online ?? 0, waiting: waiting ?? 0, inCalls: inCalls ?? 0, away: away ?? 0 };
  }

  async broadcastStats(): Promise<void> {
    const waiting = await this.#call(() => this.#redis.smembers(this.#key('nw', this.nodeId)));
    if (waiting.length === 0) return;
    const { online, waiting: count } = await this.stats();
    for (const socketId of waiting) this.options.transport.emit(socketId, 'stats', { online, waiting: count });
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#heartbeat);
  }

  /** Stops this node's heartbeat at once, as a crash would (tests): other nodes reap its people. */
  async die(): Promise<void> {
    await this.close();
    await this.#redis.del(this.#key('hb', this.nodeId));
  }

  async snapshot(): Promise<SessionView[]> {
    const ids = [...(await this.#redis.smembers(this.#key('S'))), ...(await this.#redis.zrange(this.#key('grace'), '0', '-1'))];
    const views: SessionView[] = [];
    for (const socketId of ids) {
      const s = await this.#redis.hgetall(this.#key('s', socketId));
      if (!s.st) continue;
      const m = s.m ? await this.#redis.hgetall(this.#key('m', s.m)) : undefined;
      views.push({
        socketId,
        installId: s.i!,
        state: s.st as SessionState,
        matchId: s.m,
        partner: m && (s.r === 'o' ? m.a : m.o),
      });
    }
    return views;
  }

  /** A join that matched acks after its match:found has gone out, as in one process. */
  async #settled(state: SessionState): Promise<SessionState> {
    if (state === 'matched') await this.drained();
    return state;
  }

  /** Pairs a waiting person if anyone suits them now; resolves with their state. */
  async #pair(socketId: string): Promise<SessionState> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const [code, me, list] = await this.#run('tcCandidates', socketId, String(CANDIDATES));
      if (code !== 'ok') return (await this.state(socketId)) ?? 'idle';
      const [installId, interests, joinedAt, avoid] = me!;
      const entry: QueueEntry = { id: socketId, installId: installId!, interests: JSON.parse(interests!), joinedAt: Number(joinedAt), avoid: avoid || undefined };
      const blocked = new Set<string>();
      const order = new Map<string, number>();
      const candidates = (list as string[][])
        .map(([id, install, tags, joined, av, isBlocked, seq]) => {
          if (isBlocked === '1') blocked.add(id!);
          order.set(id!, Number(seq));
          return { id: id!, installId: install!, interests: JSON.parse(tags!) as string[], joinedAt: Number(joined), avoid: av || undefined };
        })
        .sort((a, b) => order.get(a.id)! - order.get(b.id)!);
      const partner = choosePartner(entry, candidates, this.#now(), {
        interestWaitMs: this.options.interestWaitMs,
        canPair: (_, other) => !blocked.has(other.id),
      });
      if (!partner) return 'waiting';
      const common = partner.interests.filter((tag) => entry.interests.includes(tag));
      const [claimed] = await this.#run('tcClaim', partner.id, socketId, randomUUID(), JSON.stringify(common));
      if (claimed === 'ok') return 'matched';
    }
    return (await this.state(socketId)) ?? 'idle';
  }

  /** Runs a script; applies its effects; turns its refusals into MatchmakerErrors. */
  async #run(name: ScriptName, ...args: string[]): Promise<Reply> {
    const { graceMs, tombstoneMs, interestWaitMs } = this.options;
    const common = [String(this.#now()), String(graceMs), String(tombstoneMs), String(interestWaitMs), this.nodeId];
    const command = (this.#redis as unknown as Record<ScriptName, (...a: string[]) => Promise<Reply>>)[name];
    const reply = await this.#call(() => command.call(this.#redis, this.#prefix, ...common, ...args));
    const [code, , effects] = reply;
    if (effects) this.#apply(effects);
    if (code === 'ok' || code === 'retry' || code === 'gone') return reply;
    if (code === 'internal') throw new MatchmakerError('internal', 'Unknown connection.');
    throw new MatchmakerError(code as never, MESSAGES[code] ?? code);
  }

  /** Any Redis failure but a script's own answer is `unavailable`: the person retries, nothing hangs. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof Error && error.name === 'ReplyError' && !/LOADING|BUSY|MASTERDOWN|CLUSTERDOWN/.test(error.message)) {
        this.options.log?.error({ err: error }, 'live state script failed');
        throw error;
      }
      this.#healthy = false;
      throw new MatchmakerError('unavailable', 'The server cannot reach its shared state just now; try again shortly.', RETRY_AFTER_MS);
    }
  }

  #apply(effects: unknown[][]): void {
    const { transport, tokens, iceServers, relayOnly, graceMs } = this.options;
    for (const effect of effects) {
      const [kind, to, a, b, c, d, e, f] = effect.map((value) => (value === undefined ? undefined : String(value)));
      switch (kind) {
        case 'found': {
          const [matchId, role, installId, partnerId, startedAt, common] = [a!, b as 'offerer' | 'answerer', c!, d!, Number(e), JSON.parse(f!) as string[]];
          transport.emit(to!, 'match:found', {
            matchId,
            role,
            polite: role === 'answerer',
            iceServers: iceServers(installId),
            iceTransportPolicy: relayOnly ? 'relay' : 'all',
            commonInterests: common,
            resumeToken: tokens.seal({ matchId, installId, partnerId, role, commonInterests: common, startedAt }),
          });
          break;
        }
        case 'ended':
          transport.emit(to!, 'match:ended', { matchId: a!, reason: b as EndReason });
          break;
        case 'away':
          transport.emit(to!, 'partner:away', { matchId: a!, graceMs });
          break;
        case 'back':
          transport.emit(to!, 'partner:back', { matchId: a! });
          break;
        case 'signal':
          transport.emit(to!, 'signal', JSON.parse(a!) as SignalPayload);
          break;
        case 'kick':
          transport.disconnect(to!);
          break;
        case 'call': {
          const startedAt = Number(a);
          const endedAt = this.#now();
          this.options.onCallEnded?.({
            matchId: to!,
            startedAt: new Date(startedAt),
            endedAt: new Date(endedAt),
            endReason: b as EndReason,
            durationMs: Math.max(0, endedAt - startedAt),
          });
          break;
        }
      }
    }
  }

  /** After an outage: drop what this node lost meanwhile, and ask connections Redis forgot to come back. */
  async #reconcile(): Promise<void> {
    const local = new Set(this.options.localSockets?.() ?? []);
    const known = new Set(await this.#redis.smembers(this.#key('ns', this.nodeId)));
    for (const socketId of known) if (!local.has(socketId)) await this.disconnect(socketId).catch(() => {});
    const lost = [...local].filter((socketId) => !known.has(socketId));
    if (lost.length > 0) {
      this.options.log?.warn(`live state: Redis forgot ${lost.length} connection(s) of this node; asking them to reconnect and resume`);
      this.options.onLost?.(lost);
    }
  }

  #key(kind: string, id?: string): string {
    return id === undefined ? `${this.#prefix}${kind}` : `${this.#prefix}${kind}:${id}`;
  }
}

const MESSAGES: Record<string, string> = {
  in_match: 'Already in a call: send queue:next or queue:leave first.',
  not_in_match: 'No call to signal in.',
  stale_match: 'That call is over or is not yours.',
  partner_away: 'The stranger is away and cannot take more; resend after partner:back.',
  invalid_token: 'Not a valid resume token.',
  not_idle: 'This connection is already waiting or in another call.',
};
