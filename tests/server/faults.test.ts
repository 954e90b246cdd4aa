/**
 * Fault injection on real processes: the real server (`server/main.ts`) in a
 * child process, clients that reconnect and resume as the extension does, a
 * TCP proxy that cuts one person's connection, SIGKILL and SIGTERM with calls
 * up, restarts on the same port.
 */
import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ResumeTokens } from '../../server/services/resume-token';
import { freePort } from '../helpers/ports';
import { pairPeople, Person } from '../helpers/resuming-client';
import { connectClient } from '../helpers/server';
import { startServerProcess, type ServerProcess } from '../helpers/server-process';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

const SECRET = 'a-test-resume-secret-of-at-least-32-characters';
const processes: ServerProcess[] = [];
const people: Person[] = [];
const proxies: TcpProxy[] = [];

afterEach(async () => {
  for (const person of people.splice(0)) person.close();
  for (const proxy of proxies.splice(0)) await proxy.close();
  for (const p of processes.splice(0)) if (p.child.exitCode === null && p.child.signalCode === null) await p.stop('SIGKILL');
});

async function serverProcess(env: Record<string, string> = {}) {
  const p = await startServerProcess({ RESUME_SECRET: SECRET, RATE_QUEUE_POINTS: '10000', ...env, PORT: env.PORT ?? '0' });
  processes.push(p);
  return p;
}

const track = (...ps: Person[]) => (people.push(...ps), ps);
const offer = (n: number) => ({ description: { type: 'offer' as const, sdp: `v=0 offer ${n}` } });

/** Both directions of signaling work on the match both sides hold. */
async function signalingFlows(a: Person, b: Person, n: number) {
  expect(a.matchId).toBe(b.matchId);
  const fromA = b.received.length;
  expect(await a.signal(offer(n))).toEqual({ ok: true });
  const fromB = a.received.length;
  expect(await b.signal({ candidate: null })).toEqual({ ok: true });
  await vi.waitFor(() => {
    expect(b.events('signal', fromA)).toContainEqual({ matchId: a.matchId, data: offer(n) });
    expect(a.events('signal', fromB)).toContainEqual({ matchId: a.matchId, data: { candidate: null } });
  });
}

// Each test starts one or two server processes through tsx, which takes seconds on a busy machine.
describe('a cut connection (TCP proxy in front of one person)', { timeout: 90_000 }, () => {
  it('a 2.5 s drop keeps the call: the partner is told, the dropped side resumes on its recovered connection, signaling flows on the same match', async () => {
    const server = await serverProcess();
    const proxy = await startTcpProxy(server.port);
    proxies.push(proxy);
    const [a, b] = track(...(await pairPeople(server.url, { firstUrl: proxy.url })));
    const matchId = a.matchId;
    proxy.cut();
    await vi.waitFor(() => expect(b.partner).toBe('away'));
    expect(b.events('partner:away')).toEqual([{ matchId, graceMs: 20_000 }]);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    proxy.restore();
    await vi.waitFor(() => expect(a.resumes).toHaveLength(1), { timeout: 5000 });
    expect(a.socket.recovered).toBe(true);
    expect(a.resumes[0]!.ack).toMatchObject({ ok: true, state: 'matched', matchId, partner: 'present' });
    await vi.waitFor(() => expect(b.partner).toBe('present'));
    expect(b.events('match:ended')).toEqual([]);
    expect(a.events('match:ended')).toEqual([]);
    await signalingFlows(a, b, 1);
  });

  it('a 4 s drop keeps the call when the dropped side comes back on a brand-new socket', async () => {
    const server = await serverProcess();
    const proxy = await startTcpProxy(server.port);
    proxies.push(proxy);
    const [a, b] = track(...(await pairPeople(server.url, { firstUrl: proxy.url })));
    const matchId = a.matchId;
    proxy.cut();
    await vi.waitFor(() => expect(b.partner).toBe('away'));
    // While away, what B sends is held for A.
    expect(await b.signal(offer(5))).toEqual({ ok: true });
    a.close(); // a restarted worker: the old client is gone for good
    await new Promise((resolve) => setTimeout(resolve, 4000));
    proxy.restore();
    const fresh = new Person(proxy.url, { installId: a.installId });
    track(fresh);
    fresh.token = a.token;
    await vi.waitFor(() => expect(fresh.resumes).toHaveLength(1), { timeout: 5000 });
    expect(fresh.socket.recovered).toBe(false);
    expect(fresh.resumes[0]!.ack).toMatchObject({ ok: true, state: 'matched', matchId, partner: 'present' });
    await vi.waitFor(() => expect(fresh.events('signal')).toEqual([{ matchId, data: offer(5) }]));
    await vi.waitFor(() => expect(b.partner).toBe('present'));
    await signalingFlows(fresh, b, 2);
  });

  it('a drop past the grace ends the call both ways', async () => {
    const server = await serverProcess({ RESUME_GRACE_S: '2' });
    const proxy = await startTcpProxy(server.port);
    proxies.push(proxy);
    const [a, b] = track(...(await pairPeople(server.url, { firstUrl: proxy.url })));
    const matchId = a.matchId;
    proxy.cut();
    await vi.waitFor(() => expect(b.events('match:ended')).toEqual([{ matchId, reason: 'disconnected' }]), { timeout: 4000 });
    expect(b.events('partner:away')).toEqual([{ matchId, graceMs: 2000 }]);
    proxy.restore();
    await vi.waitFor(() => expect(a.resumes).toHaveLength(1), { timeout: 5000 });
    expect(a.events('match:ended')).toEqual([{ matchId, reason: 'disconnected' }]);
    expect(a.resumes[0]!.ack).toEqual({ ok: true, state: 'idle' });
    expect(a.matchId).toBeUndefined();
  });
});

describe('server restarts with calls up', { timeout: 90_000 }, () => {
  it('after SIGKILL, a fresh process on the same port adopts both calls; Next, Stop and Report work; bad tokens are refused', async () => {
    const port = await freePort();
    const env = { PORT: String(port), REPORT_BAN_THRESHOLD: '1' };
    const first = await serverProcess(env);
    const [a, b] = track(...(await pairPeople(first.url)));
    const [c, d] = track(...(await pairPeople(first.url)));
    const [e, f] = track(...(await pairPeople(first.url)));
    const matches = [a.matchId, c.matchId, e.matchId];
    expect(await first.stop('SIGKILL')).toBeNull();
    await serverProcess(env);
    // From the moment the new process listens (its start-up through tsx is not the server's doing).
    const listeningAt = Date.now();
    await vi.waitFor(
      () => {
        for (const person of [a, b, c, d, e, f]) expect(person.resumes.at(-1)?.ack).toMatchObject({ ok: true, state: 'matched' });
      },
      { timeout: 10_000, interval: 50 },
    );
    expect(Date.now() - listeningAt).toBeLessThan(10_000);
    expect([a.matchId, c.matchId, e.matchId]).toEqual(matches);
    for (const [x, y] of [[a, b], [c, d], [e, f]] as const) {
      // The first back re-created the call with the stranger away; the second joined it.
      const partners = [x.resumes[0]!.ack.partner, y.resumes[0]!.ack.partner].sort();
      expect(partners).toEqual(['away', 'present']);
      await vi.waitFor(() => expect([x.partner, y.partner]).toEqual(['present', 'present']));
      expect(x.role).not.toBe(y.role);
      await signalingFlows(x, y, 3);
    }

    // Next on one call tells the partner.
    expect(await a.socket.timeout(2000).emitWithAck('queue:next', {})).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(b.events('match:ended')).toEqual([{ matchId: matches[0], reason: 'next' }]));
    // Stop on another.
    expect(await e.socket.timeout(2000).emitWithAck('queue:leave', {})).toEqual({ ok: true, state: 'idle' });
    await vi.waitFor(() => expect(f.events('match:ended')).toEqual([{ matchId: matches[2], reason: 'left' }]));
    // Report on the third reaches the person actually reported: with a threshold of 1 it bans them, and only them.
    expect(await c.socket.timeout(2000).emitWithAck('report', { matchId: matches[1]!, reason: 'harassment' })).toMatchObject({ ok: true });
    await vi.waitFor(() => expect(d.events('match:ended')).toEqual([{ matchId: matches[1], reason: 'ended' }]));
    await vi.waitFor(() => expect(d.socket.connected).toBe(false));
    await expect(connectClient(`http://127.0.0.1:${port}`, { installId: d.installId })).rejects.toThrow('banned');
    (await connectClient(`http://127.0.0.1:${port}`, { installId: c.installId })).close();
  });

  it('a fresh process refuses forged, expired and foreign tokens, and they change nothing', async () => {
    const server = await serverProcess();
    const [a, b] = track(...(await pairPeople(server.url)));
    const matchId = a.matchId!;
    const socket = await connectClient(server.url, { installId: a.installId });
    const raw = Buffer.from(a.token!, 'base64url');
    raw[20]! ^= 0x40;
    const claims = { matchId: randomUUID(), installId: a.installId, partnerId: b.installId, role: 'offerer' as const, commonInterests: [], startedAt: Date.now() };
    const cases: Array<[string, string]> = [
      [raw.toString('base64url'), 'invalid_token'],
      [new ResumeTokens(SECRET, 60_000).seal(claims, Date.now() - 120_000), 'token_expired'],
      [new ResumeTokens('someone-elses-secret-of-at-least-32-characters', 60_000).seal(claims), 'invalid_token'],
      [b.token!, 'invalid_token'],
    ];
    for (const [token, code] of cases) {
      expect(await socket.emitWithAck('session:resume', { token })).toMatchObject({ ok: false, error: { code } });
    }
    socket.close();
    expect(a.events('match:ended')).toEqual([]);
    expect(b.events('match:ended')).toEqual([]);
    await signalingFlows(a, b, 4);
    expect(a.matchId).toBe(matchId);
  });

  it('SIGTERM says goodbye and closes without ending calls; the next process adopts them', async () => {
    const port = await freePort();
    const first = await serverProcess({ PORT: String(port), SHUTDOWN_GRACE_MS: '300' });
    const [a, b] = track(...(await pairPeople(first.url)));
    const matchId = a.matchId;
    expect(await first.stop('SIGTERM')).toBe(0);
    for (const person of [a, b]) {
      expect(person.events('server:closing')).toEqual([{ reconnectAfterMs: 300 }]);
      expect(person.events('match:ended')).toEqual([]);
    }
    await serverProcess({ PORT: String(port) });
    await vi.waitFor(() => expect([a.resumes.length, b.resumes.length]).toEqual([1, 1]), { timeout: 10_000 });
    await vi.waitFor(() => expect([a.partner, b.partner]).toEqual(['present', 'present']));
    expect(a.matchId).toBe(matchId);
    await signalingFlows(a, b, 5);
  });
});
