/**
 * A call survives its signaling path, over real sockets to a real server:
 * drops, resumes on a fresh socket and on a recovered one, held signals,
 * grace expiry, tombstones, takeovers and refused tokens.
 */
import { randomUUID } from 'node:crypto';
import { io as connect } from 'socket.io-client';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEV_RESUME_SECRET } from '../../server/config';
import { ResumeTokens } from '../../server/services/resume-token';
import { LIMITS } from '../../shared/limits';
import { MatchFound, ResumeMatched, type SignalData } from '../../shared/protocol';
import { connectClient, nextEvent, recordEvents, sleep, startServer, type Client, type TestServer } from '../helpers/server';

const servers: TestServer[] = [];
const sockets: Client[] = [];
afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  for (const s of servers.splice(0)) await s.close();
});

async function server(overrides: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer({ RATE_QUEUE_POINTS: 10_000, RATE_SIGNAL_POINTS: 10_000, RESUME_GRACE_S: 3, ...overrides });
  servers.push(s);
  return s;
}

async function client(url: string, installId: string = randomUUID()) {
  const socket = await connectClient(url, { installId });
  sockets.push(socket);
  return socket;
}

interface Side {
  socket: Client;
  installId: string;
  found: MatchFound;
}

/** Two people matched with each other, with their match:found (and so their tokens). */
async function pair(url: string): Promise<{ offerer: Side; answerer: Side; matchId: string }> {
  const ids = [randomUUID(), randomUUID()];
  const [a, b] = [await client(url, ids[0]), await client(url, ids[1])];
  const found = [nextEvent(a, 'match:found'), nextEvent(b, 'match:found')];
  await a.emitWithAck('queue:join', {});
  await b.emitWithAck('queue:join', {});
  const [fa, fb] = await Promise.all(found);
  expect(MatchFound.parse(fa).matchId).toBe(fb!.matchId);
  const sides: Side[] = [
    { socket: a, installId: ids[0]!, found: fa! },
    { socket: b, installId: ids[1]!, found: fb! },
  ];
  const [offerer, answerer] = fa!.role === 'offerer' ? sides : [sides[1]!, sides[0]!];
  return { offerer: offerer!, answerer: answerer!, matchId: fa!.matchId };
}

const offer = (n: number): SignalData => ({ description: { type: 'offer', sdp: `v=0 offer ${n}` } });

/** Closes a socket and waits until the server has seen it go (the partner is told). */
async function drop(side: Side, partner: Side) {
  const away = nextEvent(partner.socket, 'partner:away');
  side.socket.close();
  return away;
}

describe('a dropped connection keeps its call', () => {
  it('the partner is told, the dropped side resumes on a brand-new socket, and signaling flows again on the same match', async () => {
    const s = await server();
    const { offerer, answerer, matchId } = await pair(s.url);
    expect(await drop(offerer, answerer)).toEqual({ matchId, graceMs: 3000 });
    expect(s.server.matchmaker.stats()).toMatchObject({ online: 1, inCalls: 2, away: 1 });

    const fresh = await client(s.url, offerer.installId);
    const back = nextEvent(answerer.socket, 'partner:back');
    const ack = await fresh.emitWithAck('session:resume', { token: offerer.found.resumeToken });
    if (!ack.ok) throw new Error(`refused: ${ack.error.code}`);
    const { ok: _ok, ...rest } = ack;
    const body = ResumeMatched.parse(rest);
    expect(body).toMatchObject({ matchId, partner: 'present', role: 'offerer', polite: false, iceTransportPolicy: 'all', commonInterests: [] });
    expect(body.resumeToken).not.toBe(offerer.found.resumeToken);
    expect(await back).toEqual({ matchId });

    const toAnswerer = nextEvent(answerer.socket, 'signal');
    expect(await fresh.emitWithAck('signal', { matchId, data: offer(1) })).toEqual({ ok: true });
    expect(await toAnswerer).toEqual({ matchId, data: offer(1) });
    const toOfferer = nextEvent(fresh, 'signal');
    expect(await answerer.socket.emitWithAck('signal', { matchId, data: { candidate: null } })).toEqual({ ok: true });
    expect(await toOfferer).toEqual({ matchId, data: { candidate: null } });
    expect(s.server.matchmaker.stats()).toMatchObject({ online: 2, inCalls: 2, away: 0 });
  });

  it('holds signals for an away partner and delivers them in order right after the resume ack; beyond the bound, partner_away', async () => {
    const s = await server();
    const { offerer, answerer, matchId } = await pair(s.url);
    await drop(answerer, offerer);
    for (let n = 0; n < LIMITS.heldSignals; n++) {
      expect(await offerer.socket.emitWithAck('signal', { matchId, data: offer(n) })).toEqual({ ok: true });
    }
    expect(await offerer.socket.emitWithAck('signal', { matchId, data: offer(999) })).toMatchObject({ ok: false, error: { code: 'partner_away' } });

    const fresh = await client(s.url, answerer.installId);
    const order: string[] = [];
    fresh.onAny((event: string, payload: { data?: { description?: { sdp: string } } }) => order.push(`${event}:${payload?.data?.description?.sdp ?? ''}`));
    // Recorded in the ack callback itself: a promise continuation would run after packets of the same read.
    const ack = await new Promise((resolve) =>
      fresh.emit('session:resume', { token: answerer.found.resumeToken }, (body) => {
        order.push('ack');
        resolve(body);
      }),
    );
    expect(ack).toMatchObject({ ok: true, state: 'matched', matchId, partner: 'present', role: 'answerer', polite: true });
    await vi.waitFor(() => expect(order.filter((e) => e.startsWith('signal'))).toHaveLength(LIMITS.heldSignals));
    expect(order[0]).toBe('ack');
    expect(order.slice(1)).toEqual(Array.from({ length: LIMITS.heldSignals }, (_, n) => `signal:v=0 offer ${n}`));
    // After the partner is back, the refused one goes through.
    const got = nextEvent(fresh, 'signal');
    expect(await offerer.socket.emitWithAck('signal', { matchId, data: offer(999) })).toEqual({ ok: true });
    expect(await got).toEqual({ matchId, data: offer(999) });
  });

  it('past the grace, the partner gets match:ended disconnected, and so does the dropped side when it returns', async () => {
    const s = await server({ RESUME_GRACE_S: 1 });
    const { offerer, answerer, matchId } = await pair(s.url);
    await drop(offerer, answerer);
    expect(await nextEvent(answerer.socket, 'match:ended', 3000)).toEqual({ matchId, reason: 'disconnected' });
    await vi.waitFor(async () => expect(await s.store.findCall(matchId)).toMatchObject({ endReason: 'disconnected' }));

    const fresh = await client(s.url, offerer.installId);
    const ended = nextEvent(fresh, 'match:ended');
    const ack = await fresh.emitWithAck('session:resume', { token: offerer.found.resumeToken });
    expect(await ended).toEqual({ matchId, reason: 'disconnected' });
    expect(ack).toEqual({ ok: true, state: 'idle' });
    // Idle, not stuck: it can look for someone else at once.
    expect(await fresh.emitWithAck('queue:join', {})).toMatchObject({ ok: true });
  });

  it('a resume after the partner pressed Next is told the call ended with next, and is idle', async () => {
    const s = await server();
    const { offerer, answerer, matchId } = await pair(s.url);
    await drop(offerer, answerer);
    expect(await answerer.socket.emitWithAck('queue:next', {})).toMatchObject({ ok: true, state: 'waiting' });
    expect(s.server.matchmaker.stats()).toMatchObject({ inCalls: 0, away: 0 });
    const fresh = await client(s.url, offerer.installId);
    const seen = recordEvents(fresh);
    expect(await fresh.emitWithAck('session:resume', { token: offerer.found.resumeToken })).toEqual({ ok: true, state: 'idle' });
    expect(seen.map((e) => [e.event, e.args[0]])).toEqual([['match:ended', { matchId, reason: 'next' }]]);
    // Being away, it was never paired meanwhile, even though the partner was searching.
    expect(s.server.matchmaker.stats().waiting).toBe(1);
  });

  it('an away person is never paired: people who join meanwhile wait for each other', async () => {
    const s = await server();
    const { offerer, answerer } = await pair(s.url);
    await drop(offerer, answerer);
    const c = await client(s.url);
    expect(await c.emitWithAck('queue:join', {})).toMatchObject({ ok: true, state: 'waiting' });
    await sleep(400);
    expect(s.server.matchmaker.stats()).toMatchObject({ waiting: 1, away: 1, inCalls: 2 });
  });

  it('a second connection of the same install takes the call over; the older one is told it ended there', async () => {
    const s = await server();
    const { offerer, answerer, matchId } = await pair(s.url);
    const partnerSeen = recordEvents(answerer.socket);
    const second = await client(s.url, offerer.installId);
    const endedThere = nextEvent(offerer.socket, 'match:ended');
    const ack = await second.emitWithAck('session:resume', { token: offerer.found.resumeToken });
    expect(ack).toMatchObject({ ok: true, state: 'matched', matchId, partner: 'present' });
    expect(await endedThere).toEqual({ matchId, reason: 'ended' });
    const got = nextEvent(second, 'signal');
    await answerer.socket.emitWithAck('signal', { matchId, data: offer(1) });
    expect(await got).toEqual({ matchId, data: offer(1) });
    // The old connection is idle and signals from it are refused.
    expect(await offerer.socket.emitWithAck('signal', { matchId, data: offer(2) })).toMatchObject({ ok: false, error: { code: 'not_in_match' } });
    expect(partnerSeen.map((e) => e.event)).toEqual([]);
  });

  it('Next, Stop and Report work on a resumed call, and the report names the person actually reported', async () => {
    const s = await server();
    const { offerer, answerer, matchId } = await pair(s.url);
    await drop(offerer, answerer);
    const fresh = await client(s.url, offerer.installId);
    await fresh.emitWithAck('session:resume', { token: offerer.found.resumeToken });
    const ended = nextEvent(answerer.socket, 'match:ended');
    expect(await fresh.emitWithAck('report', { matchId, reason: 'harassment' })).toMatchObject({ ok: true, state: 'waiting' });
    expect(await ended).toEqual({ matchId, reason: 'ended' });
    expect(await fresh.emitWithAck('queue:leave', {})).toEqual({ ok: true, state: 'idle' });
    expect(await s.store.reportsAgainst(answerer.installId)).toMatchObject([{ reporterId: offerer.installId, reportedId: answerer.installId, matchId }]);
    expect(await s.server.live.isBlocked(offerer.installId, answerer.installId)).toBe(true);

    const second = await pair(s.url);
    await drop(second.answerer, second.offerer);
    const back = await client(s.url, second.answerer.installId);
    await back.emitWithAck('session:resume', { token: second.answerer.found.resumeToken });
    const left = nextEvent(second.offerer.socket, 'match:ended');
    expect(await back.emitWithAck('queue:leave', {})).toEqual({ ok: true, state: 'idle' });
    expect(await left).toEqual({ matchId: second.matchId, reason: 'left' });
  });

  it('on a connection Socket.IO recovered, the call is reattached at once and a resume answers the same', async () => {
    const s = await server();
    // A client that reconnects by itself, so Socket.IO can recover its connection.
    const live = connect(s.url, { transports: ['websocket'], forceNew: true, auth: { installId: randomUUID() }, reconnectionDelay: 50, reconnectionDelayMax: 50 });
    sockets.push(live);
    await new Promise<void>((r) => live.once('connect', () => r()));
    const c = await client(s.url);
    const found = nextEvent(live, 'match:found');
    await live.emitWithAck('queue:join', {});
    await c.emitWithAck('queue:join', {});
    const f = await found;
    // Held while away, delivered at reattachment.
    const away = nextEvent(c, 'partner:away');
    live.io.engine.close();
    await away;
    await c.emitWithAck('signal', { matchId: f.matchId, data: offer(7) });
    const back = nextEvent(c, 'partner:back');
    const held = nextEvent(live, 'signal');
    await new Promise<void>((r) => live.once('connect', () => r()));
    expect(live.recovered).toBe(true);
    expect(await back).toEqual({ matchId: f.matchId });
    expect(await held).toEqual({ matchId: f.matchId, data: offer(7) });
    const ack = await live.emitWithAck('session:resume', { token: f.resumeToken });
    expect(ack).toMatchObject({ ok: true, state: 'matched', matchId: f.matchId, partner: 'present' });
    expect(s.server.matchmaker.stats()).toMatchObject({ online: 2, inCalls: 2, away: 0 });
  });

  it('a recovered connection whose call ended while it was away is told so at once', async () => {
    const s = await server({ RESUME_GRACE_S: 1 });
    const live = connect(s.url, { transports: ['websocket'], forceNew: true, auth: { installId: randomUUID() }, reconnectionDelay: 1500, reconnectionDelayMax: 1500, randomizationFactor: 0 });
    sockets.push(live);
    await new Promise<void>((r) => live.once('connect', () => r()));
    const c = await client(s.url);
    const found = nextEvent(live, 'match:found');
    await live.emitWithAck('queue:join', {});
    await c.emitWithAck('queue:join', {});
    const { matchId } = await found;
    live.io.engine.close();
    expect(await nextEvent(c, 'match:ended', 3000)).toEqual({ matchId, reason: 'disconnected' });
    const ended = nextEvent(live, 'match:ended', 3000);
    await new Promise<void>((r) => live.once('connect', () => r()));
    expect(live.recovered).toBe(true);
    expect(await ended).toEqual({ matchId, reason: 'disconnected' });
  });
});

describe('refused resumes change nothing', () => {
  it('forged, malformed, expired and foreign tokens get stable codes; a busy connection gets not_idle', async () => {
    const s = await server();
    const { offerer, answerer, matchId } = await pair(s.url);
    await drop(offerer, answerer);
    const partnerSeen = recordEvents(answerer.socket);
    const fresh = await client(s.url, offerer.installId);
    const token = offerer.found.resumeToken;
    const raw = Buffer.from(token, 'base64url');
    raw[raw.length - 1]! ^= 1;
    const forged = raw.toString('base64url');
    const otherSecret = new ResumeTokens('another-secret-of-at-least-thirty-two-chars', 60_000);
    const claims = { matchId, installId: offerer.installId, partnerId: answerer.installId, role: 'offerer' as const, commonInterests: [], startedAt: Date.now() };
    const expired = new ResumeTokens(DEV_RESUME_SECRET, 60_000).seal(claims, Date.now() - 61_000);
    const cases: Array<[string, unknown, string]> = [
      ['forged (one bit flipped)', forged, 'invalid_token'],
      ['sealed with another secret', otherSecret.seal(claims), 'invalid_token'],
      ['garbage', 'not a token at all', 'invalid_token'],
      ['the partner\'s token on my connection (foreign)', answerer.found.resumeToken, 'invalid_token'],
      ['expired', expired, 'token_expired'],
    ];
    for (const [label, bad, code] of cases) {
      const ack = await fresh.emitWithAck('session:resume', { token: bad as string });
      expect(ack, label).toMatchObject({ ok: false, error: { code } });
    }
    expect(await fresh.emitWithAck('session:resume', { token: 'x'.repeat(LIMITS.resumeTokenLength + 1) })).toMatchObject({ ok: false, error: { code: 'invalid_payload' } });
    expect(s.server.matchmaker.stats()).toMatchObject({ inCalls: 2, away: 1 });
    expect(partnerSeen).toEqual([]);

    // The genuine token still works afterwards: nothing was changed by the refusals.
    const other = await client(s.url, offerer.installId);
    expect(await other.emitWithAck('session:resume', { token })).toMatchObject({ ok: true, state: 'matched', matchId });
    other.close();
    await nextEvent(answerer.socket, 'partner:away');

    // A connection already waiting cannot resume. (Looking for someone new while away from a call
    // ends that call: the stranger is told at once, rather than after the grace.)
    const ended = nextEvent(answerer.socket, 'match:ended');
    expect(await fresh.emitWithAck('queue:join', {})).toMatchObject({ ok: true, state: 'waiting' });
    expect(await ended).toEqual({ matchId, reason: 'disconnected' });
    expect(await fresh.emitWithAck('session:resume', { token })).toMatchObject({ ok: false, error: { code: 'not_idle' } });
  });

  it('a ban decided while someone is away ends the call for the partner as ended', async () => {
    const s = await server({ REPORT_BAN_THRESHOLD: 1 });
    const { offerer, answerer, matchId } = await pair(s.url);
    await drop(offerer, answerer);
    const ended = nextEvent(answerer.socket, 'match:ended');
    const record = { reporterId: randomUUID(), reportedId: offerer.installId, matchId: randomUUID(), reason: 'spam' as const, at: new Date() };
    expect(await s.server.safety.saveReport(record)).toBe(true);
    s.server.safety.countReports(record);
    expect(await ended).toEqual({ matchId, reason: 'ended' });
    await expect(client(s.url, offerer.installId)).rejects.toThrow('banned');
  });
});
