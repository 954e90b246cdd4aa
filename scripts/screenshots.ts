/**
 * npm run screenshots — the popup and the side panel in each state a person
 * meets (idle, the rules, looking, in a call, reporting, the stranger's
 * connection unstable, our own reconnecting, a report that could not be
 * sent, stranger left, server unreachable), in
 * light and dark, English and French, taken in headless Chromium with the
 * real extension and server and saved to docs/screenshots/.
 */
import type { Page } from 'puppeteer-core';
import { clickButton, EXTENSION_URL, launchWithExtension, openExtensionPage, prepareExtension, sendChat, setServerUrl, waitForPhase } from '../tests/helpers/browser';
import { startTcpProxy } from '../tests/helpers/tcp-proxy';
import { startServer } from '../tests/helpers/server';
import { ensureTools } from './ensure-tools.mjs';
import { captureModeration } from './moderation-screenshots';

const OUT = 'docs/screenshots';

interface Look {
  surface: 'popup' | 'sidepanel';
  scheme: 'light' | 'dark';
  lang: 'en' | 'fr';
}

const LOOKS: Look[] = [
  { surface: 'popup', scheme: 'light', lang: 'en' },
  { surface: 'sidepanel', scheme: 'light', lang: 'en' },
  { surface: 'sidepanel', scheme: 'dark', lang: 'en' },
  { surface: 'sidepanel', scheme: 'light', lang: 'fr' },
  { surface: 'sidepanel', scheme: 'dark', lang: 'fr' },
];

async function capture(look: Look) {
  const prefix = `${look.surface}-${look.scheme}-${look.lang}`;
  const shot = async (page: Page, state: string) => {
    await new Promise((r) => setTimeout(r, 400));
    await page.screenshot({ path: `${OUT}/${prefix}-${state}.png` });
    console.log(`saved ${OUT}/${prefix}-${state}.png`);
  };
  const viewport = look.surface === 'popup' ? { width: 380, height: 720 } : { width: 360, height: 820 };
  // A long grace: on a busy machine the shots taken while a link is cut can outlast the default 20 s.
  const server = await startServer({ RESUME_GRACE_S: 120 });
  // Each browser reaches the server through a proxy that can cut its signaling.
  const personLink = await startTcpProxy(Number(new URL(server.url).port));
  const strangerLink = await startTcpProxy(Number(new URL(server.url).port));
  const a = await launchWithExtension({ lang: look.lang });
  const b = await launchWithExtension();
  try {
    const person = await openExtensionPage(a.browser, `${look.surface}.html`, viewport);
    await person.emulateMediaFeatures([{ name: 'prefers-color-scheme', value: look.scheme }]);
    const stranger = await openExtensionPage(b.browser, 'popup.html');
    await setServerUrl(person, personLink.url); // a first-timer: the rules gate comes first
    await prepareExtension(stranger, strangerLink.url);
    await person.evaluate(() => chrome.storage.local.set({ interests: ['music', 'travel'] }));
    await person.reload();
    await person.waitForSelector('main[data-phase]');
    await shot(person, 'idle');

    await person.locator('.controls button.primary').click();
    await waitForPhase(person, 'rules');
    await shot(person, 'rules');

    await person.locator('.rules button.primary').click();
    await waitForPhase(person, 'waiting');
    await person.waitForSelector('.stats', { timeout: 3000 });
    await shot(person, 'waiting');

    await stranger.evaluate(() => chrome.storage.local.set({ interests: ['travel'] }));
    await clickButton(stranger, 'Start');
    await waitForPhase(person, 'matched');
    await person.waitForFunction(() => !document.querySelector('.stage-message'), { polling: 100, timeout: 15_000 });
    await sendChat(stranger, look.lang === 'fr' ? 'Salut ! Tu appelles d’où ?' : 'Hi! Where are you calling from?');
    await person.waitForSelector('.line.stranger');
    await sendChat(person, look.lang === 'fr' ? 'Bonjour ! D’un onglet à côté, je lis les infos.' : 'Hello! From a side tab, reading the news.');
    await person.waitForFunction(() => document.querySelector('.line.me .receipt')?.textContent === '✓✓', { polling: 100, timeout: 5000 });
    await new Promise((r) => setTimeout(r, 2100)); // typing signals are sent at most every 2 s
    await stranger.locator('#message').fill('typing');
    await person.waitForSelector('.typing', { timeout: 3000 });
    await shot(person, 'in-call');

    await person.locator('button.report').click();
    await person.waitForSelector('dialog[open]');
    await shot(person, 'report');
    await person.locator('dialog[open] button[type="button"]').click();

    // The stranger's connection drops: the call goes on, and the person is told honestly.
    strangerLink.cut();
    await waitForPhase(person, 'partner-away');
    await shot(person, 'partner-away');
    strangerLink.restore();
    await person.waitForSelector('main[data-phase="matched"][data-link="connected"]', { timeout: 20_000 });

    // The person's own connection drops: the call goes on; a report meanwhile says it was not sent.
    personLink.cut();
    await person.waitForSelector('main[data-link="reconnecting"]', { timeout: 10_000 });
    await shot(person, 'reconnecting');
    await person.locator('button.report').click();
    await person.locator('dialog[open] button[type="submit"]').click();
    await person.waitForSelector('dialog[open] .report-status.error');
    await shot(person, 'report-offline');
    await person.locator('dialog[open] button[type="button"]').click();
    personLink.restore();
    await person.waitForSelector('main[data-phase="matched"][data-link="connected"]', { timeout: 20_000 });

    await clickButton(stranger, 'Stop');
    await waitForPhase(person, 'partner-left');
    await shot(person, 'partner-left');

    await person.locator('.controls button.primary').click();
    await waitForPhase(person, 'waiting');
    await server.close();
    await person.waitForSelector('.stage-message.error', { timeout: 10_000 });
    await shot(person, 'server-unreachable');
  } finally {
    await a.close();
    await b.close();
    await personLink.close();
    await strangerLink.close();
    await server.close();
  }
}

/** The camera permission tab (asking, then blocked) and the popup when there is no camera at all. */
async function captureCameraProblems() {
  const server = await startServer();
  const asking = await launchWithExtension({ fakeUi: false });
  const noCamera = await launchWithExtension({ fakeDevices: false });
  try {
    const tab = await asking.browser.newPage();
    await tab.setViewport({ width: 800, height: 420 });
    await tab.goto(`${EXTENSION_URL}/permission.html`);
    await tab.waitForSelector('main[data-step="ask"]');
    await tab.screenshot({ path: `${OUT}/permission-ask.png` });
    await clickButton(tab, 'Allow camera and microphone');
    await tab.waitForSelector('main[data-step="denied"]');
    await tab.screenshot({ path: `${OUT}/permission-blocked.png` });

    const popup = await openExtensionPage(noCamera.browser, 'popup.html', { width: 380, height: 720 });
    await prepareExtension(popup, server.url);
    await clickButton(popup, 'Start');
    await popup.waitForSelector('.stage-message.error', { timeout: 10_000 });
    await popup.screenshot({ path: `${OUT}/popup-light-en-no-camera.png` });
    console.log(`saved ${OUT}/permission-ask.png, permission-blocked.png, popup-light-en-no-camera.png`);
  } finally {
    await asking.close();
    await noCamera.close();
    await server.close();
  }
}

ensureTools();
// `npm run screenshots -- camera` takes only the camera problems, `-- moderation` only moderation.
const only = process.argv[2];
if (!only) for (const look of LOOKS) await capture(look);
if (!only || only === 'camera') await captureCameraProblems();
if (!only || only === 'moderation') await captureModeration();
process.exit(0);
