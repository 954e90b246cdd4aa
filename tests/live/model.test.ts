/**
 * Model test, every live state: random sequences of connect, join (with
 * interests), Next, leave, drop, resume, signal, report (which blocks), ban
 * and time passing; invariants checked after each step. On Redis it also runs
 * with three nodes issuing each step's operations concurrently.
 */
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionView } from '../../server/live/types';
import { startRedis, type TestRedis } from '../helpers/redis';
import { GRACE_MS, WAIT_MS, harness, sid, type Kind } from './harness';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

type Op =
  | { kind: 'connect'; install: number }
  | { kind: 'join'; who: number; interests?: string[] }
  | { kind: 'next' | 'leave' | 'drop' | 'resume' | 'signal' | 'report' | 'ban'; who: number }
  | { kind: 'time'; advance: number };

const op: fc.Arbitrary<Op> = fc.oneof(
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('connect' as const), install: fc.nat(5) }) },
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('join' as const), who: fc.nat(30), interests: fc.option(fc.subarray(['a', 'b']), { nil: undefined }) }) },
  {
    weight: 6,
    arbitrary: fc.record({
      kind: fc.constantFrom('next' as const, 'leave' as const, 'drop' as const, 'resume' as const, 'signal' as const, 'report' as const, 'ban' as const),
      who: fc.nat(30),
    }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('time' as const), advance: fc.constantFrom(50, WAIT_MS, GRACE_MS) }) },
);

/** Refusals a person can legitimately get; anything else is a bug. */
const EXPECTED = new Set(['in_match', 'not_in_match', 'stale_match', 'not_idle', 'partner_away', 'token_expired', 'invalid_token']);

async function run(kind: Kind, nodeCount: number, batches: Op[][]) {
  const h = await harness(kind, redis, nodeCount);
  try {
    const conns: Array<{ id: string; installId: string; node: number; dead: boolean; token?: string; matchId?: string; goneAt?: number }> = [];
    /** Banned installs, and how many messages had been sent once the ban was in force. */
    const banned = new Map<string, number>();
    const blocked = new Set<string>();
    const pairKey = (a: string, b: string) => [a, b].sort().join('|');
    let seen = 0;
    /** Every new match:found went to both sides, two installs, never a blocked pair. */
    const checkFound = (from: number) => {
      const found = h.sent.slice(from).filter((m) => m.event === 'match:found');
      for (const m of found) {
        const other = found.find((o) => o !== m && o.payload.matchId === m.payload.matchId);
        expect(other, 'match:found to both sides').toBeDefined();
        const [a, b] = [m, other!].map((x) => conns.find((o) => o.id === x.to)!);
        expect(a.installId).not.toBe(b.installId);
        expect(blocked.has(pairKey(a.installId, b.installId)), 'a blocked pair paired').toBe(false);
      }
    };
    for (const batch of batches) {
      const busy = new Set<number>();
      const tasks: Array<() => Promise<unknown>> = [];
      for (const step of batch) {
        if (step.kind === 'time') {
          await h.advance(step.advance);
          continue;
        }
        if (step.kind === 'connect') {
          const installId = `install-${step.install}`;
          if (banned.has(installId)) continue;
          const id = sid();
          const node = conns.length % h.nodes.length;
          conns.push({ id, installId, node, dead: false });
          await h.nodes[node]!.connect(id, installId);
          continue;
        }
        const index = step.who % Math.max(conns.length, 1);
        const c = conns[index];
        if (!c || c.dead || busy.has(index)) continue;
        busy.add(index);
        const live = h.nodes[c.node]!;
        tasks.push(async () => {
          switch (step.kind) {
            case 'join':
              return live.join(c.id, step.interests);
            case 'next':
              return live.next(c.id);
            case 'leave':
              return live.leave(c.id);
            case 'drop':
              c.dead = true;
              await live.disconnect(c.id);
              // From here on nothing may pair it (before, a concurrent pairing is a fair race).
              c.goneAt = h.sent.length;
              return;
            case 'signal':
              return c.matchId && live.relay(c.id, c.matchId, { candidate: null });
            case 'resume': {
              // A dropped person comes back on a fresh connection (on another node) with their last token.
              const gone = conns.find((o) => o.dead && o.installId === c.installId && o.token);
              if (!gone?.token) return;
              const fresh = { id: sid(), installId: c.installId, node: (c.node + 1) % h.nodes.length, dead: false };
              conns.push(fresh);
              await h.nodes[fresh.node]!.connect(fresh.id, fresh.installId);
              const { ack, deliver } = await h.nodes[fresh.node]!.resume(fresh.id, gone.token);
              deliver?.();
              gone.token = undefined;
              if (ack.state === 'matched') Object.assign(fresh, { token: ack.resumeToken, matchId: ack.matchId });
              return;
            }
            case 'report': {
              if (!c.matchId) return;
              const { reporterId, reportedId } = await live.reportTarget(c.id, c.matchId);
              blocked.add(pairKey(reporterId, reportedId));
              await live.endByReport(c.matchId, reporterId);
              await live.block(reporterId, reportedId);
              // As the report handler does: the reporter searches again.
              if ((await live.state(c.id)) === 'idle') await live.join(c.id, undefined);
              return;
            }
            case 'ban':
              await live.ban(c.installId, new Date(h.now() + 3_600_000));
              banned.set(c.installId, h.sent.length);
              return;
          }
        });
      }
      // One step's operations at once (on Redis, from several nodes); refusals must be ones a person can get.
      const results = await Promise.allSettled(tasks.map((task) => task()));
      for (const result of results) {
        if (result.status === 'rejected') expect(EXPECTED, String(result.reason?.stack ?? result.reason)).toContain(result.reason?.code);
      }
      for (const kicked of h.kicked) {
        const c = conns.find((o) => o.id === kicked);
        if (c && !c.dead) {
          c.dead = true;
          await h.nodes[c.node]!.disconnect(c.id);
          c.goneAt = h.sent.length;
        }
      }

      // What people were told: tokens and matches as a client tracks them.
      for (const [i, message] of h.sent.entries()) {
        if (i < seen) continue;
        const c = conns.find((o) => o.id === message.to);
        if (message.event === 'match:found') {
          expect(c && c.goneAt !== undefined && i >= c.goneAt, 'match:found to a dropped connection').toBe(false);
          expect(i >= (banned.get(c!.installId) ?? Infinity), 'a banned install paired').toBe(false);
          Object.assign(c!, { token: message.payload.resumeToken, matchId: message.payload.matchId });
        }
        if (message.event === 'match:ended' && c?.matchId === message.payload.matchId) c!.matchId = undefined;
      }
      checkFound(seen);
      seen = h.sent.length;

      const views = await h.nodes[0]!.snapshot();
      const byId = new Map<string, SessionView>(views.map((v) => [v.socketId, v]));
      const inMatch = new Map<string, string>();
      for (const v of views) {
        if (v.state === 'matched' || v.state === 'away') {
          expect(v.matchId).toBeDefined();
          expect(inMatch.has(v.socketId), 'nobody in two matches').toBe(false);
          inMatch.set(v.socketId, v.matchId!);
          const partner = byId.get(v.partner!);
          // Pairs are symmetric; the partner is in the same match, in the other seat.
          expect(partner?.matchId).toBe(v.matchId);
          expect(partner?.partner).toBe(v.socketId);
          expect(partner?.installId).not.toBe(v.installId);
          if (v.state === 'matched') expect(conns.find((o) => o.id === v.socketId)?.dead ?? false, 'a dropped connection still matched').toBe(false);
        } else {
          expect(v.matchId).toBeUndefined();
        }
        if (v.state !== 'away') {
          // No ghosts: every connected session is a live connection.
          const c = conns.find((o) => o.id === v.socketId);
          expect(c && !c.dead, `ghost session ${v.state}`).toBe(true);
        }
      }
      const stats = await h.nodes[0]!.stats();
      expect(stats.waiting).toBe(views.filter((v) => v.state === 'waiting').length);
      expect(stats.inCalls).toBe(inMatch.size);
      expect(stats.away).toBe(views.filter((v) => v.state === 'away').length);
      expect(stats.online).toBe(views.filter((v) => v.state !== 'away').length);
    }
    // Nobody stuck: once everyone waited out the interest window, no two compatible people both wait.
    await h.advance(WAIT_MS);
    await h.advance(WAIT_MS);
    checkFound(seen);
    const waiting = (await h.nodes[0]!.snapshot()).filter((v) => v.state === 'waiting');
    for (const a of waiting) {
      for (const b of waiting) {
        if (a.installId < b.installId) expect(blocked.has(pairKey(a.installId, b.installId)), `${a.installId} and ${b.installId} both wait`).toBe(true);
      }
    }
  } finally {
    await h.close();
  }
}

describe('live state model test', () => {
  it('memory: invariants hold after every step', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op.map((o) => [o]), { minLength: 30, maxLength: 80 }), (batches) => run('memory', 1, batches)), { numRuns: 100 });
  }, 120_000);

  it('redis, one node: invariants hold after every step', async () => {
    await fc.assert(fc.asyncProperty(fc.array(op.map((o) => [o]), { minLength: 30, maxLength: 80 }), (batches) => run('redis', 1, batches)), { numRuns: 40 });
  }, 120_000);

  it('redis, three nodes issuing each step\'s operations concurrently: invariants hold', async () => {
    await fc.assert(fc.asyncProperty(fc.array(fc.array(op, { minLength: 1, maxLength: 6 }), { minLength: 15, maxLength: 40 }), (batches) => run('redis', 3, batches)), {
      numRuns: 30,
    });
  }, 180_000);
});
