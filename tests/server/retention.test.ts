/** Data retention: the scheduled sweep deletes old call records and old dismissed reports, and nothing else. */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { sweepExpired } from '../../server/services/retention';
import { MemoryStore } from '../../server/store/memory-store';
import { startServer, type TestServer } from '../helpers/server';

const DAY = 86_400_000;
const servers: TestServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function seed(store: MemoryStore, now: number) {
  const call = (ageDays: number) => ({
    matchId: randomUUID(),
    startedAt: new Date(now - ageDays * DAY - 60_000),
    endedAt: new Date(now - ageDays * DAY),
    endReason: 'next' as const,
    durationMs: 60_000,
  });
  const [oldCall, newCall] = [call(3), call(1)];
  await store.recordCall(oldCall);
  await store.recordCall(newCall);
  const reportedId = randomUUID();
  const report = (ageDays: number) =>
    store.addReport({ reporterId: randomUUID(), reportedId, matchId: randomUUID(), reason: 'spam', at: new Date(now - ageDays * DAY) });
  const oldDismissed = await report(3);
  const oldUpheld = await report(3);
  const oldOpen = await report(3);
  const newDismissed = await report(1);
  for (const r of [oldDismissed, newDismissed]) await store.decideReport(r.id, 'dismissed', 'mia', new Date(now));
  await store.decideReport(oldUpheld.id, 'upheld', 'mia', new Date(now));
  return { oldCall, newCall, reportedId, kept: [oldUpheld.id, oldOpen.id, newDismissed.id] };
}

describe('retention', () => {
  it('one sweep deletes calls and dismissed reports older than the age', async () => {
    const store = new MemoryStore();
    const now = Date.now();
    const seeded = await seed(store, now);
    expect(await sweepExpired(store, 2 * DAY, now)).toEqual({ calls: 1, reports: 1 });
    expect(await store.findCall(seeded.oldCall.matchId)).toBeUndefined();
    expect(await store.findCall(seeded.newCall.matchId)).toBeDefined();
    expect((await store.reportsAgainst(seeded.reportedId)).map((r) => r.id).sort()).toEqual([...seeded.kept].sort());
    expect(await sweepExpired(store, 2 * DAY, now)).toEqual({ calls: 0, reports: 0 });
  });

  it('runs on its own on the server, every RETENTION_SWEEP_S, with RETENTION_DAYS', async () => {
    const store = new MemoryStore();
    const seeded = await seed(store, Date.now() - 0.5 * DAY);
    // With RETENTION_DAYS=2 the 3.5-day-old records go, the 1.5-day-old ones stay.
    const s = await startServer({ RETENTION_DAYS: 2, RETENTION_SWEEP_S: 1 }, store);
    servers.push(s);
    const deadline = Date.now() + 5000;
    while ((await store.findCall(seeded.oldCall.matchId)) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(await store.findCall(seeded.oldCall.matchId)).toBeUndefined();
    expect(await store.findCall(seeded.newCall.matchId)).toBeDefined();
    expect((await store.reportsAgainst(seeded.reportedId)).map((r) => r.id).sort()).toEqual([...seeded.kept].sort());
  });

  it('stops with the server', async () => {
    const store = new MemoryStore();
    const s = await startServer({ RETENTION_DAYS: 2, RETENTION_SWEEP_S: 1 }, store);
    await s.close();
    const seeded = await seed(store, Date.now());
    await new Promise((r) => setTimeout(r, 1300));
    expect(await store.findCall(seeded.oldCall.matchId)).toBeDefined();
  });
});
