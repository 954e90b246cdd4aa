/**
 * Three Tabcall processes on one redis-server behind nginx (TLS, websocket
 * only): people on different processes meet, talk and part; a report on one
 * process bans a person connected to another; connections per address and
 * unknown events are limited across processes.
 */
import { randomUUID } from 'node:crypto';
import { io as connect } from 'socket.io-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { nextEvent, recordEvents, sleep, type Client } from '../helpers/server';

let cluster: TestCluster;
const opened: Client[] = [];

beforeAll(async () => {
  cluster = await startCluster({ env: { REPORT_BAN_THRESHOLD: '1', MAX_CONNECTIONS_PER_ADDRESS: '20', RATE_QUEUE_POINTS: '30' } });
}, 120_000);
afterAll(async () => {
  for (const socket of opened.splice(0)) socket.close();
  await cluster?.stop();
});

/** A client through nginx (TLS, trusting the test certificate), or straight to one node. */
function client(options: { node?: number; installId?: string; address?: string } = {}): Promise<Client> {
  const url = options.node === undefined ? cluster.url : cluster.nodes[options.node]!.url;
  const socket: Client = connect(url, {
    transports: ['websocket'],
    forceNew: true,
    reconnection: false,
    ca: cluster.certificate,
    auth: { installId: options.installId ?? randomUUID() },
    extraHeaders: options.address ? { 'x-forwarded-for': options.address } : undefined,
  });
  opened.push(socket);
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (error) => reject(error));
  });
}

const health = async (node: number) => (await fetch(`${cluster.nodes[node]!.url}/healthz`)).json();

describe('a cluster of three processes behind nginx', () => {
  it('every process logs that its live state is on Redis', () => {
    for (const node of cluster.nodes) expect(node.lines.some((l) => l.live === 'redis' && String(l.msg).startsWith('live state: on Redis'))).toBe(true);
  });

  it('spreads connections over the processes; people on different ones are paired, signal each other, and Next pairs across processes', async () => {
    const a = await client();
    const b = await client();
    const c = await client();
    // least_conn: three fresh connections land on three processes.
    const here = await Promise.all([0, 1, 2].map(async (i) => (await health(i)).connectionsHere));
    expect(here).toEqual([1, 1, 1]);

    const foundA = nextEvent(a, 'match:found');
    const foundB = nextEvent(b, 'match:found');
    expect(await a.emitWithAck('queue:join', {})).toMatchObject({ ok: true, state: 'waiting' });
    expect(await b.emitWithAck('queue:join', {})).toMatchObject({ ok: true, state: 'matched' });
    const [fa, fb] = await Promise.all([foundA, foundB]);
    expect(fa.matchId).toBe(fb.matchId);
    const signal = nextEvent(b, 'signal');
    expect(await a.emitWithAck('signal', { matchId: fa.matchId, data: { description: { type: 'offer', sdp: 'v=0' } } })).toEqual({ ok: true });
    expect(await signal).toEqual({ matchId: fa.matchId, data: { description: { type: 'offer', sdp: 'v=0' } } });

    // c waits; b presses Next: a is told `next`, b meets c (a is the last partner, avoided while c waits).
    expect(await c.emitWithAck('queue:join', {})).toMatchObject({ ok: true, state: 'waiting' });
    const ended = nextEvent(a, 'match:ended');
    const foundC = nextEvent(c, 'match:found');
    const next = nextEvent(b, 'match:found');
    expect(await b.emitWithAck('queue:next', {})).toMatchObject({ ok: true, state: 'matched' });
    expect(await ended).toEqual({ matchId: fa.matchId, reason: 'next' });
    expect((await foundC).matchId).toBe((await next).matchId);
    const stats = await health(0);
    expect(stats).toMatchObject({ live: 'redis', online: 3, inCalls: 2 });
    for (const s of [a, b, c]) s.close();
  });

  it('a report on process A bans the person connected to process C: their call ends and their connection closes', async () => {
    const reporter = await client({ node: 0 });
    const reportedId = randomUUID();
    const reported = await client({ node: 2, installId: reportedId });
    const found = nextEvent(reporter, 'match:found');
    await reported.emitWithAck('queue:join', {});
    await reporter.emitWithAck('queue:join', {});
    const { matchId } = await found;
    const ended = nextEvent(reported, 'match:ended');
    const closed = new Promise((resolve) => reported.once('disconnect', resolve));
    expect(await reporter.emitWithAck('report', { matchId, reason: 'harassment' })).toMatchObject({ ok: true, state: 'waiting' });
    expect(await ended).toEqual({ matchId, reason: 'ended' });
    expect(await closed).toBe('io server disconnect');
    // Refused at the handshake on any process.
    await expect(client({ node: 1, installId: reportedId })).rejects.toMatchObject({ message: 'banned' });
    reporter.close();
  });

  it('caps connections per address across processes, and counts a closed one out', async () => {
    const address = `198.51.100.${Math.floor(Math.random() * 200)}`;
    const sockets: Client[] = [];
    for (let i = 0; i < 20; i++) sockets.push(await client({ node: i % 3, address }));
    await expect(client({ node: 1, address })).rejects.toMatchObject({ message: 'too_many_connections' });
    sockets[0]!.close();
    await sleep(300);
    sockets.push(await client({ node: 2, address }));
    for (const socket of sockets) socket.close();
  });

  it('unknown events spend from the rate limit: past it they get no answer', async () => {
    const socket = await client({ node: 1, address: `192.0.2.${Math.floor(Math.random() * 200)}` });
    const seen = recordEvents(socket);
    for (let i = 0; i < 200; i++) (socket as unknown as { emit(event: string): void }).emit(`nonsense:${i}`);
    await sleep(1000);
    const errors = seen.filter((e) => e.event === 'protocol:error');
    expect(errors.length).toBe(30);
    expect(errors[0]!.args[0]).toMatchObject({ error: { code: 'unknown_event' } });
    socket.close();
  });
});
