/**
 * One contract, every store: the embedded store and Mongoose (against jongodb,
 * or a real MongoDB when MONGODB_URI is set) must behave identically.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../server/store/memory-store';
import { MongooseStore } from '../../server/store/mongoose-store';
import { StoreUnavailableError, type CallRecord, type Store } from '../../server/store';
import { startTestMongo, type TestMongo } from '../helpers/mongo';

function call(overrides: Partial<CallRecord> = {}): CallRecord {
  const startedAt = new Date(Date.UTC(2026, 10, 25, 12, 0, 0));
  return { matchId: randomUUID(), startedAt, endedAt: new Date(startedAt.getTime() + 61_500), endReason: 'next', durationMs: 61_500, ...overrides };
}

function contract(name: string, open: () => Promise<Store>) {
  describe(`store contract: ${name}`, () => {
    let store: Store;
    beforeAll(async () => {
      store = await open();
    });
    afterAll(() => store.close());

    it('saves a call record and finds it by match id, with the same values', async () => {
      const record = call();
      await store.recordCall(record);
      expect(await store.findCall(record.matchId)).toEqual(record);
    });

    it('returns undefined for an unknown match', async () => {
      expect(await store.findCall(randomUUID())).toBeUndefined();
    });

    it('keeps the first record when the same match is saved twice', async () => {
      const first = call({ endReason: 'left' });
      await store.recordCall(first);
      await store.recordCall({ ...first, endReason: 'disconnected' });
      expect(await store.findCall(first.matchId)).toEqual(first);
    });

    it('counts calls and lists the most recent first', async () => {
      const before = await store.countCalls();
      const base = Date.UTC(2030, 0, 1);
      const records = [3, 1, 2].map((n) => call({ endedAt: new Date(base + n * 1000), startedAt: new Date(base), durationMs: n * 1000 }));
      for (const record of records) await store.recordCall(record);
      expect(await store.countCalls()).toBe(before + 3);
      const recent = await store.recentCalls(3);
      expect(recent.map((r) => r.durationMs)).toEqual([3000, 2000, 1000]);
    });

    it('stores exactly the call facts and nothing else', async () => {
      const record = call();
      await store.recordCall({ ...record, ...({ sdp: 'secret', ip: '10.0.0.1' } as object) } as CallRecord);
      expect(Object.keys((await store.findCall(record.matchId))!).sort()).toEqual(['durationMs', 'endReason', 'endedAt', 'matchId', 'startedAt']);
    });

    it('counts distinct reporters of an install within a window', async () => {
      const reported = randomUUID();
      const [r1, r2] = [randomUUID(), randomUUID()];
      const base = Date.UTC(2026, 10, 25, 12);
      const report = (reporterId: string, minutes: number) =>
        store.addReport({ reporterId, reportedId: reported, matchId: randomUUID(), reason: 'harassment', at: new Date(base + minutes * 60_000) });
      await report(r1, 0);
      await report(r1, 1);
      await report(r2, 30);
      await store.addReport({ reporterId: r1, reportedId: randomUUID(), matchId: randomUUID(), reason: 'spam', details: 'bot', at: new Date(base) });
      expect(await store.distinctReporters(reported, new Date(base - 1))).toBe(2);
      expect(await store.distinctReporters(reported, new Date(base + 10 * 60_000))).toBe(1);
      expect(await store.distinctReporters(randomUUID(), new Date(0))).toBe(0);
    });

    it('stores a report once per reporter and match, and lists reports about an install', async () => {
      const [reporter, reported, matchId] = [randomUUID(), randomUUID(), randomUUID()];
      const at = new Date(Date.UTC(2026, 10, 25, 12));
      const record = { reporterId: reporter, reportedId: reported, matchId, reason: 'spam' as const, details: 'bot', at };
      await store.addReport(record);
      await store.addReport({ ...record, at: new Date(at.getTime() + 1000) });
      expect(await store.reportsAbout(reported)).toEqual([record]);
      expect(await store.distinctReporters(reported, new Date(0))).toBe(1);
      const other = { ...record, reporterId: randomUUID(), at: new Date(at.getTime() + 5000) };
      await store.addReport(other);
      expect(await store.reportsAbout(reported)).toEqual([record, other]);
    });

    it('keeps blocks symmetric and idempotent', async () => {
      const [a, b, c] = [randomUUID(), randomUUID(), randomUUID()];
      await store.addBlock(a, b);
      await store.addBlock(b, a);
      await store.addBlock(c, a);
      expect((await store.blockedWith(a)).sort()).toEqual([b, c].sort());
      expect(await store.blockedWith(b)).toEqual([a]);
      expect(await store.blockedWith(randomUUID())).toEqual([]);
    });

    it('returns the latest ban of an install', async () => {
      const id = randomUUID();
      expect(await store.latestBan(id)).toBeUndefined();
      const at = new Date(Date.UTC(2026, 10, 25));
      await store.addBan({ installId: id, offence: 1, at, until: new Date(at.getTime() + 3_600_000) });
      await store.addBan({ installId: id, offence: 2, at, until: new Date(at.getTime() + 7_200_000) });
      expect(await store.latestBan(id)).toEqual({ installId: id, offence: 2, at, until: new Date(at.getTime() + 7_200_000) });
    });
  });
}

contract('memory', async () => new MemoryStore());

let mongo: TestMongo;
contract('mongoose', async () => {
  mongo = await startTestMongo();
  return MongooseStore.connect(mongo.uri);
});
afterAll(() => mongo?.stop());

describe('mongoose store when the database is away', () => {
  it('opens at once while the database is down, and connects when it comes up', async () => {
    const { freePort } = await import('../helpers/ports');
    const port = await freePort();
    const log = (await import('pino')).default({ level: 'silent' });
    const startedAt = Date.now();
    const store = MongooseStore.open(`mongodb://127.0.0.1:${port}/tabcall_test`, log, { serverSelectionTimeoutMS: 300, retryMs: 100 });
    expect(Date.now() - startedAt).toBeLessThan(100);
    await expect(store.countCalls()).rejects.toBeInstanceOf(StoreUnavailableError);
    const m = await startTestMongo({ port });
    try {
      const record = call();
      await vi.waitFor(() => store.recordCall(record), { timeout: 10_000, interval: 100 });
      expect(await store.findCall(record.matchId)).toEqual(record);
    } finally {
      await store.close();
      await m.stop();
    }
  });

  it('fails fast with a clear error instead of hanging', async () => {
    const startedAt = Date.now();
    await expect(MongooseStore.connect('mongodb://127.0.0.1:1/tabcall', { serverSelectionTimeoutMS: 500 })).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - startedAt).toBeLessThan(5000);
  });

  it('a query on a lost connection errors instead of queueing', async () => {
    const m = await startTestMongo();
    const store = await MongooseStore.connect(m.uri, { serverSelectionTimeoutMS: 500 });
    await m.stop();
    const startedAt = Date.now();
    await expect(store.countCalls()).rejects.toBeInstanceOf(StoreUnavailableError);
    expect(Date.now() - startedAt).toBeLessThan(5000);
    await store.close();
  });
});
