/**
 * A call outlives its signaling path (real Chromium, the real built extension,
 * the real server): one side's signaling cut for 5 s, the server SIGKILLed
 * and restarted, and an ICE restart whose new credentials go through the
 * server. (A stopped service worker is in lifecycle.test.ts.) In each, the
 * stranger's video never stops, neither side is told the call ended, chat
 * works afterwards and Next tells the partner (helpers/faults.ts).
 */
import type { Page } from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import { offscreenPage, openPerson, startCall, waitForPhase, type ExtensionBrowser, type Person } from '../helpers/browser';
import { iceUfrag, offscreenUfrags, restartableServer, type RestartableServer } from '../helpers/faults';
import { provesCallSurvives } from '../helpers/survival';
import { startServer, type TestServer } from '../helpers/server';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup().catch(() => {});
});
const keep = <T extends ExtensionBrowser | TestServer | TcpProxy | RestartableServer>(thing: T): T => {
  cleanups.push(() => thing.close());
  return thing;
};

/** Every ice-ufrag in a description the server relayed, in order. */
function recordRelayedUfrags(server: TestServer): string[] {
  const seen: string[] = [];
  server.server.io.on('connection', (socket) => {
    socket.use(([event, payload], next) => {
      const sdp = event === 'signal' ? (payload as { data?: { description?: { sdp?: string } } })?.data?.description?.sdp : undefined;
      const ufrag = iceUfrag(sdp);
      if (ufrag) seen.push(ufrag);
      next();
    });
  });
  return seen;
}

/** Whether this person's side of the call is the impolite one (it restarts ICE). */
const isImpolite = (page: Page) =>
  page.evaluate(async () => ((await chrome.storage.session.get('callMachine')).callMachine as { session?: { polite: boolean } }).session?.polite === false);

async function twoPeople(urlA: string, urlB: string): Promise<[Person, Person]> {
  const [a, b] = await Promise.all([openPerson(urlA), openPerson(urlB)]);
  keep(a);
  keep(b);
  await startCall(a.page, b.page);
  return [a, b];
}

describe('a call survives its signaling path', () => {
  it('one side loses signaling for 5 s, restarting ICE meanwhile: held, resumed, flushed through the server', async () => {
    const server = keep(await startServer({ INTEREST_WAIT_MS: 300 }));
    const relayed = recordRelayedUfrags(server);
    const port = Number(new URL(server.url).port);
    const proxies = [keep(await startTcpProxy(port)), keep(await startTcpProxy(port))];
    const people = await twoPeople(proxies[0].url, proxies[1].url);
    // Cut the side that restarts ICE: its new offer must wait for the link, then go through the server.
    const cutIndex = (await isImpolite(people[0].page)) ? 0 : 1;
    const [cut, other] = [people[cutIndex], people[1 - cutIndex]];
    const cutOffscreen = await offscreenPage(cut.browser);
    const otherOffscreen = await offscreenPage(other.browser);
    const before = await offscreenUfrags(cutOffscreen);

    await provesCallSurvives(cut, other, async () => {
      proxies[cutIndex].cut();
      const cutAt = Date.now();
      // The stranger is told, honestly, and nothing ends.
      await waitForPhase(other.page, 'partner-away', 10_000);
      expect(await other.page.$eval('.stage-banner', (el) => el.textContent)).toContain('unstable');
      await cut.page.waitForSelector('main[data-phase="matched"][data-link="reconnecting"]', { timeout: 10_000 });
      expect(await cut.page.$eval('.stage-banner', (el) => el.textContent)).toContain('call goes on');
      // A report meanwhile is not lost silently: the dialog stays open and says it was not sent.
      await cut.page.locator('button.report').click();
      await cut.page.locator('dialog[open] button[type="submit"]').click();
      const notSent = await cut.page.waitForSelector('dialog[open] .report-status.error', { timeout: 5000 });
      expect(await notSent!.evaluate((el) => el.textContent)).toContain('not sent');
      await cut.page.locator('dialog[open] button[type="button"]').click();

      await cutOffscreen.evaluate(() => (window as unknown as { tabcall: { peer: RTCPeerConnection } }).tabcall.peer.restartIce());
      await expect.poll(async () => (await offscreenUfrags(cutOffscreen)).local, { timeout: 5000 }).not.toBe(before.local);
      expect(relayed).not.toContain((await offscreenUfrags(cutOffscreen)).local);

      await new Promise((r) => setTimeout(r, Math.max(0, 5000 - (Date.now() - cutAt))));
      proxies[cutIndex].restore();

      // Once back, the held offer goes through the server and is answered with new credentials too.
      const restarted = (await offscreenUfrags(cutOffscreen)).local;
      await expect.poll(async () => (await offscreenUfrags(otherOffscreen)).remote, { timeout: 20_000 }).toBe(restarted);
      await expect.poll(async () => (await offscreenUfrags(cutOffscreen)).remote, { timeout: 10_000 }).not.toBe(before.remote);
      const after = await offscreenUfrags(cutOffscreen);
      expect(relayed).toContain(after.local);
      expect(relayed).toContain(after.remote);
    });
  }, 120_000);

  it('the server is SIGKILLed mid-call and restarted on the same port: both resume the same call', async () => {
    const proc = keep(await restartableServer());
    const [a, b] = await twoPeople(proc.url, proc.url);
    const matchId = await a.page.$eval('main', (el) => el.dataset.matchId);

    const { seenA } = await provesCallSurvives(a, b, async () => {
      await proc.kill();
      await a.page.waitForSelector('main[data-link="reconnecting"]', { timeout: 10_000 });
      await proc.restart();
      const back = Date.now();
      await Promise.all([a.page, b.page].map((page) => page.waitForSelector('main[data-phase="matched"][data-link="connected"]', { timeout: 10_000 })));
      expect(Date.now() - back).toBeLessThan(10_000);
      expect(await b.page.$eval('main', (el) => el.dataset.matchId)).toBe(matchId);
    });
    expect(seenA).toContain('matched/reconnecting');
  }, 180_000);

  it('the server restarts for a deploy (SIGTERM): it says so, and the call goes on with the next process', async () => {
    const proc = keep(await restartableServer({ SHUTDOWN_GRACE_MS: '500' }));
    const [a, b] = await twoPeople(proc.url, proc.url);
    const { seenA, seenB } = await provesCallSurvives(a, b, async () => {
      await proc.term();
      await proc.restart();
    });
    // Both were told the server went away (server:closing), and came back to the same call.
    for (const seen of [seenA, seenB]) expect(seen).toContain('matched/reconnecting');
  }, 180_000);

  it('an ICE restart negotiates new credentials through the server while frames keep arriving', async () => {
    const server = keep(await startServer({ INTEREST_WAIT_MS: 300 }));
    const relayed = recordRelayedUfrags(server);
    const people = await twoPeople(server.url, server.url);
    const impolite = (await isImpolite(people[0].page)) ? people[0] : people[1];
    const polite = impolite === people[0] ? people[1] : people[0];
    const [offImpolite, offPolite] = [await offscreenPage(impolite.browser), await offscreenPage(polite.browser)];
    const before = await offscreenUfrags(offImpolite);

    await provesCallSurvives(impolite, polite, async () => {
      await offImpolite.evaluate(() => (window as unknown as { tabcall: { peer: RTCPeerConnection } }).tabcall.peer.restartIce());
      await expect.poll(async () => (await offscreenUfrags(offPolite)).remote, { timeout: 10_000 }).not.toBe(before.local);
      await expect.poll(async () => (await offscreenUfrags(offImpolite)).remote, { timeout: 10_000 }).not.toBe(before.remote);
      const after = await offscreenUfrags(offImpolite);
      // Both new credentials were relayed by the server, after the first ones.
      expect(relayed).toEqual(expect.arrayContaining([after.local, after.remote]));
      expect(relayed.indexOf(after.local!)).toBeGreaterThan(relayed.indexOf(before.local!));
      expect((await offscreenUfrags(offPolite)).remote).toBe(after.local);
    });
  }, 120_000);
});
