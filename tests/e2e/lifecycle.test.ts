/**
 * The parts of a call's life a person rarely sees but must survive: the
 * camera permission asked in a tab (the offscreen document cannot prompt), no
 * camera at all, and the service worker being stopped mid-call (the call goes on).
 */
import type { Page } from 'puppeteer-core';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clickButton,
  EXTENSION_URL,
  sendChat,
  waitForChat,
  offscreenGrowth,
  offscreenPage,
  openExtensionPage,
  openPerson,
  startCall,
  waitForPhase,
  type ExtensionBrowser,
  type LaunchOptions,
} from '../helpers/browser';
import { recordView, waitForCallBack } from '../helpers/faults';
import { provesCallSurvives } from '../helpers/survival';
import { startServer, type TestServer } from '../helpers/server';

const opened: ExtensionBrowser[] = [];
const servers: TestServer[] = [];
afterEach(async () => {
  await Promise.all(opened.splice(0).map((b) => b.close()));
  for (const s of servers.splice(0)) await s.close();
});

async function setup(launch: LaunchOptions = {}) {
  const server = await startServer();
  servers.push(server);
  const person = await openPerson(server.url, { launch });
  opened.push(person);
  return { server, browser: person.browser, page: person.page };
}

const stageText = (page: Page) => page.$eval('.stage-message', (el) => el.textContent ?? '');

describe('camera permission', () => {
  it('asks in a tab, explains a block, and starts the search once allowed, without a second Start', async () => {
    const { browser, page } = await setup({ fakeUi: false });
    await clickButton(page, 'Start');
    await waitForPhase(page, 'permission');
    const target = await browser.waitForTarget((t) => t.url() === `${EXTENSION_URL}/permission.html`, { timeout: 5000 });
    const tab = (await target.page())!;
    await tab.waitForSelector('main[data-step="ask"]');

    // Blocked (headless Chromium refuses at once without a grant).
    await clickButton(tab, 'Allow camera and microphone');
    await tab.waitForSelector('main[data-step="denied"]');
    expect(await tab.$eval('.error', (el) => el.textContent)).toContain('site settings');
    await tab.locator("::-p-aria([name=\"Open Tabcall's site settings\"][role=\"button\"])").wait();

    // Allowed.
    await browser.defaultBrowserContext().overridePermissions(EXTENSION_URL, ['camera', 'microphone']);
    await clickButton(tab, 'Allow camera and microphone');
    await tab.waitForSelector('main[data-step="granted"]');
    await waitForPhase(page, 'waiting');
    // From there, one click shows the call beside the person's tabs.
    await clickButton(tab, 'Show the call in the side panel');
    await browser.waitForTarget((t) => t.url() === `${EXTENSION_URL}/sidepanel.html`, { timeout: 5000 });
  });

  it('says so when there is no camera at all', async () => {
    const { page } = await setup({ fakeDevices: false });
    await clickButton(page, 'Start');
    await page.waitForSelector('.stage-message.error', { timeout: 10_000 });
    expect(await stageText(page)).toContain('No camera or microphone was found');
    await waitForPhase(page, 'idle');
  });
});

describe('a call that cannot be set up', () => {
  it('says so and leaves the match when the offscreen document has no camera stream, instead of a silent black call', async () => {
    const server = await startServer({ INTEREST_WAIT_MS: 500 });
    servers.push(server);
    const [a, b] = await Promise.all([openPerson(server.url), openPerson(server.url)]);
    opened.push(a, b);
    await clickButton(b.page, 'Start');
    await waitForPhase(b.page, 'waiting');
    // The camera goes away while Bob waits (as when the offscreen document is recreated).
    await b.page.evaluate(() => chrome.runtime.sendMessage({ id: 1, type: 'offscreen:release-media', timestamp: Date.now() }));
    await clickButton(a.page, 'Start');
    await waitForPhase(b.page, 'idle', 10_000);
    expect(await stageText(b.page)).toContain('camera could not be started');
    // Alice is told the stranger left, not left facing a black video.
    await waitForPhase(a.page, 'partner-left', 10_000);
  });
});

describe('service worker restart', () => {
  it('does not end the call: a stopped worker comes back, takes the call back from the offscreen document and resumes it', async () => {
    const server = await startServer({ INTEREST_WAIT_MS: 500 });
    servers.push(server);
    // No puppeteer session on the workers: it would keep them alive and hide the restart.
    const launch = { ignoreWorkers: true };
    const [a, b] = await Promise.all([openPerson(server.url, { launch }), openPerson(server.url, { launch })]);
    opened.push(a, b);
    const [alice, bob] = [a.page, b.page];
    await startCall(alice, bob);
    const matchId = await alice.$eval('main', (el) => el.dataset.matchId);
    await sendChat(bob, 'before the restart');
    await waitForChat(alice, 'before the restart');
    await clickButton(alice, 'Mute');
    await alice.waitForSelector('button[aria-pressed="true"]');
    const socketBefore = [...server.server.matchmaker.sessions()].map((session) => session.socketId);

    const { seenA } = await provesCallSurvives(a, b, async () => {
      const cdp = await alice.createCDPSession();
      await cdp.send('ServiceWorker.enable');
      await cdp.send('ServiceWorker.stopAllWorkers');
      // A new worker, a new socket, the same call.
      await expect.poll(() => [...server.server.matchmaker.sessions()].filter((s) => !socketBefore.includes(s.socketId) && s.match?.id === matchId).length, { timeout: 15_000 }).toBe(1);
      await waitForCallBack(alice);
      // The same call in the view: chat history and the mute kept.
      expect(await alice.$eval('main', (el) => el.dataset.matchId)).toBe(matchId);
      await waitForChat(alice, 'before the restart');
      expect(await alice.$eval('::-p-aria([name="Mute"][role="button"])', (el) => el.getAttribute('aria-pressed'))).toBe('true');
    });
    // The restarted worker did show the call as taking it back (not a stale view that never changed).
    expect(seenA.some((entry) => entry !== 'matched/connected')).toBe(true);
  }, 120_000);

  it('with no view open, the offscreen document wakes the stopped worker, which resumes the call', async () => {
    const server = await startServer({ INTEREST_WAIT_MS: 500 });
    servers.push(server);
    const launch = { ignoreWorkers: true };
    const [a, b] = await Promise.all([openPerson(server.url, { launch }), openPerson(server.url, { launch })]);
    opened.push(a, b);
    await startCall(a.page, b.page);
    const matchId = await a.page.$eval('main', (el) => el.dataset.matchId);
    const seenB = await recordView(b.page);
    // Alice closes her view: only her worker and offscreen document are left to wake anything.
    const blank = await a.browser.newPage();
    await a.page.close();
    const socketsBefore = [...server.server.matchmaker.sessions()].map((session) => session.socketId);
    const cdp = await blank.createCDPSession();
    await cdp.send('ServiceWorker.enable');
    await cdp.send('ServiceWorker.stopAllWorkers');

    await expect.poll(() => [...server.server.matchmaker.sessions()].filter((s) => !socketsBefore.includes(s.socketId) && s.match?.id === matchId).length, { timeout: 15_000 }).toBe(1);
    await waitForCallBack(b.page);
    expect((await seenB()).every((entry) => ['matched', 'partner-away'].includes(entry.split('/')[0]))).toBe(true);
    const offscreen = await offscreenPage(b.browser);
    expect(await offscreenGrowth(offscreen, 'framesDecoded', 1000)).toBeGreaterThan(5);
    // And Alice's views show the call when she opens one again.
    const view = await openExtensionPage(a.browser, 'popup.html');
    await waitForCallBack(view);
    expect(await view.$eval('main', (el) => el.dataset.matchId)).toBe(matchId);
  }, 120_000);
});

describe('views coming and going', () => {
  it('never silences the stranger: closing and reopening views keeps the call audible', async () => {
    const server = await startServer();
    servers.push(server);
    const [a, b] = await Promise.all([openPerson(server.url), openPerson(server.url)]);
    opened.push(a, b);
    await startCall(a.page, b.page);
    const offscreen = await offscreenPage(b.browser);
    const audible = () => expect.poll(() => offscreenGrowth(offscreen, 'audioEnergy', 1500), { timeout: 10_000, interval: 0 }).toBeGreaterThan(0.01);
    await audible();
    // A view that showed the stranger closes (Chromium once took the shared audio renderer down with it).
    await b.page.close();
    await audible();
    for (const path of ['sidepanel.html', 'popup.html']) {
      const view = await openExtensionPage(b.browser, path);
      await waitForPhase(view, 'matched');
      await view.close();
      await audible();
    }
  }, 90_000);
});

describe('service worker lifetime', () => {
  it('stays alive through a call longer than the idle timeout, with nothing attached to it', async () => {
    const server = await startServer();
    servers.push(server);
    // No puppeteer session on the workers: attaching would keep them alive artificially.
    const launch = { ignoreWorkers: true };
    const [a, b] = await Promise.all([openPerson(server.url, { launch }), openPerson(server.url, { launch })]);
    opened.push(a, b);
    const [alice, bob] = [a.page, b.page];
    await startCall(alice, bob);
    // Close the views too: only the worker's socket and the offscreen document are left.
    await alice.close();
    await bob.close();
    const matchId = [...server.server.matchmaker.sessions()][0].match!.id;
    await new Promise((r) => setTimeout(r, 45_000)); // Chrome stops an idle worker after 30 s
    const sessions = [...server.server.matchmaker.sessions()];
    expect(sessions).toHaveLength(2);
    expect(sessions.every((session) => session.match?.id === matchId)).toBe(true);
  }, 90_000);
});
