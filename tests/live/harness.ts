/**
 * Live-state implementations under test, built the same way: a recording
 * transport, a clock the test owns, and (for Redis) several nodes sharing one
 * real redis-server, each with its own key prefix per test.
 */
import { randomUUID } from 'node:crypto';
import { Redis } from 'ioredis';
import { MemoryLiveState } from '../../server/live/memory';
import { RedisLiveState } from '../../server/live/redis';
import type { LiveState, LiveStateOptions, Transport } from '../../server/live/types';
import type { SetTimer } from '../../server/services/matchmaker';
import { ResumeTokens } from '../../server/services/resume-token';
import type { TestRedis } from '../helpers/redis';

export interface Sent {
  to: string;
  event: string;
  payload: any;
}

export interface Harness {
  /** One live state per node (memory: always one). */
  nodes: LiveState[];
  sent: Sent[];
  kicked: string[];
  calls: Array<{ matchId: string; endReason: string }>;
  tokens: ResumeTokens;
  now(): number;
  /** Moves the clock (grace timers of the memory one fire) and runs every node's tick. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export const WAIT_MS = 300;
export const GRACE_MS = 1000;

export type Kind = 'memory' | 'redis';

export async function harness(kind: Kind, redis: TestRedis | undefined, nodeCount = 1): Promise<Harness> {
  let clock = Date.UTC(2026, 10, 25);
  const timers: Array<{ at: number; fn: () => void; cancelled: boolean }> = [];
  const setTimer: SetTimer = (fn, ms) => {
    const timer = { at: clock + ms, fn, cancelled: false };
    timers.push(timer);
    return () => void (timer.cancelled = true);
  };
  const sent: Sent[] = [];
  const kicked: string[] = [];
  const calls: Harness['calls'] = [];
  const transport: Transport = {
    emit: (to, event, payload?: unknown) => void sent.push({ to, event, payload }),
    disconnect: (to) => void kicked.push(to),
  };
  const tokens = new ResumeTokens('x'.repeat(32), 60_000);
  const options: LiveStateOptions = {
    transport,
    interestWaitMs: WAIT_MS,
    graceMs: GRACE_MS,
    tombstoneMs: 60_000,
    tokens,
    iceServers: () => [],
    now: () => clock,
    setTimer,
    onCallEnded: (call) => void calls.push({ matchId: call.matchId, endReason: call.endReason }),
  };
  const clients: Redis[] = [];
  let nodes: LiveState[];
  if (kind === 'memory') {
    nodes = [new MemoryLiveState(options)];
  } else {
    const prefix = `t${randomUUID().slice(0, 8)}:{pool}:`;
    nodes = [];
    for (let i = 0; i < nodeCount; i++) {
      const client = new Redis(redis!.url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, lazyConnect: true });
      await client.connect();
      const subscriber = new Redis(redis!.url);
      clients.push(client, subscriber);
      const node = new RedisLiveState({ ...options, redis: client, subscriber, prefix, nodeId: `node${i}` });
      await node.beat();
      nodes.push(node);
    }
    // Effects reach people through each node's channel: every operation resolves once they have all arrived.
    const raw = nodes as RedisLiveState[];
    const drained = () => Promise.all(raw.map((node) => node.drained()));
    nodes = raw.map(
      (node) =>
        new Proxy(node, {
          get(target, property) {
            const value = Reflect.get(target, property, target) as unknown;
            if (typeof value !== 'function' || property === 'drained') return value;
            return (...args: unknown[]) =>
              (value as (...a: unknown[]) => Promise<unknown>).apply(target, args).then(
                async (result) => (await drained(), result),
                async (error: unknown) => {
                  await drained();
                  throw error;
                },
              );
          },
        }),
    );
  }
  return {
    nodes,
    sent,
    kicked,
    calls,
    tokens,
    now: () => clock,
    async advance(ms) {
      clock += ms;
      for (const timer of timers.splice(0)) {
        if (timer.cancelled) continue;
        if (timer.at <= clock) timer.fn();
        else timers.push(timer);
      }
      for (const node of nodes) await node.tick();
    },
    async close() {
      for (const node of nodes) await node.close();
      for (const client of clients) client.disconnect();
    },
  };
}

/** A fresh socket id. */
export const sid = () => randomUUID().replace(/-/g, '').slice(0, 20);
