/**
 * Two (then three) real Chromium browsers, each with the real built extension
 * and a fake camera, meet through the real server: video both ways in the
 * visible page (one browser through the direct path, one forced through the
 * loopback bridge), chat, Next, Stop, and the call outliving its popup.
 */
import type { Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  clickButton,
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
const browsers: ExtensionBrowser[] = [];
let alice: Page;
let bob: Page;

async function person(path = 'popup.html'): Promise<Page> {
  const browser = await launchWithExtension();
  browsers.push(browser);
  const page = await openExtensionPage(browser.browser, path);
  await prepareExtension(page, server.url);
  return page;
}

const chatText = (page: Page) => page.$eval('[role="log"]', (log) => log.textContent ?? '');

/** The stranger's video advances and is not black, in the visible page. */
async function expectStrangerVideo(page: Page) {
  const sample = await sampleVideo(page, 'Stranger', 2000);
  expect(sample.advanced).toBeGreaterThan(1);
  expect(sample.frames).toBeGreaterThan(10);
  expect(sample.width).toBeGreaterThan(0);
  expect(sample.brightness).toBeGreaterThan(10);
}

beforeAll(async () => {
  server = await startServer();
  alice = await person('popup.html');
  bob = await person('popup.html?video=bridge');
});

afterAll(async () => {
  await Promise.all(browsers.map((b) => b.close()));
  await server?.close();
});

describe('a call between two browsers', () => {
  it('pairs the two after Start', async () => {
    await startCall(alice, bob);
    expect(server.server.matchmaker.stats()).toMatchObject({ online: 2, inCalls: 2 });
  });

  it('shows each the stranger\'s live video, directly in one and through the bridge in the other', async () => {
    await alice.waitForFunction(() => !document.querySelector('.stage-message'), { polling: 100, timeout: 15_000 });
    await bob.waitForFunction(() => !document.querySelector('.stage-message'), { polling: 100, timeout: 15_000 });
    await alice.waitForSelector('.stage[data-video-path="direct"]', { timeout: 5000 });
    await bob.waitForSelector('.stage[data-video-path="bridge"]', { timeout: 5000 });
    await expectStrangerVideo(alice);
    await expectStrangerVideo(bob);
    const own = await sampleVideo(alice, 'You', 1000);
    expect(own.advanced).toBeGreaterThan(0.5);
  });

  it('delivers chat both ways over the data channel', async () => {
    await sendChat(alice, 'hello from alice <b>bold</b>');
    await waitForChat(bob, 'hello from alice <b>bold</b>');
    expect(await bob.$$eval('[role="log"] b', (nodes) => nodes.length)).toBe(0);
    await sendChat(bob, 'hi alice');
    await waitForChat(alice, 'hi alice');
    expect(await chatText(alice)).toContain('hello from alice');
  });

  it('Next pairs alice with a third person; bob is told the stranger moved on', async () => {
    const carol = await person('popup.html');
    await clickButton(carol, 'Start');
    await waitForPhase(carol, 'waiting');
    await clickButton(alice, 'Next');
    await waitForPhase(bob, 'partner-left');
    expect(await bob.$eval('.stage-message', (el) => el.textContent)).toMatch(/moved on/);
    await waitForPhase(carol, 'matched');
    await waitForPhase(alice, 'matched');
    // The chat belonged to bob's call: it is gone.
    expect(await chatText(alice)).not.toContain('hi alice');
    await carol.waitForFunction(() => !document.querySelector('.stage-message'), { polling: 100, timeout: 15_000 });
    await expectStrangerVideo(carol);
  });

  it('closing the popup does not end the call: the offscreen document keeps it', async () => {
    const aliceBrowser = browsers[0].browser;
    const offscreen = await offscreenPage(aliceBrowser);
    await alice.close();
    expect(await offscreenGrowth(offscreen, 'framesDecoded', 2500)).toBeGreaterThan(15);
    // And the stranger is still heard: the offscreen document plays the audio, not the popup.
    await expect.poll(() => offscreenGrowth(offscreen, 'audioEnergy', 1000), { timeout: 10_000, interval: 0 }).toBeGreaterThan(0.01);
    const carol = (await browsers[2].browser.pages()).find((p) => p.url().includes('popup.html'))!;
    await expectStrangerVideo(carol);
    // Reopened, the popup shows the call still going.
    alice = await openExtensionPage(aliceBrowser, 'popup.html');
    await waitForPhase(alice, 'matched');
    await expectStrangerVideo(alice);
  });

  it('Stop ends the call and the stranger sees the notice', async () => {
    const carol = (await browsers[2].browser.pages()).find((p) => p.url().includes('popup.html'))!;
    await clickButton(alice, 'Stop');
    await waitForPhase(alice, 'idle');
    await waitForPhase(carol, 'partner-left');
    expect(await carol.$eval('.stage-message', (el) => el.textContent)).toMatch(/left/);
    await carol.locator('::-p-aria([name="Next"][role="button"])').wait();
  });
});
