/**
 * docs/protocol.md is enough to call a Tabcall user: a client written from it
 * alone (tests/reference-client, in a plain Chromium page) calls the real
 * built extension in another real Chromium through the real server, as
 * answerer and as offerer, in the default and in the relay-only (coturn)
 * mode. It sends each description's candidates before the description, as
 * other WebRTC stacks do, and restarts ICE the same way.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickButton,
  offscreenGrowth,
  offscreenPage,
  openPerson,
  sendChat,
  waitForChat,
  waitForPhase,
  type Person,
} from '../helpers/browser';
import { openReferenceClient, type ReferenceClient } from '../helpers/reference-client';
import { startServer, type TestServer } from '../helpers/server';
import { startTurn, type TestTurn } from '../helpers/turn';

/** The extension's view of the reference client's candidates: type and ICE generation of each it knows. */
async function remoteCandidates(offscreen: Page) {
  return offscreen.evaluate(async () => {
    const pc = (window as unknown as { tabcall: { peer: RTCPeerConnection } }).tabcall.peer;
    const out: Array<{ type: string; ufrag?: string }> = [];
    (await pc.getStats()).forEach((r: { type: string; candidateType?: string; usernameFragment?: string }) => {
      if (r.type === 'remote-candidate') out.push({ type: r.candidateType!, ufrag: r.usernameFragment });
    });
    return out;
  });
}

/** The codec of each kind the extension receives (inbound-rtp → codec). */
async function inboundCodecs(offscreen: Page) {
  return offscreen.evaluate(async () => {
    const pc = (window as unknown as { tabcall: { peer: RTCPeerConnection } }).tabcall.peer;
    const stats = new Map<string, { type: string; kind?: string; codecId?: string; mimeType?: string }>();
    (await pc.getStats()).forEach((r: { id: string; type: string }) => stats.set(r.id, r));
    const out: Record<string, string | undefined> = {};
    for (const r of stats.values()) if (r.type === 'inbound-rtp') out[r.kind!] = stats.get(r.codecId!)?.mimeType;
    return out;
  });
}

/** `ref` evaluates in the reference client's page. */
const ref = <T,>(client: ReferenceClient, fn: (reference: any) => T | Promise<T>) =>
  client.page.evaluate(`(${fn.toString()})(window.reference)`) as Promise<T>;

describe.each([
  { mode: 'default', relay: false },
  { mode: 'relay-only (coturn)', relay: true },
])('the reference client calls the extension, $mode mode', ({ relay }) => {
  let turn: TestTurn | undefined;
  let server: TestServer;
  let person: Person;
  let client: ReferenceClient;
  let offscreen: Page;
  let chats = 0;

  beforeAll(async () => {
    turn = relay ? await startTurn() : undefined;
    server = await startServer(turn ? { TURN_URLS: [turn.url], TURN_SECRET: turn.secret } : {});
    [person, client] = await Promise.all([openPerson(server.url), openReferenceClient(server.url)]);
  });

  afterAll(async () => {
    await Promise.all([person?.close(), client?.close()]);
    await server?.close();
    turn?.stop();
  });

  /** Everything a call must do, whoever offered. */
  async function expectWorkingCall() {
    offscreen = await offscreenPage(person.browser);
    await expect.poll(() => ref(client, (r) => r.connectionState()), { timeout: 20_000, interval: 100 }).toBe('connected');
    await person.page.waitForFunction(() => !document.querySelector('.stage-message'), { polling: 100, timeout: 15_000 });

    // The reference client really sent its candidates first…
    const { sent, received, errors } = await client.seen();
    expect(errors).toEqual([]);
    // In relay-only mode, the reference client learns no address of the person but their relay's.
    if (relay) for (const line of received) expect(line ?? '').toMatch(/^$|^candidate:\S+ \d \w+ \d+ 127\.0\.0\.1 \d+ typ relay raddr 0\.0\.0\.0 rport 0 /);
    const description = sent.findIndex((s) => s.startsWith('description:'));
    expect(sent.indexOf('candidate')).toBeGreaterThanOrEqual(0);
    expect(sent.indexOf('candidate')).toBeLessThan(description);
    expect(sent.indexOf('end-of-candidates')).toBeLessThan(description);
    // …and the extension kept them: it knows them as signaled, not only as peer-reflexive guesses.
    const known = await remoteCandidates(offscreen);
    expect(known.filter((c) => c.type !== 'prflx').length).toBeGreaterThan(0);
    if (relay) expect(known.every((c) => c.type === 'relay')).toBe(true);

    // Media both ways, in the codecs that must work: frames decoded and sound heard on each side.
    await expect.poll(() => inboundCodecs(offscreen), { timeout: 10_000 }).toEqual({ audio: 'audio/opus', video: 'video/VP8' });
    for (const page of [offscreen, client.page]) {
      expect(await offscreenGrowth(page, 'framesDecoded', 1500)).toBeGreaterThan(10);
      await expect.poll(() => offscreenGrowth(page, 'audioEnergy', 500), { timeout: 10_000, interval: 0 }).toBeGreaterThan(0);
    }

    // The extension said its camera and mic state when the channel opened.
    await expect.poll(async () => (await client.seen()).messages, { timeout: 5000, interval: 100 }).toContainEqual({ type: 'media', camera: true, mic: true });
    // Chat both ways, each acknowledged.
    const n = ++chats;
    await sendChat(person.page, `hello reference ${n}`);
    await expect.poll(async () => (await client.seen()).messages.find((m) => m.type === 'chat' && m.text === `hello reference ${n}`), { timeout: 5000, interval: 100 }).toBeTruthy();
    await person.page.waitForSelector('[role="log"] [aria-label="Delivered"]', { timeout: 5000 });
    // What the document says is dropped is dropped, silently, and the channel goes on.
    await ref(client, (r) => r.sendJunk());
    expect(await ref(client, (r) => r.chat(`ref-${Math.random()}`.slice(0, 12), 'hello extension'))).toBe(true);
    await waitForChat(person.page, 'hello extension');
    expect(await person.page.$eval('[role="log"]', (log) => log.textContent)).not.toMatch(/junk|xxx/);
    await expect.poll(async () => (await client.seen()).messages.filter((m) => m.type === 'ack').length, { timeout: 5000, interval: 100 }).toBe(n);
  }

  async function hangUp() {
    await clickButton(person.page, 'Stop');
    await waitForPhase(person.page, 'idle');
    await expect.poll(async () => (await client.seen()).events.some((e) => e.kind === 'match:ended'), { timeout: 5000, interval: 100 }).toBe(true);
    await ref(client, (r) => ((r.seen.events.length = 0), (r.seen.sent.length = 0)));
  }

  /** The reference client restarts ICE, sending the new generation's candidates before its offer. */
  async function restartIce() {
    const before = await ref(client, (r) => r.localUfrag());
    await ref(client, (r) => (r.seen.sent.splice(0), r.restartIce()));
    const after = await ref(client, (r) => r.localUfrag());
    expect(after).not.toBe(before);
    const { sent, errors } = await client.seen();
    expect(errors).toEqual([]);
    expect(sent.indexOf('candidate')).toBeGreaterThanOrEqual(0);
    expect(sent.indexOf('candidate')).toBeLessThan(sent.indexOf('description:offer'));
    // The extension answered the restart and took the new generation's candidates, sent before its offer.
    await expect.poll(() => ref(client, (r) => r.seen.events.filter((e: { kind: string }) => e.kind === 'remote-description').length), { timeout: 10_000, interval: 100 }).toBe(2);
    await expect.poll(async () => (await remoteCandidates(offscreen)).some((c) => c.ufrag === after && c.type !== 'prflx'), { timeout: 10_000, interval: 100 }).toBe(true);
    await expect.poll(() => ref(client, (r) => r.connectionState()), { timeout: 10_000, interval: 100 }).toBe('connected');
    for (const page of [offscreen, client.page]) expect(await offscreenGrowth(page, 'framesDecoded', 1500)).toBeGreaterThan(10);
  }

  it('answers the extension, which waited longer and so offers', async () => {
    await clickButton(person.page, 'Start');
    await waitForPhase(person.page, 'waiting');
    await ref(client, (r) => r.join());
    await waitForPhase(person.page, 'matched');
    try {
      expect(await ref(client, (r) => r.matchRole())).toBe('answerer');
      await expectWorkingCall();
    } finally {
      await hangUp();
    }
  }, 60_000);

  it('calls the extension, having waited longer, and restarts ICE with the candidates first again', async () => {
    await ref(client, (r) => r.join());
    await clickButton(person.page, 'Start');
    await waitForPhase(person.page, 'matched');
    try {
      expect(await ref(client, (r) => r.matchRole())).toBe('offerer');
      await expectWorkingCall();
      await restartIce();
    } finally {
      await hangUp();
    }
  }, 60_000);
});
