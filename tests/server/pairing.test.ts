import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MatchEnded, MatchFound, PartnerAway, Stats } from '../../shared/protocol';
import { connectClient, nextEvent, pairUp, recordEvents, sleep, startServer, type Client, type TestServer } from '../helpers/server';

let server: TestServer;
const opened: Client[] = [];
const track = <T extends Client>(socket: T) => (opened.push(socket), socket);

// A fresh server per test: leftovers of one test must not meet the next one's clients.
beforeEach(async () => {
  server = await startServer({ RATE_QUEUE_POINTS: 10_000, RATE_SIGNAL_POINTS: 10_000, RESUME_GRACE_S: 1 });
});
afterEach(async () => {
  for (const socket of opened.splice(0)) socket.close();
  await server.close();
});

async function client(installId?: string) {
  return track(await connectClient(server.url, { installId }));
}

describe('pairing', () => {
  it('pairs two waiting strangers with opposite roles and one polite side', async () => {
    const a = await client();
    const b = await client();
    const foundA = nextEvent(a, 'match:found');
    const foundB = nextEvent(b, 'match:found');
    const ackA = await a.emitWithAck('queue:join', {});
    expect(ackA).toMatchObject({ ok: true, state: 'waiting' });
    const ackB = await b.emitWithAck('queue:join', {});
    expect(ackB).toMatchObject({ ok: true, state: 'matched' });
    const [fa, fb] = await Promise.all([foundA, foundB]);
    // What the server sends conforms to the published schemas.
    expect(MatchFound.safeParse(fa).success).toBe(true);
    expect(MatchFound.safeParse(fb).success).toBe(true);
    expect(fa.matchId).toBe(fb.matchId);
    expect(new Set([fa.role, fb.role])).toEqual(new Set(['offerer', 'answerer']));
    expect(fa.polite).toBe(fa.role === 'answerer');
    expect(fb.polite).toBe(fb.role === 'answerer');
    expect(fa.iceServers).toEqual([]);
  });

  it('is idempotent while waiting and refuses join while matched', async () => {
    const a = await client();
    expect(await a.emitWithAck('queue:join', {})).toMatchObject({ ok: true, state: 'waiting' });
    expect(await a.emitWithAck('queue:join', {})).toMatchObject({ ok: true, state: 'waiting' });
    expect(server.server.matchmaker.stats().waiting).toBe(1);
    const b = await client();
    await b.emitWithAck('queue:join', {});
    expect(await a.emitWithAck('queue:join', {})).toMatchObject({ ok: false, error: { code: 'in_match' } });
  });

  it('never pairs a client with itself or with another connection of the same install', async () => {
    const installId = randomUUID();
    const a = await client(installId);
    const twin = await client(installId);
    const seen = recordEvents(a);
    await a.emitWithAck('queue:join', {});
    await twin.emitWithAck('queue:join', {});
    await sleep(500);
    expect(seen.filter((e) => e.event === 'match:found')).toEqual([]);
    expect(server.server.matchmaker.stats().waiting).toBe(2);
  });

  it('Next ends the call for the partner with reason next and searches again', async () => {
    const { offerer, answerer, matchId } = await pairUp(server.url);
    track(offerer);
    track(answerer);
    const ended = nextEvent(answerer, 'match:ended');
    expect(await offerer.emitWithAck('queue:next', {})).toMatchObject({ ok: true, state: 'waiting' });
    const payload = await ended;
    expect(MatchEnded.safeParse(payload).success).toBe(true);
    expect(payload).toEqual({ matchId, reason: 'next' });
  });

  it('does not re-pair the two people Next just parted while someone else waits', async () => {
    const { offerer: a, answerer: b } = await pairUp(server.url);
    track(a);
    track(b);
    const aSeen = recordEvents(a);
    expect(await a.emitWithAck('queue:next', {})).toMatchObject({ ok: true, state: 'waiting' });
    expect(await b.emitWithAck('queue:next', {})).toMatchObject({ ok: true, state: 'waiting' });
    // Both wait side by side without meeting again; newcomers take them in turn.
    const c = await client();
    const d = await client();
    const cFound = nextEvent(c, 'match:found');
    const dFound = nextEvent(d, 'match:found');
    const bFound = nextEvent(b, 'match:found');
    await c.emitWithAck('queue:join', {});
    await d.emitWithAck('queue:join', {});
    const aMatch = aSeen.find((e) => e.event === 'match:found')?.args[0] as { matchId: string };
    expect(aMatch.matchId).toBe((await cFound).matchId);
    expect((await bFound).matchId).toBe((await dFound).matchId);
  });

  it('with only the two of them, the parted pair waits out the interest window before meeting again', async () => {
    const s = await startServer({ INTEREST_WAIT_MS: 600 });
    try {
      const { offerer: a, answerer: b } = await pairUp(s.url);
      track(a);
      track(b);
      const startedAt = Date.now();
      const found = nextEvent(a, 'match:found', 3000);
      await a.emitWithAck('queue:next', {});
      await b.emitWithAck('queue:join', {});
      await found;
      expect(Date.now() - startedAt).toBeGreaterThanOrEqual(550);
    } finally {
      await s.close();
    }
  });

  it('Leave ends the call for the partner with reason left and goes idle', async () => {
    const { offerer, answerer, matchId } = await pairUp(server.url);
    track(offerer);
    track(answerer);
    const ended = nextEvent(offerer, 'match:ended');
    expect(await answerer.emitWithAck('queue:leave', {})).toEqual({ ok: true, state: 'idle' });
    expect(await ended).toEqual({ matchId, reason: 'left' });
    expect(server.server.matchmaker.session(answerer.id!)?.state).toBe('idle');
  });

  it('Leave from the queue removes you; Next from idle joins', async () => {
    const a = await client();
    await a.emitWithAck('queue:join', {});
    expect(await a.emitWithAck('queue:leave', {})).toEqual({ ok: true, state: 'idle' });
    expect(server.server.matchmaker.stats().waiting).toBe(0);
    expect(await a.emitWithAck('queue:next', {})).toMatchObject({ ok: true, state: 'waiting' });
    expect(await a.emitWithAck('queue:next', {})).toMatchObject({ ok: true, state: 'waiting' });
    expect(server.server.matchmaker.stats().waiting).toBe(1);
  });

  it('a disconnect mid-call tells the partner at once that the stranger is away, and ends it past the grace with a call record', async () => {
    const { offerer, answerer, matchId } = await pairUp(server.url);
    track(answerer);
    const away = nextEvent(answerer, 'partner:away', 500);
    const ended = nextEvent(answerer, 'match:ended', 3000);
    const started = Date.now();
    offerer.close();
    expect(PartnerAway.parse(await away)).toEqual({ matchId, graceMs: 1000 });
    expect(server.server.matchmaker.stats()).toMatchObject({ inCalls: 2, away: 1 });
    expect(await ended).toEqual({ matchId, reason: 'disconnected' });
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(server.server.matchmaker.stats()).toMatchObject({ inCalls: 0, away: 0 });
    await vi.waitFor(async () => expect(await server.store.findCall(matchId)).toBeDefined());
    const record = await server.store.findCall(matchId);
    expect(record).toMatchObject({ matchId, endReason: 'disconnected' });
    expect(record!.durationMs).toBeGreaterThanOrEqual(900);
    expect(Object.keys(record!).sort()).toEqual(['durationMs', 'endReason', 'endedAt', 'matchId', 'startedAt']);
  });

  it('pairs people who share an interest first, and others after the wait', async () => {
    const s = await startServer({ INTEREST_WAIT_MS: 400 });
    try {
      const music = track(await connectClient(s.url));
      const chess = track(await connectClient(s.url));
      const chess2 = track(await connectClient(s.url));
      await music.emitWithAck('queue:join', { interests: ['Music'] });
      await chess.emitWithAck('queue:join', { interests: [' chess ', 'films'] });
      const found = nextEvent(chess2, 'match:found');
      await chess2.emitWithAck('queue:join', { interests: ['CHESS'] });
      expect((await found).commonInterests).toEqual(['chess']);
      // music waits alone; a newcomer without interests meets them once music's wait runs out.
      const loner = track(await connectClient(s.url));
      const lateFound = nextEvent(music, 'match:found', 2000);
      const startedAt = Date.now();
      await loner.emitWithAck('queue:join', {});
      const match = await lateFound;
      expect(match.commonInterests).toEqual([]);
      expect(Date.now() - startedAt).toBeLessThan(1500);
    } finally {
      await s.close();
    }
  });

  it('pushes stats to people who are waiting', async () => {
    const a = await client();
    const ack = await a.emitWithAck('queue:join', {});
    expect(ack).toMatchObject({ ok: true, stats: { waiting: 1 } });
    const stats = await nextEvent(a, 'stats', 2500);
    expect(Stats.safeParse(stats).success).toBe(true);
    expect(stats.waiting).toBe(1);
    expect(stats.online).toBeGreaterThanOrEqual(1);
  });

  it('double Next in the same tick leaves a consistent state', async () => {
    const { offerer, answerer } = await pairUp(server.url);
    track(offerer);
    track(answerer);
    const [first, second] = await Promise.all([offerer.emitWithAck('queue:next', {}), offerer.emitWithAck('queue:next', {})]);
    expect(first).toMatchObject({ ok: true });
    expect(second).toMatchObject({ ok: true });
    const session = server.server.matchmaker.session(offerer.id!)!;
    expect(['waiting', 'matched']).toContain(session.state);
    expect(server.server.matchmaker.session(answerer.id!)!.state).toBe('idle');
  });

  it('survives 1,000 rounds of pair, signal, Next among a few clients', async () => {
    const clients = await Promise.all(Array.from({ length: 6 }, () => client()));
    const matchOf = new Map<Client, string>();
    for (const c of clients) {
      c.on('match:found', ({ matchId }) => matchOf.set(c, matchId));
      c.on('match:ended', () => matchOf.delete(c));
    }
    await Promise.all(clients.map((c) => c.emitWithAck('queue:join', {})));
    let relayed = 0;
    for (let round = 0; round < 1000; round++) {
      const c = clients[round % clients.length];
      const matchId = matchOf.get(c);
      if (matchId) {
        const ack = await c.emitWithAck('signal', { matchId, data: { candidate: null } });
        if (ack.ok) relayed++;
        else expect(['stale_match', 'not_in_match']).toContain(ack.error.code);
      }
      const next = await c.emitWithAck('queue:next', {});
      expect(next.ok).toBe(true);
    }
    expect(relayed).toBeGreaterThan(100);
    const { matchmaker } = server.server;
    for (const session of matchmaker.sessions()) {
      if (session.state === 'matched') {
        const partner = session.match!.offerer === session ? session.match!.answerer : session.match!.offerer;
        expect(partner.match).toBe(session.match);
      }
    }
  }, 60_000);
});

describe('signal relay', () => {
  it('relays to the current partner only; a third client never receives it', async () => {
    const { offerer, answerer, matchId } = await pairUp(server.url);
    track(offerer);
    track(answerer);
    const third = await client();
    const thirdSeen = recordEvents(third);
    const got = nextEvent(answerer, 'signal');
    const data = { description: { type: 'offer' as const, sdp: 'v=0\r\n' } };
    expect(await offerer.emitWithAck('signal', { matchId, data })).toEqual({ ok: true });
    expect(await got).toEqual({ matchId, data });
    // The third client tries to inject into their match: refused, delivered to no one.
    const answererSeen = recordEvents(answerer);
    expect(await third.emitWithAck('signal', { matchId, data })).toMatchObject({ ok: false, error: { code: 'not_in_match' } });
    await sleep(100);
    expect(thirdSeen).toEqual([]);
    expect(answererSeen).toEqual([]);
  });

  it('refuses a stale match id after Next and delivers it to no one', async () => {
    const { offerer, answerer, matchId } = await pairUp(server.url);
    track(offerer);
    track(answerer);
    const c = await client();
    await c.emitWithAck('queue:join', {});
    await offerer.emitWithAck('queue:next', {});
    const seenC = recordEvents(c);
    const seenB = recordEvents(answerer);
    const ack = await offerer.emitWithAck('signal', { matchId, data: { candidate: null } });
    expect(ack).toMatchObject({ ok: false, error: { code: 'stale_match' } });
    await sleep(100);
    expect(seenC.filter((e) => e.event === 'signal')).toEqual([]);
    expect(seenB.filter((e) => e.event === 'signal')).toEqual([]);
  });
});
