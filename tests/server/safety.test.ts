import { createHmac, randomUUID } from 'node:crypto';
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it } from 'vitest';
import { turnServer } from '../../server/services/turn';
import { connectClient, nextEvent, pairUp, recordEvents, sleep, startServer, type Client, type TestServer } from '../helpers/server';

const servers: TestServer[] = [];
const sockets: Client[] = [];
async function server(overrides: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer({ RATE_QUEUE_POINTS: 100_000, RATE_REPORT_POINTS: 1000, ...overrides });
  servers.push(s);
  return s;
}
async function client(url: string, installId = randomUUID()) {
  const socket = await connectClient(url, { installId });
  sockets.push(socket);
  return socket;
}
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const s of servers.splice(0)) await s.close();
});

describe('report', () => {
  it('ends the call for both within a second: the reported side sees a neutral "ended", the reporter searches again', async () => {
    const s = await server();
    const { offerer: reporter, answerer: reported, matchId } = await pairUp(s.url);
    sockets.push(reporter, reported);
    const started = Date.now();
    const ended = nextEvent(reported, 'match:ended', 1000);
    const ack = await reporter.emitWithAck('report', { matchId, reason: 'harassment', details: 'rude' });
    expect(ack).toMatchObject({ ok: true, state: 'waiting' });
    expect(await ended).toEqual({ matchId, reason: 'ended' });
    expect(Date.now() - started).toBeLessThan(1000);
    await sleep(50);
    const stored = await s.store.reportsAgainst(s.server.matchmaker.session(reported.id!)!.installId);
    expect(stored).toMatchObject([{ reason: 'harassment', details: 'rude', status: 'open' }]);
  });

  it('refuses a report for a call that is not yours', async () => {
    const s = await server();
    const { offerer, answerer } = await pairUp(s.url);
    sockets.push(offerer, answerer);
    const outsider = await client(s.url);
    const ack = await outsider.emitWithAck('report', { matchId: randomUUID(), reason: 'spam' });
    expect(ack).toMatchObject({ ok: false, error: { code: 'stale_match' } });
  });

  it('blocks the pair: they are never matched again in 1,000 pairings', async () => {
    const s = await server({ INTEREST_WAIT_MS: 0 });
    const { offerer: a, answerer: b, matchId } = await pairUp(s.url);
    sockets.push(a, b);
    await a.emitWithAck('report', { matchId, reason: 'spam' });
    const others = [await client(s.url), await client(s.url), await client(s.url)];
    const everyone = [a, b, ...others];
    const partnerOf = new Map<string, string>();
    let pairings = 0;
    let abMatches = 0;
    const matchMembers = new Map<string, Client[]>();
    for (const c of everyone) {
      c.on('match:found', ({ matchId: id }) => {
        const members = [...(matchMembers.get(id) ?? []), c];
        matchMembers.set(id, members);
        if (members.length === 2) {
          pairings++;
          if (members.includes(a) && members.includes(b)) abMatches++;
          partnerOf.set(members[0].id!, members[1].id!);
        }
      });
    }
    await Promise.all(everyone.map((c) => c.emitWithAck('queue:join', {})));
    for (let round = 0; pairings < 1000 && round < 20_000; round++) {
      await everyone[round % everyone.length].emitWithAck('queue:next', {});
    }
    expect(pairings).toBeGreaterThanOrEqual(1000);
    expect(abMatches).toBe(0);
  }, 60_000);
});

describe('bans', () => {
  it('bans an install after N distinct reporters; it is dropped and refused at connect with the end time', async () => {
    const s = await server({ REPORT_BAN_THRESHOLD: 3, BAN_BASE_S: 3600 });
    const badId = randomUUID();
    const bad = await client(s.url, badId);
    for (let i = 0; i < 3; i++) {
      const reporter = await client(s.url);
      const found = nextEvent(bad, 'match:found');
      await bad.emitWithAck('queue:join', {});
      await reporter.emitWithAck('queue:join', {});
      const { matchId } = await found;
      const dropped = i === 2 ? new Promise((resolve) => bad.once('disconnect', resolve)) : undefined;
      const ended = nextEvent(bad, 'match:ended');
      await reporter.emitWithAck('report', { matchId, reason: 'nudity' });
      await ended;
      if (dropped) expect(await dropped).toBe('io server disconnect');
      reporter.close();
    }
    const refusal = await connectClient(s.url, { installId: badId }).then(
      () => undefined,
      (error: Error & { data?: { until: string } }) => error,
    );
    expect(refusal?.message).toBe('banned');
    const until = Date.parse(refusal!.data!.until);
    expect(until - Date.now()).toBeGreaterThan(3500_000);
    expect(until - Date.now()).toBeLessThanOrEqual(3600_000);
  });

  it('doubles the ban period for a repeat offence', async () => {
    const s = await server({ REPORT_BAN_THRESHOLD: 1, BAN_BASE_S: 60, BAN_MAX_S: 1000 });
    const id = randomUUID();
    const report = async (record: Parameters<typeof s.server.safety.decideBan>[0]) => {
      expect(await s.server.safety.saveReport(record)).toBe(true);
      return s.server.safety.decideBan(record);
    };
    const first = await report({ reporterId: randomUUID(), reportedId: id, matchId: 'm1', reason: 'spam', at: new Date(0) });
    expect(first!.until.getTime() - 0).toBe(60_000);
    const second = await report({ reporterId: randomUUID(), reportedId: id, matchId: 'm2', reason: 'spam', at: new Date(120_000) });
    expect(second).toMatchObject({ offence: 2 });
    expect(second!.until.getTime() - 120_000).toBe(120_000);
  });

  it('checks the ban on a recovered reconnect too (connection state recovery)', async () => {
    const s = await server();
    const url = s.url;
    const open = (installId: string) => {
      const socket = connect(url, { transports: ['websocket'], forceNew: true, auth: { installId }, reconnectionDelay: 50, reconnectionDelayMax: 50 });
      sockets.push(socket);
      return socket;
    };
    // Control: a brief drop is recovered (same session restored). Recovery resumes from the
    // offset of the last buffered packet, so wait for a stats push first.
    const ok = open(randomUUID());
    await new Promise<void>((r) => ok.once('connect', () => r()));
    await ok.emitWithAck('queue:join', {});
    await new Promise((r) => ok.once('stats', r));
    ok.io.engine.close();
    await new Promise<void>((r) => ok.once('connect', () => r()));
    expect(ok.recovered).toBe(true);

    // A client banned while its connection is down is refused when it comes back.
    const badId = randomUUID();
    const bad = open(badId);
    await new Promise<void>((r) => bad.once('connect', () => r()));
    await bad.emitWithAck('queue:join', {});
    await new Promise((r) => bad.once('stats', r));
    await s.store.addBan({ installId: badId, offence: 1, reason: 'spam', by: 'auto', at: new Date(), until: new Date(Date.now() + 60_000) });
    bad.io.engine.close();
    const error = await new Promise<Error>((resolve) => bad.once('connect_error', resolve));
    expect(error.message).toBe('banned');
  });
});

describe('rate limits under a flood', () => {
  it('slows a Next-spamming bot while a control pair keeps relaying', async () => {
    const s = await server({ RATE_QUEUE_POINTS: 20, RATE_QUEUE_WINDOW_S: 10 });
    const { offerer, answerer, matchId } = await pairUp(s.url);
    sockets.push(offerer, answerer);
    const bot = await client(s.url);
    const received = recordEvents(answerer);
    const flood = Promise.all(Array.from({ length: 2000 }, () => bot.emitWithAck('queue:next', {})));
    const controlAcks = [];
    for (let i = 0; i < 200; i++) controlAcks.push(await offerer.emitWithAck('signal', { matchId, data: { candidate: null } }));
    const botAcks = await flood;
    expect(controlAcks.every((ack) => ack.ok)).toBe(true);
    await sleep(100);
    expect(received.filter((e) => e.event === 'signal')).toHaveLength(200);
    const served = botAcks.filter((ack) => ack.ok).length;
    expect(served).toBeLessThanOrEqual(20);
    const limited = botAcks.find((ack) => !ack.ok);
    expect(limited).toMatchObject({ ok: false, error: { code: 'rate_limited', retryAfterMs: expect.any(Number) } });
  });
});

describe('per-address rate limits', () => {
  it('caps all connections from one address together, at RATE_ADDRESS_FACTOR times one connection', async () => {
    const s = await server({ RATE_QUEUE_POINTS: 5, RATE_QUEUE_WINDOW_S: 60, RATE_ADDRESS_FACTOR: 2 });
    const clients = [await client(s.url), await client(s.url), await client(s.url)];
    const served: number[] = [];
    for (const c of clients) {
      let ok = 0;
      for (let i = 0; i < 5; i++) if ((await c.emitWithAck('queue:leave', {})).ok) ok++;
      served.push(ok);
    }
    // Each connection may spend 5, but the address only 10 in all.
    expect(served).toEqual([5, 5, 0]);
  });
});

describe('TURN, relay only', () => {
  it('issues coturn REST credentials per install', () => {
    const server = turnServer({ urls: ['turn:127.0.0.1:3478'], secret: 'a-very-secret-secret', ttlS: 600 }, 'install-1', 1_000_000);
    expect(server.username).toBe(`${1000 + 600}:install-1`);
    expect(server.credential).toBe(createHmac('sha1', 'a-very-secret-secret').update(`${1600}:install-1`).digest('base64'));
  });

  it('sends relay-only matches with TURN, refuses other candidates and strips them from SDP', async () => {
    const s = await server({ TURN_URLS: ['turn:127.0.0.1:3478'], TURN_SECRET: 'a-very-secret-secret' });
    const a = await client(s.url);
    const b = await client(s.url);
    const found = nextEvent(a, 'match:found');
    const foundB = nextEvent(b, 'match:found');
    await a.emitWithAck('queue:join', {});
    await b.emitWithAck('queue:join', {});
    const match = await found;
    expect(match.iceTransportPolicy).toBe('relay');
    expect(match.iceServers.at(-1)).toMatchObject({ urls: ['turn:127.0.0.1:3478'], username: expect.stringMatching(/^\d+:/) });
    // Each side gets its own credentials.
    expect((await foundB).iceServers.at(-1)!.username).not.toBe(match.iceServers.at(-1)!.username);

    const host = { candidate: { candidate: 'candidate:1 1 udp 2122260223 192.168.1.7 50000 typ host', sdpMid: '0', sdpMLineIndex: 0 } };
    const relay = { candidate: { candidate: 'candidate:2 1 udp 41885439 127.0.0.1 50001 typ relay raddr 0.0.0.0 rport 0', sdpMid: '0', sdpMLineIndex: 0 } };
    const got = recordEvents(b);
    expect(await a.emitWithAck('signal', { matchId: match.matchId, data: host })).toMatchObject({ ok: false, error: { code: 'relay_only' } });
    expect(await a.emitWithAck('signal', { matchId: match.matchId, data: relay })).toEqual({ ok: true });
    const sdp = ['v=0', 'a=candidate:1 1 udp 2122260223 10.0.0.2 5000 typ host', 'a=candidate:3 1 udp 1 127.0.0.1 5001 typ relay raddr 0.0.0.0 rport 0', 'a=end-of-candidates', ''].join('\r\n');
    await a.emitWithAck('signal', { matchId: match.matchId, data: { description: { type: 'offer', sdp } } });
    await sleep(50);
    const relayed = got.filter((e) => e.event === 'signal').map((e) => JSON.stringify(e.args[0]));
    expect(relayed).toHaveLength(2);
    expect(relayed.join()).not.toMatch(/typ (host|srflx|prflx)/);
    expect(relayed.join()).toContain('typ relay');
  });
});
