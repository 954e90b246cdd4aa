/**
 * One contract, every live state: in memory and on Redis (a real
 * redis-server) must behave identically, driven through the same port.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../shared/limits';
import type { LiveState } from '../../server/live/types';
import { RedisLiveState } from '../../server/live/redis';
import { startRedis, type TestRedis } from '../helpers/redis';
import { GRACE_MS, WAIT_MS, harness, sid, type Harness, type Kind } from './harness';

let redis: TestRedis;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const offer = { description: { type: 'offer' as const, sdp: 'v=0' } };

function contract(kind: Kind) {
  describe(`live state contract: ${kind}`, () => {
    let h: Harness;
    let live: LiveState;
    const open = async (nodes = 1) => {
      h = await harness(kind, redis, nodes);
      live = h.nodes[0]!;
      return h;
    };
    afterEach(() => h?.close());

    const person = async (installId = randomUUID(), on = live) => {
      const id = sid();
      await on.connect(id, installId);
      return { id, installId };
    };
    const found = (to: string) => h.sent.filter((m) => m.to === to && m.event === 'match:found').map((m) => m.payload);
    const events = (to: string, event: string) => h.sent.filter((m) => m.to === to && m.event === event).map((m) => m.payload);
    const pair = async () => {
      const a = await person();
      const b = await person();
      expect(await live.join(a.id, [])).toBe('waiting');
      expect(await live.join(b.id, [])).toBe('matched');
      const [fa] = found(a.id);
      const [fb] = found(b.id);
      return { a, b, matchId: fa.matchId as string, fa, fb };
    };

    it('pairs two joiners once, the one who waited longer offers, and counts them', async () => {
      await open();
      const { a, b, fa, fb } = await pair();
      expect(fa).toMatchObject({ role: 'offerer', polite: false, commonInterests: [] });
      expect(fb).toMatchObject({ role: 'answerer', polite: true, matchId: fa.matchId });
      expect(h.tokens.open(fa.resumeToken)).toMatchObject({ ok: true, claims: { installId: a.installId, partnerId: b.installId, role: 'offerer' } });
      expect(await live.stats()).toEqual({ online: 2, waiting: 0, inCalls: 2, away: 0 });
    });

    it('refuses join while matched, and never pairs two connections of one install', async () => {
      await open();
      const { a } = await pair();
      await expect(live.join(a.id, [])).rejects.toMatchObject({ code: 'in_match' });
      const install = randomUUID();
      const x = await person(install);
      const y = await person(install);
      await live.join(x.id, []);
      expect(await live.join(y.id, [])).toBe('waiting');
      await h.advance(WAIT_MS * 3);
      expect(found(x.id)).toEqual([]);
      expect((await live.stats()).waiting).toBe(2);
    });

    it('prefers a shared interest, and opens people with interests to anyone after the wait', async () => {
      await open();
      const plain = await person();
      const chess = await person();
      const chess2 = await person();
      await live.join(plain.id, []);
      expect(await live.join(chess.id, ['chess'])).toBe('waiting');
      expect(await live.join(chess2.id, ['chess'])).toBe('matched');
      expect(found(chess.id)[0]).toMatchObject({ commonInterests: ['chess'] });
      const go = await person();
      await live.join(go.id, ['go']);
      expect(found(go.id)).toEqual([]);
      await h.advance(WAIT_MS);
      expect(found(go.id)).toHaveLength(1);
      expect(found(plain.id)[0].matchId).toBe(found(go.id)[0].matchId);
    });

    it('a re-join that changes interests keeps the turn and the wait already served: still open to anyone', async () => {
      await open();
      const go = await person();
      await live.join(go.id, ['go']);
      await h.advance(WAIT_MS); // the wait ran out: open to anyone
      expect(await live.join(go.id, ['chess'])).toBe('waiting');
      const plain = await person();
      expect(await live.join(plain.id, [])).toBe('matched');
      expect(found(go.id)[0].matchId).toBe(found(plain.id)[0].matchId);
    });

    it('finds an open stranger behind many people still waiting for their interests (no whole-queue scan on Redis)', async () => {
      await open();
      for (let i = 0; i < 80; i++) await live.join((await person()).id, [`tag${i}`]);
      const a = await person();
      const b = await person();
      await live.join(a.id, []);
      expect(await live.join(b.id, [])).toBe('matched');
      expect(found(a.id)[0].matchId).toBe(found(b.id)[0].matchId);
      expect((await live.stats()).waiting).toBe(80);
    });

    it('Next tells the partner `next`, searches again, and avoids the last partner while someone else waits', async () => {
      await open();
      const { a, b, matchId } = await pair();
      expect(await live.next(a.id)).toBe('waiting');
      expect(events(b.id, 'match:ended')).toEqual([{ matchId, reason: 'next' }]);
      expect(h.calls).toEqual([{ matchId, endReason: 'next' }]);
      expect(await live.join(b.id, [])).toBe('waiting');
      const c = await person();
      expect(await live.join(c.id, [])).toBe('matched');
      expect(found(c.id)[0].matchId).toBe(found(a.id)[1].matchId);
      // Only the two of them: they meet again once both waited out the interest window.
      await live.leave(a.id);
      await live.leave(c.id);
      expect(await live.join(a.id, [])).toBe('waiting');
      expect(found(b.id)).toHaveLength(1);
      await h.advance(WAIT_MS);
      expect(found(b.id)).toHaveLength(2);
      expect(found(b.id)[1].matchId).toBe(found(a.id)[2].matchId);
    });

    it('a dropped connection turns away: the partner is told, signals are held, the grace ends it as `disconnected`', async () => {
      await open();
      const { a, b, matchId } = await pair();
      await live.disconnect(a.id);
      expect(events(b.id, 'partner:away')).toEqual([{ matchId, graceMs: GRACE_MS }]);
      expect(await live.stats()).toMatchObject({ online: 1, inCalls: 2, away: 1 });
      await live.relay(b.id, matchId, offer);
      expect(events(a.id, 'signal')).toEqual([]);
      await h.advance(GRACE_MS);
      expect(events(b.id, 'match:ended')).toEqual([{ matchId, reason: 'disconnected' }]);
      expect(await live.state(b.id)).toBe('idle');
      expect(await live.stats()).toMatchObject({ online: 1, inCalls: 0, away: 0 });
      expect(h.calls).toEqual([{ matchId, endReason: 'disconnected' }]);
    });

    it('resume from the token on a fresh connection takes the seat back: partner:back, then the held signals in order', async () => {
      await open();
      const { a, b, matchId, fa } = await pair();
      await live.disconnect(a.id);
      await live.relay(b.id, matchId, offer);
      await live.relay(b.id, matchId, { candidate: null });
      const fresh = await person(a.installId);
      const { ack, deliver } = await live.resume(fresh.id, fa.resumeToken);
      expect(ack).toMatchObject({ state: 'matched', matchId, partner: 'present', role: 'offerer', polite: false });
      expect(events(b.id, 'partner:back')).toEqual([{ matchId }]);
      expect(events(fresh.id, 'signal')).toEqual([]);
      deliver?.();
      expect(events(fresh.id, 'signal')).toEqual([{ matchId, data: offer }, { matchId, data: { candidate: null } }]);
      await live.relay(b.id, matchId, offer);
      expect(events(fresh.id, 'signal')).toHaveLength(3);
      await live.relay(fresh.id, matchId, offer);
      expect(events(b.id, 'signal')).toEqual([{ matchId, data: offer }]);
      // The same token again from this connection answers the same.
      expect((await live.resume(fresh.id, fa.resumeToken)).ack).toMatchObject({ state: 'matched', matchId });
    });

    it('holds at most LIMITS.heldSignals for an away partner, then refuses with partner_away', async () => {
      await open();
      const { a, b, matchId } = await pair();
      await live.disconnect(a.id);
      for (let i = 0; i < LIMITS.heldSignals; i++) await live.relay(b.id, matchId, offer);
      await expect(live.relay(b.id, matchId, offer)).rejects.toMatchObject({ code: 'partner_away' });
    });

    it('relays to the partner only, and refuses stale or missing matches', async () => {
      await open();
      const { a, b, matchId } = await pair();
      const c = await person();
      await live.relay(a.id, matchId, offer);
      expect(events(b.id, 'signal')).toEqual([{ matchId, data: offer }]);
      await expect(live.relay(c.id, matchId, offer)).rejects.toMatchObject({ code: 'not_in_match' });
      await live.next(a.id);
      await expect(live.relay(b.id, matchId, offer)).rejects.toMatchObject({ code: 'not_in_match' });
      expect(events(c.id, 'signal')).toEqual([]);
    });

    it('a second connection of the same install resuming takes the call over; the older is told `ended`', async () => {
      await open();
      const { a, matchId, fa } = await pair();
      const twin = await person(a.installId);
      expect((await live.resume(twin.id, fa.resumeToken)).ack).toMatchObject({ state: 'matched', matchId, partner: 'present' });
      expect(events(a.id, 'match:ended')).toEqual([{ matchId, reason: 'ended' }]);
      expect(await live.state(a.id)).toBe('idle');
    });

    it('refuses foreign, forged and busy resumes; an ended call is told `match:ended` and left idle', async () => {
      await open();
      const { a, b, matchId, fa } = await pair();
      const stranger = await person();
      await expect(live.resume(stranger.id, fa.resumeToken)).rejects.toMatchObject({ code: 'invalid_token' });
      await expect(live.resume(stranger.id, `${fa.resumeToken.slice(0, -2)}AA`)).rejects.toMatchObject({ code: 'invalid_token' });
      const busy = await person(a.installId);
      await live.join(busy.id, []);
      await expect(live.resume(busy.id, fa.resumeToken)).rejects.toMatchObject({ code: 'not_idle' });
      await live.leave(b.id);
      const late = await person(a.installId);
      expect((await live.resume(late.id, fa.resumeToken)).ack).toEqual({ state: 'idle' });
      expect(events(late.id, 'match:ended')).toEqual([{ matchId, reason: 'left' }]);
    });

    it('report: the target is the current partner; ending by report tells the reported side `ended`; the block keeps them apart', async () => {
      await open();
      const { a, b, matchId } = await pair();
      await expect(live.reportTarget(a.id, 'nope')).rejects.toMatchObject({ code: 'stale_match' });
      expect(await live.reportTarget(a.id, matchId)).toEqual({ reporterId: a.installId, reportedId: b.installId });
      await live.endByReport(matchId, a.installId);
      await live.block(a.installId, b.installId);
      expect(events(b.id, 'match:ended')).toEqual([{ matchId, reason: 'ended' }]);
      expect(events(a.id, 'match:ended')).toEqual([]);
      expect(await live.isBlocked(b.installId, a.installId)).toBe(true);
      await live.join(a.id, []);
      await live.join(b.id, []);
      await h.advance(WAIT_MS * 3);
      expect(found(a.id)).toHaveLength(1);
      expect((await live.stats()).waiting).toBe(2);
    });

    it('a ban ends the install\'s calls (the stranger is told `ended`), closes its connections and is remembered until it ends', async () => {
      await open();
      const { a, b, matchId } = await pair();
      const until = new Date(h.now() + 60_000);
      await live.ban(b.installId, until);
      expect(events(a.id, 'match:ended')).toEqual([{ matchId, reason: 'ended' }]);
      expect(h.kicked).toEqual([b.id]);
      expect((await live.bannedUntil(b.installId))?.getTime()).toBe(until.getTime());
      expect(await live.bannedUntil(a.installId)).toBeUndefined();
    });

    it('a lift forgets the ban at once: the install pairs again; a lift of someone not banned changes nothing', async () => {
      await open();
      const { b } = await pair();
      await live.ban(b.installId, new Date(h.now() + 60_000));
      await live.lift(b.installId);
      expect(await live.bannedUntil(b.installId)).toBeUndefined();
      const back = await person(b.installId);
      const other = await person();
      expect(await live.join(back.id, [])).toBe('waiting');
      expect(await live.join(other.id, [])).toBe('matched');
      expect(found(back.id)).toHaveLength(1);
      await live.lift(other.installId);
      expect(await live.bannedUntil(other.installId)).toBeUndefined();
    });

    it('caps connections per address, and frees a slot on release', async () => {
      await open();
      expect(await live.admitAddress('addr', 2)).toBe(true);
      expect(await live.admitAddress('addr', 2)).toBe(true);
      expect(await live.admitAddress('addr', 2)).toBe(false);
      await live.releaseAddress('addr');
      expect(await live.admitAddress('addr', 2)).toBe(true);
      expect(await live.admitAddress('other', 2)).toBe(true);
    });

    if (kind === 'redis') {
      it('across nodes: people on different nodes are paired, and a ban on one node reaches a connection on another', async () => {
        await open(3);
        const [n0, , n2] = h.nodes as [LiveState, LiveState, LiveState];
        const a = await person(randomUUID(), n0);
        const b = await person(randomUUID(), n2);
        await n0.join(a.id, []);
        expect(await n2.join(b.id, [])).toBe('matched');
        const matchId = found(a.id)[0].matchId;
        await n0.ban(b.installId, new Date(h.now() + 60_000));
        expect(events(a.id, 'match:ended')).toEqual([{ matchId, reason: 'ended' }]);
        expect(h.kicked).toEqual([b.id]);
      });

      it('across nodes: a lift on one node lets the install in and paired on every other at once', async () => {
        await open(3);
        const [n0, n1, n2] = h.nodes as [LiveState, LiveState, LiveState];
        const installId = randomUUID();
        await n0.ban(installId, new Date(h.now() + 60_000));
        expect(await n1.bannedUntil(installId)).toBeDefined();
        await n2.lift(installId);
        expect(await n0.bannedUntil(installId)).toBeUndefined();
        expect(await n1.bannedUntil(installId)).toBeUndefined();
        const a = await person(installId, n1);
        const b = await person(randomUUID(), n0);
        await n1.join(a.id, []);
        expect(await n0.join(b.id, [])).toBe('matched');
        expect(found(a.id)).toHaveLength(1);
      });

      it('a dead node\'s people are never paired: waiting ones drop, matched ones turn away within seconds', async () => {
        await open(2);
        const [n0, n1] = h.nodes as [RedisLiveState, RedisLiveState];
        const x = await person(randomUUID(), n0);
        const ghost = await person(randomUUID(), n1);
        await n0.join(x.id, []);
        expect(await n1.join(ghost.id, [])).toBe('matched');
        const matchId = found(x.id)[0].matchId;
        const z = await person(randomUUID(), n1);
        await n1.join(z.id, []);
        await n1.die();
        const fresh = await person(randomUUID(), n0);
        expect(await n0.join(fresh.id, [])).toBe('waiting');
        // The heartbeat lapses within HEARTBEAT_TTL_MS; then any node's tick reaps.
        await new Promise((r) => setTimeout(r, 3100));
        await n0.tick();
        expect(found(fresh.id)).toEqual([]);
        expect(events(x.id, 'partner:away')).toEqual([{ matchId, graceMs: GRACE_MS }]);
        expect(await n0.stats()).toEqual({ online: 2, waiting: 1, inCalls: 2, away: 1 });
      });
    }
  });
}

contract('memory');
contract('redis');
