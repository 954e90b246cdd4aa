/**
 * Safety in the real extension: the rules come before any camera access, a
 * report ends the call for both, a ban is explained, and with TURN configured
 * the call is relay-only: neither browser learns the other's address.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  clickButton,
  offscreenPage,
  openPerson,
  sampleVideo,
  startCall,
  waitForPhase,
  type ExtensionBrowser,
  type Person,
} from '../helpers/browser';
import { startServer, type TestServer } from '../helpers/server';
import { startTurn, type TestTurn } from '../helpers/turn';

const opened: ExtensionBrowser[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
  for (const s of servers.splice(0)) await s.close();
});

async function person(server: TestServer, firstTime = false): Promise<Person> {
  const launched = await openPerson(server.url, { firstTime });
  opened.push(launched);
  return launched;
}

async function call(server: TestServer) {
  const alice = await person(server);
  const bob = await person(server);
  await startCall(alice.page, bob.page);
  return { alice, bob };
}

async function newServer(overrides: Parameters<typeof startServer>[0] = {}) {
  const s = await startServer(overrides);
  servers.push(s);
  return s;
}

describe('the rules gate', () => {
  it('shows the rules before any camera access, then starts without a second click', async () => {
    const server = await newServer();
    const { browser, page } = await person(server, true);
    await clickButton(page, 'Start');
    await waitForPhase(page, 'rules');
    expect(await page.$eval('.rules', (el) => el.textContent)).toContain('18 or older');
    // No offscreen document, no permission tab: nothing has asked for the camera.
    await new Promise((r) => setTimeout(r, 500));
    const urls = browser.targets().map((t) => t.url());
    expect(urls.some((u) => u.endsWith('/offscreen.html') || u.endsWith('/permission.html'))).toBe(false);
    await clickButton(page, 'I am 18 or older and accept the rules');
    await waitForPhase(page, 'waiting');
    const accepted = await page.evaluate(() => chrome.storage.local.get('rulesAccepted'));
    expect(accepted.rulesAccepted).toMatchObject({ version: 1 });
  });
});

describe('report', () => {
  it('ends the call for both: the reported side sees a neutral notice, the reporter searches again', async () => {
    const server = await newServer();
    const { alice, bob } = await call(server);
    await clickButton(alice.page, 'Report');
    await alice.page.locator('input[value="spam"]').click();
    await alice.page.locator('#report-details').fill('sells things');
    await clickButton(alice.page, 'Report and end the call');
    await waitForPhase(bob.page, 'partner-left', 2000);
    const notice = await bob.page.$eval('.stage-message', (el) => el.textContent ?? '');
    expect(notice).toContain('The call ended');
    expect(notice.toLowerCase()).not.toContain('report');
    await waitForPhase(alice.page, 'waiting');
    expect(await alice.page.$eval('.stage-message', (el) => el.textContent)).toContain('Thanks for reporting');
  });

  it('tells a banned person until when', async () => {
    const server = await newServer();
    const { page } = await person(server);
    // The install id the extension generated for itself (WXT storage writes it at first use).
    const installId = await page.evaluate(async () => {
      for (;;) {
        const { installId: id } = await chrome.storage.local.get('installId');
        if (typeof id === 'string') return id;
        await new Promise((r) => setTimeout(r, 50));
      }
    });
    await server.store.addBan({ installId, offence: 1, reason: 'spam', by: 'auto', at: new Date(), until: new Date(Date.now() + 3_600_000) });
    await clickButton(page, 'Start');
    await page.waitForFunction(() => document.querySelector('.stage-message.error')?.textContent?.includes('until'), { polling: 100, timeout: 10_000 });
    await waitForPhase(page, 'idle');
  });
});

describe('relay-only calls through TURN (coturn)', () => {
  let turn: TestTurn;
  beforeAll(async () => {
    turn = await startTurn();
  });
  afterAll(() => turn?.stop());

  it('connects through a relay on both sides and never relays a host or srflx candidate', async () => {
    const server = await newServer({ TURN_URLS: [turn.url], TURN_SECRET: turn.secret });
    // Record everything the server relays.
    const relayed: string[] = [];
    const transport = (server.server.matchmaker as unknown as { options: { transport: { emit: (...args: unknown[]) => void } } }).options.transport;
    const emit = transport.emit.bind(transport);
    transport.emit = (socketId, event, ...args) => {
      if (event === 'signal') relayed.push(JSON.stringify(args[0]));
      emit(socketId, event, ...args);
    };

    const { alice, bob } = await call(server);
    await alice.page.waitForFunction(() => !document.querySelector('.stage-message'), { polling: 100, timeout: 20_000 });
    expect((await sampleVideo(alice.page, 'Stranger', 1500)).advanced).toBeGreaterThan(0.5);

    for (const { browser } of [alice, bob]) {
      const offscreen = await offscreenPage(browser);
      const pair = await offscreen.evaluate(async () => {
        const pc = (window as unknown as { tabcall: { peer: RTCPeerConnection } }).tabcall.peer;
        const stats = new Map<string, Record<string, unknown>>();
        (await pc.getStats()).forEach((report: Record<string, unknown>) => stats.set(report.id as string, report));
        const transportStats = [...stats.values()].find((r) => r.type === 'transport');
        const selected = stats.get(transportStats?.selectedCandidatePairId as string);
        return {
          local: stats.get(selected?.localCandidateId as string)?.candidateType,
          remote: stats.get(selected?.remoteCandidateId as string)?.candidateType,
          policy: pc.getConfiguration().iceTransportPolicy,
        };
      });
      expect(pair).toEqual({ local: 'relay', remote: 'relay', policy: 'relay' });
    }
    const candidates = relayed.filter((json) => json.includes('candidate:'));
    expect(candidates.length).toBeGreaterThan(0);
    for (const json of relayed) expect(json).not.toMatch(/typ (host|srflx|prflx)/);
  });
});
