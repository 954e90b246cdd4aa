/**
 * One contract, every store: the embedded store and Mongoose (against jongodb,
 * or a real MongoDB when MONGODB_URI is set) must behave identically.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MemoryStore } from '../../server/store/memory-store';
import { MongooseStore } from '../../server/store/mongoose-store';
import { FOREVER, inForce, StoreUnavailableError, type CallRecord, type Store } from '../../server/store';
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

    it('files reports open, finds them, lists those against an install newest first', async () => {
      const reported = randomUUID();
      const [r1, r2] = [randomUUID(), randomUUID()];
      const base = Date.UTC(2026, 10, 25, 12);
      const first = await store.addReport({ reporterId: r1, reportedId: reported, matchId: randomUUID(), reason: 'harassment', at: new Date(base) });
      const second = await store.addReport({ reporterId: r2, reportedId: reported, matchId: randomUUID(), reason: 'spam', details: 'bot', at: new Date(base + 60_000) });
      await store.addReport({ reporterId: r1, reportedId: randomUUID(), matchId: randomUUID(), reason: 'spam', at: new Date(base) });
      expect(first).toMatchObject({ reporterId: r1, reason: 'harassment', status: 'open' });
      expect(first.id).not.toBe(second.id);
      expect(Object.keys(first).sort()).toEqual(['at', 'id', 'matchId', 'reason', 'reportedId', 'reporterId', 'status']);
      expect(await store.findReport(second.id)).toEqual(second);
      expect(await store.findReport(randomUUID())).toBeUndefined();
      expect((await store.reportsAgainst(reported)).map((r) => r.id)).toEqual([second.id, first.id]);
      expect(await store.reportsAgainst(randomUUID())).toEqual([]);
    });

    it('records decisions, lists only open reports in the queue, and keeps reporters\' standing', async () => {
      const reporter = randomUUID();
      const reported = randomUUID();
      const at = new Date(Date.UTC(2031, 0, 1));
      const file = (minutes: number) =>
        store.addReport({ reporterId: reporter, reportedId: reported, matchId: randomUUID(), reason: 'nudity', at: new Date(at.getTime() + minutes * 60_000) });
      const [a, b, c] = [await file(0), await file(1), await file(2)];
      const decidedAt = new Date(at.getTime() + 3_600_000);
      expect(await store.decideReport(a.id, 'dismissed', 'mia', decidedAt)).toEqual({ ...a, status: 'dismissed', decidedBy: 'mia', decidedAt });
      expect(await store.decideReport(b.id, 'upheld', 'mia', decidedAt)).toMatchObject({ status: 'upheld' });
      expect(await store.decideReport(randomUUID(), 'upheld', 'mia', decidedAt)).toBeUndefined();
      expect(await store.reporterStanding(reporter)).toEqual({ upheld: 1, dismissed: 1, open: 1 });
      expect(await store.reporterStanding(randomUUID())).toEqual({ upheld: 0, dismissed: 0, open: 0 });
      const open = await store.openReports(1000);
      expect(open.some((r) => r.id === c.id)).toBe(true);
      expect(open.some((r) => r.id === a.id || r.id === b.id)).toBe(false);
      // A later decision replaces the earlier one.
      expect(await store.decideReport(a.id, 'upheld', 'noa', decidedAt)).toMatchObject({ status: 'upheld', decidedBy: 'noa' });
      expect(await store.reporterStanding(reporter)).toEqual({ upheld: 2, dismissed: 0, open: 1 });
    });

    it('retention: deletes old calls and old dismissed reports, nothing else', async () => {
      const cutoff = new Date(Date.UTC(2020, 0, 1));
      const old = call({ startedAt: new Date(cutoff.getTime() - 120_000), endedAt: new Date(cutoff.getTime() - 60_000) });
      const recent = call({ startedAt: cutoff, endedAt: new Date(cutoff.getTime() + 60_000) });
      await store.recordCall(old);
      await store.recordCall(recent);
      const reported = randomUUID();
      const report = (minutes: number) =>
        store.addReport({ reporterId: randomUUID(), reportedId: reported, matchId: randomUUID(), reason: 'spam', at: new Date(cutoff.getTime() + minutes * 60_000) });
      const [oldDismissed, oldOpen, oldUpheld, newDismissed] = [await report(-5), await report(-4), await report(-3), await report(5)];
      await store.decideReport(oldDismissed.id, 'dismissed', 'mia', cutoff);
      await store.decideReport(oldUpheld.id, 'upheld', 'mia', cutoff);
      await store.decideReport(newDismissed.id, 'dismissed', 'mia', cutoff);
      expect(await store.deleteCallsBefore(cutoff)).toBeGreaterThanOrEqual(1);
      expect(await store.findCall(old.matchId)).toBeUndefined();
      expect(await store.findCall(recent.matchId)).toEqual(recent);
      expect(await store.deleteDismissedReportsBefore(cutoff)).toBe(1);
      expect((await store.reportsAgainst(reported)).map((r) => r.id).sort()).toEqual([oldOpen.id, oldUpheld.id, newDismissed.id].sort());
      expect(await store.deleteDismissedReportsBefore(cutoff)).toBe(0);
    });

    it('stores a report once per reporter and match, and lists reports about an install', async () => {
      const [reporter, reported, matchId] = [randomUUID(), randomUUID(), randomUUID()];
      const at = new Date(Date.UTC(2026, 10, 25, 12));
      const record = { reporterId: reporter, reportedId: reported, matchId, reason: 'spam' as const, details: 'bot', at };
      const stored = await store.addReport(record);
      expect(stored).toMatchObject({ ...record, status: 'open' });
      // Resent (after `unavailable`): the first one stands, and is what the second call resolves with.
      expect(await store.addReport({ ...record, at: new Date(at.getTime() + 1000) })).toEqual(stored);
      expect(await store.reportsAgainst(reported)).toEqual([stored]);
      const other = await store.addReport({ ...record, reporterId: randomUUID(), at: new Date(at.getTime() + 5000) });
      expect(await store.reportsAgainst(reported)).toEqual([other, stored]);
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

    it('returns the latest ban of an install, and all of them newest first', async () => {
      const id = randomUUID();
      expect(await store.latestBan(id)).toBeUndefined();
      const at = new Date(Date.UTC(2026, 10, 25));
      const first = await store.addBan({ installId: id, offence: 1, reason: 'spam', by: 'auto', at, until: new Date(at.getTime() + 3_600_000) });
      const second = await store.addBan({ installId: id, offence: 2, reason: 'nudity', by: 'mia', at, until: FOREVER });
      expect(second).toEqual({ id: second.id, installId: id, offence: 2, reason: 'nudity', by: 'mia', at, until: FOREVER });
      expect(await store.latestBan(id)).toEqual(second);
      expect(await store.bansOf(id)).toEqual([second, first]);
      expect(await store.bansOf(randomUUID())).toEqual([]);
    });

    it('lifts a ban by marking it, keeping it in the history; a second lift changes nothing', async () => {
      const id = randomUUID();
      const at = new Date(Date.UTC(2026, 10, 25));
      const ban = await store.addBan({ installId: id, offence: 1, reason: 'harassment', by: 'auto', at, until: new Date(at.getTime() + 3_600_000) });
      expect(inForce(ban, at.getTime() + 1)).toBe(true);
      const liftedAt = new Date(at.getTime() + 60_000);
      const lifted = await store.liftBan(ban.id, 'mia', liftedAt);
      expect(lifted).toEqual({ ...ban, liftedAt, liftedBy: 'mia' });
      expect(inForce(lifted, at.getTime() + 1)).toBe(false);
      expect(await store.liftBan(ban.id, 'noa', new Date())).toBeUndefined();
      expect(await store.liftBan(randomUUID(), 'noa', new Date())).toBeUndefined();
      expect(await store.bansOf(id)).toEqual([lifted]);
      expect(await store.latestBan(id)).toEqual(lifted);
    });

    it('takes one appeal per ban and lists appeals newest first', async () => {
      const installId = randomUUID();
      const [banA, banB] = [randomUUID(), randomUUID()];
      const at = new Date(Date.UTC(2032, 0, 1));
      const first = await store.addAppeal({ banId: banA, installId, text: 'It was my brother', at });
      expect(first).toMatchObject({ banId: banA, installId, text: 'It was my brother', at });
      expect(await store.addAppeal({ banId: banA, installId, text: 'again', at })).toBeUndefined();
      expect(await store.appealOf(banA)).toEqual(first);
      expect(await store.appealOf(banB)).toBeUndefined();
      const second = await store.addAppeal({ banId: banB, installId, text: 'sorry', at: new Date(at.getTime() + 1000) });
      expect((await store.recentAppeals(2)).map((a) => a.id)).toEqual([second!.id, first!.id]);
    });

    it('appends audit entries and lists them newest first', async () => {
      const installId = randomUUID();
      const base = Date.UTC(2033, 0, 1);
      const entries = [];
      for (const [n, action] of (['ban', 'lift', 'dismiss'] as const).entries()) {
        entries.push(await store.appendAudit({ at: new Date(base + n * 1000), moderator: 'mia', action, installId, before: `b${n}`, after: `a${n}` }));
      }
      const withReport = await store.appendAudit({ at: new Date(base + 5000), moderator: 'noa', action: 'uphold', installId, reportId: 'r1', before: 'open', after: 'upheld' });
      expect(withReport).toEqual({ id: withReport.id, at: new Date(base + 5000), moderator: 'noa', action: 'uphold', installId, reportId: 'r1', before: 'open', after: 'upheld' });
      expect(await store.auditLog(4)).toEqual([withReport, ...entries.reverse()]);
      // Append-only: the store has no method that changes or deletes an entry.
      expect(Object.getOwnPropertyNames(Object.getPrototypeOf(store)).filter((name) => /audit/i.test(name)).sort()).toEqual(['appendAudit', 'auditLog']);
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
