/**
 * The store can fail: the real server process on MongoDB (jongodb), with the
 * database down at start, frozen mid-run (it hangs without refusing), and
 * killed then restarted mid-run. Pairing and calls go on, no handshake or ack
 * waits a second on the database, a report answered ok is in the database
 * afterwards with its ban counting done, and call records ended while it was
 * away are written when it returns.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { MongooseStore } from '../../server/store/mongoose-store';
import { startJongodb, type Jongodb } from '../helpers/mongo';
import { freePort } from '../helpers/ports';
import { pairPeople, Person } from '../helpers/resuming-client';
import { connectClient } from '../helpers/server';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';

const processes: ServerProcess[] = [];
const people: Person[] = [];
const mongos: Jongodb[] = [];
const stores: MongooseStore[] = [];

afterEach(async () => {
  for (const person of people.splice(0)) person.close();
  for (const p of processes.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop('SIGKILL');
  for (const store of stores.splice(0)) await store.close();
  for (const m of mongos.splice(0)) await m.stop();
});

/** Every ack and handshake's time, to check none waited a second on the database. */
const timings: Array<{ what: string; ms: number }> = [];

async function timed<T>(what: string, action: () => Promise<T>): Promise<T> {
  const startedAt = performance.now();
  const result = await action();
  timings.push({ what, ms: performance.now() - startedAt });
  return result;
}

async function server(mongodbUri: string) {
  const p = await startServerProcess({ MONGODB_URI: mongodbUri, REPORT_BAN_THRESHOLD: '1', RATE_QUEUE_POINTS: '10000', RATE_REPORT_POINTS: '1000' });
  processes.push(p);
  return p;
}

async function pair(url: string) {
  const [a, b] = await timed('pairing', () => pairPeople(url));
  people.push(a, b);
  return [a, b] as const;
}

/** Ends a call with Next; returns its match id (its call record is due). */
async function endCall(a: Person, b: Person): Promise<string> {
  const matchId = a.matchId!;
  expect(await timed('queue:next', () => a.socket.timeout(2000).emitWithAck('queue:next', {}))).toMatchObject({ ok: true });
  await vi.waitFor(() => expect(b.events('match:ended')).toContainEqual({ matchId, reason: 'next' }));
  expect(await timed('queue:leave', () => a.socket.timeout(2000).emitWithAck('queue:leave', {}))).toMatchObject({ ok: true });
  return matchId;
}

/** Reports the stranger; an accepted report requeues the reporter, so take them out of the queue again. */
async function report(reporter: Person) {
  const ack = await timed('report', () => reporter.socket.timeout(2000).emitWithAck('report', { matchId: reporter.matchId!, reason: 'spam' as const }));
  if (ack.ok) expect(await reporter.socket.timeout(2000).emitWithAck('queue:leave', {})).toMatchObject({ ok: true });
  return ack;
}

async function handshake(url: string) {
  const socket = await timed('handshake', () => connectClient(url));
  socket.close();
}

async function healthz(url: string) {
  return (await (await fetch(`${url}/healthz`)).json()) as { storeQueue: { pending: number; lost: number }; inCalls: number };
}

function expectNothingWaitedOnTheDatabase() {
  const slow = timings.filter((t) => t.what !== 'pairing' && t.ms >= 1000);
  expect(slow).toEqual([]);
}

// Each test starts the server process through tsx and jongodb, which takes seconds on a busy machine.
describe('MongoDB outages', { timeout: 120_000 }, () => {
  it('down at start: calls go on, reports answer unavailable within a second, call records are written when it comes up', async () => {
    timings.length = 0;
    const port = await freePort();
    const uri = `mongodb://127.0.0.1:${port}/tabcall_test`;
    const s = await server(uri);
    for (let i = 0; i < 3; i++) await handshake(s.url);
    const ended: string[] = [];
    for (let i = 0; i < 3; i++) {
      const [a, b] = await pair(s.url);
      expect(await a.signal({ candidate: null })).toEqual({ ok: true });
      ended.push(await endCall(a, b));
    }
    const [c, d] = await pair(s.url);
    const refused = await report(c);
    expect(refused).toMatchObject({ ok: false, error: { code: 'unavailable', retryAfterMs: expect.any(Number) } });
    // Nothing changed: the call goes on.
    expect(c.matchId).toBe(d.matchId);
    expect(d.events('match:ended')).toEqual([]);
    expect((await healthz(s.url)).storeQueue.pending).toBeGreaterThanOrEqual(3);

    const mongo = await startJongodb({ port });
    mongos.push(mongo);
    await vi.waitFor(async () => expect((await healthz(s.url)).storeQueue).toEqual({ pending: 0, lost: 0 }), { timeout: 20_000, interval: 200 });
    const store = await MongooseStore.connect(mongo.uri);
    stores.push(store);
    for (const matchId of ended) expect(await store.findCall(matchId)).toMatchObject({ matchId, endReason: 'next' });

    // Retrying the report now works; it is stored and its ban counting happened (threshold 1).
    expect(await report(c)).toMatchObject({ ok: true });
    expect(await store.reportsAgainst(d.installId)).toMatchObject([{ reporterId: c.installId, reportedId: d.installId, matchId: expect.any(String) }]);
    await vi.waitFor(async () => expect(await store.latestBan(d.installId)).toMatchObject({ installId: d.installId, offence: 1 }));
    expectNothingWaitedOnTheDatabase();
  });

  it('frozen, then killed and restarted mid-run: nothing acknowledged is lost, nothing waits a second', async () => {
    timings.length = 0;
    const mongo = await startJongodb();
    mongos.push(mongo);
    const s = await server(mongo.uri);
    const store = await MongooseStore.connect(mongo.uri);
    stores.push(store);

    // Healthy: a report and a call record land.
    const [a, b] = await pair(s.url);
    const first = a.matchId!;
    expect(await report(a)).toMatchObject({ ok: true });
    expect(await store.reportsAgainst(b.installId)).toHaveLength(1);
    await vi.waitFor(async () => expect(await store.findCall(first)).toMatchObject({ endReason: 'ended' }));

    // Frozen: the database hangs. Handshakes and acks still answer within a second.
    mongo.freeze();
    const duringFreeze: string[] = [];
    const frozenReports: Array<{ reporter: Person; reported: Person; ack: any }> = [];
    try {
      for (let i = 0; i < 2; i++) await handshake(s.url);
      for (let i = 0; i < 2; i++) {
        const [x, y] = await pair(s.url);
        frozenReports.push({ reporter: x, reported: y, ack: await report(x) });
        if (x.matchId && x.matchId === y.matchId) duringFreeze.push(await endCall(x, y));
      }
      const [p, q] = await pair(s.url);
      duringFreeze.push(await endCall(p, q));
    } finally {
      mongo.thaw();
    }
    for (const { ack } of frozenReports) expect(['unavailable', undefined]).toContain(ack.ok ? undefined : ack.error.code);
    // The freeze did bite (a hung database answers nothing): at least one report could not be saved in time.
    expect(frozenReports.some(({ ack }) => !ack.ok)).toBe(true);
    // Thawed: what was ended meanwhile is written, and any report answered ok is there.
    await vi.waitFor(async () => expect((await healthz(s.url)).storeQueue).toEqual({ pending: 0, lost: 0 }), { timeout: 30_000, interval: 200 });
    for (const matchId of duringFreeze) expect(await store.findCall(matchId)).toMatchObject({ matchId, endReason: 'next' });
    for (const { reporter, reported, ack } of frozenReports) {
      if (ack.ok) expect(await store.reportsAgainst(reported.installId)).toMatchObject([{ reporterId: reporter.installId }]);
    }

    // Killed: the engine and its data are gone; calls go on.
    await mongo.kill();
    const duringOutage: string[] = [];
    await handshake(s.url);
    const [e, f] = await pair(s.url);
    expect(await report(e)).toMatchObject({ ok: false, error: { code: 'unavailable' } });
    duringOutage.push(await endCall(e, f));
    const [g, h] = await pair(s.url);
    duringOutage.push(await endCall(g, h));
    await mongo.restart();

    await vi.waitFor(async () => expect((await healthz(s.url)).storeQueue).toEqual({ pending: 0, lost: 0 }), { timeout: 30_000, interval: 200 });
    // The restarted engine is empty: what was ended while it was away was written when it came back.
    const fresh = await MongooseStore.connect(mongo.uri);
    stores.push(fresh);
    for (const matchId of duringOutage) expect(await fresh.findCall(matchId)).toMatchObject({ matchId, endReason: 'next' });

    // After it is back, a report answered ok is there, with its ban.
    const [i, j] = await pair(s.url);
    expect(await report(i)).toMatchObject({ ok: true });
    expect(await fresh.reportsAgainst(j.installId)).toHaveLength(1);
    await vi.waitFor(async () => expect(await fresh.latestBan(j.installId)).toBeDefined());
    await vi.waitFor(() => expect(j.socket.connected).toBe(false));
    expectNothingWaitedOnTheDatabase();
  });
});
