/**
 * The cluster under load and under faults, on real processes: thousands of
 * joins, Nexts and leaves from people spread over three processes with the
 * invariants checked; a process SIGKILLed mid-run (its people come back
 * through nginx and resume on the others; nobody meets its ghosts); Redis
 * stopped for 5 s and started again, empty. Prints how long until everyone
 * affected is back in a call or in the queue.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from '../helpers/cluster';
import { Person } from '../helpers/resuming-client';
import { sleep } from '../helpers/server';

let cluster: TestCluster;
beforeAll(async () => {
  cluster = await startCluster({
    env: { MAX_CONNECTIONS_PER_ADDRESS: '10000', RATE_QUEUE_POINTS: '10000', RATE_ADDRESS_FACTOR: '1000', RESUME_GRACE_S: '30' },
  });
}, 120_000);
const everyone: Searcher[] = [];
/** Closed after each test, pass or fail, so a failure does not load the next test. */
const track = (people: Searcher[]) => (everyone.push(...people), people);
afterEach(() => {
  for (const p of everyone.splice(0)) p.close();
});
afterAll(() => cluster?.stop());

/** A person who also goes back to the queue by themselves after a reconnect, as the extension does while searching. */
class Searcher extends Person {
  searching = false;
  /** When its current connection opened. */
  connectedAt = 0;
  constructor(url: string) {
    super(url, { ca: cluster.certificate, reconnectionDelay: 200 });
    this.socket.on('connect', () => {
      this.connectedAt = Date.now();
      if (this.searching && !this.token) void this.join().catch(() => {});
    });
  }
  /** queue:next or queue:leave, keeping the client's idea of its call right (its own action brings no match:ended). */
  async act(event: 'queue:next' | 'queue:leave') {
    // As the extension: Next only from a call it knows of; otherwise it searches.
    if (event === 'queue:next' && !this.matchId) return this.join();
    const before = this.matchId;
    const ack = await this.socket.timeout(5000).emitWithAck(event, {});
    // After leave nothing is on; after Next the call it knew of is over (a newer one may have been found meanwhile).
    const over = event === 'queue:leave' || (ack.ok && ack.state !== 'matched' && this.matchId === before);
    if (ack.ok && over) Object.assign(this, { token: undefined, matchId: undefined, role: undefined, partner: undefined });
    return ack;
  }

  describe(): string {
    return JSON.stringify({ connected: this.socket.connected, matchId: this.matchId?.slice(0, 8), partner: this.partner, searching: this.searching, resumes: this.resumes.map((r) => r.ack.ok ? r.ack.state + '/' + r.ack.partner : (r.ack as any).error?.code) });
  }

  /** In a call (partner present) or waiting in the queue. */
  settled(): boolean {
    return this.socket.connected && (this.token ? this.partner === 'present' : this.searching);
  }
}

async function crowd(count: number): Promise<Searcher[]> {
  const people = Array.from({ length: count }, () => new Searcher(cluster.url));
  await Promise.all(people.map((p) => p.connected()));
  return people;
}

async function until(condition: () => boolean, ms: number, what: string, detail = () => '') {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} ${detail()}`);
    await sleep(25);
  }
}

/** Whether what people believe is consistent yet (events may still be on their way on a loaded machine). */
function consistent(people: Searcher[]): boolean {
  const count = new Map<string, number>();
  for (const p of people) if (p.matchId) count.set(p.matchId, (count.get(p.matchId) ?? 0) + 1);
  return [...count.values()].every((n) => n === 2);
}

/** What people believe, checked for consistency: each match has exactly two people, both in it, of two installs. */
function checkPairs(people: Searcher[]) {
  const byMatch = new Map<string, Searcher[]>();
  for (const p of people) if (p.matchId) byMatch.set(p.matchId, [...(byMatch.get(p.matchId) ?? []), p]);
  for (const [matchId, pair] of byMatch) {
    expect(pair.length, `match ${matchId} has ${pair.length} people`).toBe(2);
    expect(pair[0]!.installId).not.toBe(pair[1]!.installId);
    expect(new Set(pair.map((p) => p.role))).toEqual(new Set(['offerer', 'answerer']));
  }
  return byMatch;
}

const health = async () => (await fetch(`${cluster.nodes[1]!.url}/healthz`)).json();

describe('the cluster under load and faults', () => {
  it('thousands of joins, Nexts and leaves over three processes keep every pair consistent, and leave nobody stuck', async () => {
    const people = track(await crowd(200));
    const perNode = await Promise.all(cluster.nodes.map(async (n) => (await (await fetch(`${n.url}/healthz`)).json()).connectionsHere));
    expect(perNode.every((n: number) => n >= 50)).toBe(true);
    let ops = 0;
    const started = Date.now();
    await Promise.all(
      people.map(async (p, i) => {
        for (let round = 0; round < 10; round++) {
          const roll = (i * 7 + round * 13) % 10;
          if (roll < 5) await p.join().catch(() => {});
          else if (roll < 8) await p.act('queue:next').catch(() => {});
          else await p.act('queue:leave').catch(() => {});
          ops++;
        }
      }),
    );
    const opsPerS = Math.round(ops / ((Date.now() - started) / 1000));
    // Let the last match:found / match:ended land, then check.
    await until(() => consistent(people), 15_000, 'consistent pairs', () => people.filter((p) => p.matchId).map((p) => p.describe()).join('\n'));
    checkPairs(people);
    // Everyone searches: nobody is stuck while a compatible person waits (the interest and last-partner waits are 300 ms).
    for (const p of people) p.searching = true;
    await Promise.all(people.filter((p) => !p.matchId).map((p) => p.join()));
    await until(() => people.filter((p) => !p.matchId).length <= 1 && consistent(people), 30_000, 'everyone paired');
    const pairs = checkPairs(people);
    const stats = await health();
    expect(stats).toMatchObject({ online: 200, inCalls: pairs.size * 2, waiting: 200 - pairs.size * 2 });
    console.log(`[cluster load] ${ops} joins/Nexts/leaves from 200 people over 3 processes: ${opsPerS} ops/s; then ${pairs.size} pairs, all consistent (2-core machine shared with other work)`);
    for (const p of people) p.close();
  }, 300_000);

  it('a process SIGKILLed mid-run: its people reconnect through nginx to the others and resume; nobody is paired with its ghosts', async () => {
    const people = track(await crowd(60));
    for (const p of people) p.searching = true;
    await Promise.all(people.map((p) => p.join()));
    await until(() => people.every((p) => p.matchId && p.partner === 'present'), 30_000, 'everyone paired', () =>
      people.filter((p) => !(p.matchId && p.partner === 'present')).map((p) => p.describe()).join('\n'),
    );
    const before = new Map(people.map((p) => [p, p.matchId]));
    const killedAt = Date.now();
    const dropped = new Set<Searcher>();
    for (const p of people) p.socket.once('disconnect', () => dropped.add(p));
    await cluster.kill(0);
    await until(() => dropped.size > 0, 5000, 'the killed process\'s people to drop');
    await sleep(200);
    expect(dropped.size).toBeGreaterThan(5);
    // Meanwhile newcomers join on the surviving processes: they must meet each other, never a ghost.
    const newcomers = track(await crowd(4));
    for (const p of newcomers) p.searching = true;
    await Promise.all(newcomers.map((p) => p.join()));
    await until(() => [...people].every((p) => p.settled()), 30_000, 'everyone affected back in their call', () =>
      people
        .filter((p) => !p.settled())
        .map((p) => {
          const partner = people.find((o) => o !== p && o.matchId === p.matchId);
          return `${dropped.has(p) ? 'dropped' : 'stayed'} ${p.describe()} partner ${partner ? `${dropped.has(partner) ? 'dropped' : 'stayed'} ${partner.describe()}` : 'none'}`;
        })
        .join('\n'),
    );
    const backMs = Date.now() - killedAt;
    // Everyone resumed the very call they had: the killed process's people on another process.
    for (const p of people) expect(p.matchId).toBe(before.get(p));
    await until(() => newcomers.every((p) => p.partner === 'present'), 10_000, 'newcomers paired');
    checkPairs([...people, ...newcomers]);
    const resumedMs = [...dropped].map((p) => p.resumes.at(-1)?.ms ?? NaN);
    console.log(
      `[cluster SIGKILL] ${dropped.size} of 60 people were on the killed process; all back in their own call through nginx within ${backMs} ms of the kill (resume ack p50 ${resumedMs.sort((a, b) => a - b)[Math.floor(resumedMs.length / 2)]} ms); 4 newcomers paired with each other, none with a ghost`,
    );
    for (const p of [...people, ...newcomers]) p.close();
    await cluster.start(0);
  }, 300_000);

  it('Redis stopped for 5 s: calls go on, joins get `unavailable` within a second, and joins work again by themselves once it is back', async () => {
    const people = track(await crowd(30));
    for (const p of people) p.searching = true;
    await Promise.all(people.map((p) => p.join()));
    await until(() => people.every((p) => p.matchId && p.partner === 'present'), 30_000, 'everyone paired');
    const calls = new Map(people.map((p) => [p, p.matchId]));
    const [waiter] = track([new Searcher(cluster.url)]);
    await waiter.connected();

    await cluster.redis.stop();
    const stoppedAt = Date.now();
    // A join answers at once with a clear error and a retry-after.
    const asked = Date.now();
    const ack = await waiter.join();
    const answeredMs = Date.now() - asked;
    expect(ack).toMatchObject({ ok: false, error: { code: 'unavailable', retryAfterMs: expect.any(Number) } });
    expect(answeredMs).toBeLessThan(1000);
    // Calls go on: nobody was disconnected or told their call ended.
    await sleep(5000 - (Date.now() - stoppedAt));
    expect(people.every((p) => p.socket.connected && p.events('match:ended').length === 0)).toBe(true);

    await cluster.redis.start();
    const restartedAt = Date.now();
    waiter.searching = true;
    // Redis came back empty: processes ask the connections it forgot to reconnect; a searcher is back in the queue.
    await until(() => waiter.socket.connected && waiter.connectedAt > restartedAt, 15_000, 'the waiter reconnected');
    let joined;
    for (let i = 0; i < 100 && !(joined = await waiter.join().catch(() => undefined))?.ok; i++) await sleep(50);
    expect(joined).toMatchObject({ ok: true });
    const queueBackMs = Date.now() - restartedAt;
    // Everyone was asked to reconnect, and did.
    await until(() => people.every((p) => p.socket.connected && p.connectedAt > restartedAt), 15_000, 'everyone reconnected');
    const reconnectedMs = Date.now() - restartedAt;
    console.log(
      `[cluster Redis outage] join during the outage answered \`unavailable\` in ${answeredMs} ms; calls went on for 5 s; Redis restarted empty: a searcher was back in the queue ${queueBackMs} ms after the restart, and all ${people.length} people in calls had reconnected after ${reconnectedMs} ms (known gap: a call's second resume can miss partner:back, see README, Many processes)`,
    );
    for (const p of [...people, waiter]) p.close();
  }, 300_000);
});
