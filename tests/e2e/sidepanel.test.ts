/**
 * The side panel as the home of a call: real Chromium, the real extension and
 * server. `chrome.sidePanel.open()` needs a user gesture: the first test clicks
 * the popup's "Side panel" button (a real side panel target appears); the
 * others open sidepanel.html as a tab, which renders the same page.
 */
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickButton,
  EXTENSION_URL,
  launchWithExtension,
  offscreenGrowth,
  offscreenPage,
  openExtensionPage,
  prepareExtension,
  sampleVideo,
  sendChat,
  startCall,
  waitForChat,
  waitForPhase,
  type ExtensionBrowser,
} from '../helpers/browser';
import { startServer, type TestServer } from '../helpers/server';

let server: TestServer;
let a: ExtensionBrowser;
let b: ExtensionBrowser;
let alice: Page;
let bob: Page;


/** How much a counter of the stranger's media grew in a browser's offscreen document (its page looked up once). */
const offscreens = new Map<Browser, Page>();
async function growth(browser: Browser, counter: 'audioEnergy' | 'framesDecoded', ms: number) {
  if (!offscreens.has(browser)) offscreens.set(browser, await offscreenPage(browser));
  return offscreenGrowth(offscreens.get(browser)!, counter, ms);
}

async function badge(browser: Browser): Promise<string> {
  const target = await browser.waitForTarget((t) => t.type() === 'service_worker' && t.url().startsWith(EXTENSION_URL));
  const worker = (await target.worker())!;
  return worker.evaluate(() => chrome.action.getBadgeText({}));
}

beforeAll(async () => {
  server = await startServer();
  [a, b] = await Promise.all([launchWithExtension(), launchWithExtension()]);
  alice = await openExtensionPage(a.browser, 'sidepanel.html', { width: 360, height: 800 });
  bob = await openExtensionPage(b.browser, 'popup.html');
  await prepareExtension(alice, server.url);
  await prepareExtension(bob, server.url);
});

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await server?.close();
});

describe('the side panel', () => {
  it("the real toolbar popup (action.openPopup) renders the call UI", async () => {
    const target = await a.browser.waitForTarget((t) => t.type() === 'service_worker' && t.url().startsWith(EXTENSION_URL));
    await (await target.worker())!.evaluate(() => chrome.action.openPopup());
    const popupTarget = await a.browser.waitForTarget((t) => t.url() === `${EXTENSION_URL}/popup.html`, { timeout: 5000 });
    const popup = (await popupTarget.asPage())!;
    await popup.locator('::-p-aria([name="Start"][role="button"])').wait();
    await popup.locator('::-p-aria([name="Side panel"][role="button"])').wait();
  });

  it('opens as a real side panel from the popup\'s button', async () => {
    const popupTab = await openExtensionPage(a.browser, 'popup.html');
    await clickButton(popupTab, 'Side panel');
    const panel = await a.browser.waitForTarget((t) => t.url() === `${EXTENSION_URL}/sidepanel.html`, { timeout: 5000 });
    expect(panel).toBeTruthy();
  });

  it('holds a call that goes on while the person browses other tabs', async () => {
    await startCall(alice, bob);
    await alice.waitForFunction(() => !document.querySelector('.stage-message'), { polling: 100, timeout: 15_000 });

    // Alice switches to another tab, opens new ones and navigates; meanwhile messages flow.
    const other = await a.browser.newPage();
    await other.goto(server.url);
    await other.bringToFront();
    await sendChat(bob, 'are you still there?');
    const framesWhileAway = await growth(a.browser, 'framesDecoded', 1500);
    expect(framesWhileAway).toBeGreaterThan(10);
    await other.goto(`${server.url}/healthz`);
    await (await a.browser.newPage()).goto(server.url);

    await alice.bringToFront();
    await waitForChat(alice, 'are you still there?');
    const sample = await sampleVideo(alice, 'Stranger', 2000);
    expect(sample.advanced).toBeGreaterThan(1);
    expect(sample.brightness).toBeGreaterThan(10);
    await sendChat(alice, 'yes, reading the news');
    await waitForChat(bob, 'yes, reading the news');
    // Sent, then delivered: the stranger's side acknowledged it.
    await alice.waitForFunction(() => document.querySelector('.line.me .receipt')?.textContent === '✓✓', { polling: 100, timeout: 5000 });
  });

  it('shows the stranger typing', async () => {
    await bob.locator('::-p-aria([name="Message"][role="textbox"])').fill('typing something');
    await alice.waitForSelector('.typing', { timeout: 5000 });
  });

  it('counts unread messages on the toolbar badge while no view is open, and clears it on opening', async () => {
    await bob.close();
    await new Promise((r) => setTimeout(r, 300));
    await sendChat(alice, 'first while closed');
    await sendChat(alice, 'second while closed');
    await expect.poll(() => badge(b.browser), { timeout: 5000 }).toBe('2');
    bob = await openExtensionPage(b.browser, 'sidepanel.html');
    await waitForPhase(bob, 'matched');
    await expect.poll(() => badge(b.browser), { timeout: 5000 }).toBe('');
    // Opened mid-call, the panel shows the chat so far.
    await waitForChat(bob, 'second while closed');
  });

  it('keeps a popup and a side panel open together in sync', async () => {
    const bobPopup = await openExtensionPage(b.browser, 'popup.html');
    await waitForPhase(bobPopup, 'matched');
    await waitForChat(bobPopup, 'second while closed');
    await sendChat(alice, 'seen twice');
    await waitForChat(bob, 'seen twice');
    await waitForChat(bobPopup, 'seen twice');
    await bobPopup.close();
    await bob.bringToFront();
  });

  it('mute silences the stranger\'s received audio', async () => {
    // The fake microphone beeps; wait for a window in which the stranger's audio carries energy.
    let speaking = 0;
    await expect.poll(async () => (speaking = await growth(b.browser, 'audioEnergy', 1000)), { timeout: 10_000, interval: 0 }).toBeGreaterThan(0.01);
    await clickButton(alice, 'Mute');
    await alice.waitForSelector('.toggles button[aria-pressed="true"]');
    // Silence within a few seconds (the jitter buffer drains first), and it stays silent.
    await expect.poll(() => growth(b.browser, 'audioEnergy', 1000), { timeout: 8000, interval: 0 }).toBeLessThan(speaking / 1000);
    expect(await growth(b.browser, 'audioEnergy', 2500)).toBeLessThan(speaking / 1000);
    await clickButton(alice, 'Mute');
  });

  it('camera off stops the stranger\'s frames and shows them a placeholder', async () => {
    expect(await growth(b.browser, 'framesDecoded', 1000)).toBeGreaterThan(5);
    await clickButton(alice, 'Camera off');
    await bob.waitForFunction(() => document.querySelector('.stage-message')?.textContent?.includes('camera off'), { polling: 100, timeout: 5000 });
    await new Promise((r) => setTimeout(r, 500));
    expect(await growth(b.browser, 'framesDecoded', 2000)).toBe(0);
    await clickButton(alice, 'Camera off');
    await expect.poll(() => growth(b.browser, 'framesDecoded', 1000), { timeout: 8000 }).toBeGreaterThan(5);
  });

  it('lists the cameras and microphones present to choose from', async () => {
    await alice.locator('summary').click();
    await alice.waitForFunction(() => document.querySelectorAll('#camera option').length > 1, { polling: 100, timeout: 5000 });
    const cameras = await alice.$$eval('#camera option', (options) => options.map((o) => o.textContent));
    const mics = await alice.$$eval('#microphone option', (options) => options.map((o) => o.textContent));
    expect(cameras.slice(1).join()).toMatch(/fake/i);
    expect(mics.length).toBeGreaterThan(1);
  });

  it('registers the keyboard shortcuts and shows them', async () => {
    const line = await alice.$eval('.shortcuts', (el) => el.textContent ?? '');
    expect(line).toContain('Alt+Shift+K');
    expect(line).toContain('Alt+Shift+S');
    expect(line).toContain('Alt+Shift+M');
  });

  it('speaks French to a French browser', async () => {
    const fr = await launchWithExtension({ lang: 'fr' });
    try {
      const page = await openExtensionPage(fr.browser, 'sidepanel.html');
      await page.locator('::-p-aria([name="Démarrer"][role="button"])').wait();
      expect(await page.$eval('label[for="message"]', (el) => el.textContent)).toBe('Message');
      expect(await page.$eval('.stage-message', (el) => el.textContent)).toContain('Appuyez sur Démarrer');
      expect(await page.evaluate(() => document.documentElement.lang)).toMatch(/^fr/);
    } finally {
      await fr.close();
    }
  });
});
