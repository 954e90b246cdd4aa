/**
 * npm run screenshots — the popup in each state a person meets, taken in
 * headless Chromium with the real extension and server, saved to
 * docs/screenshots/ for the README.
 */
import type { Page } from 'puppeteer-core';
import { clickButton, launchWithExtension, openExtensionPage, setServerUrl, waitForPhase } from '../tests/helpers/browser';
import { startServer } from '../tests/helpers/server';

const OUT = 'docs/screenshots';
const VIEWPORT = { width: 380, height: 640 };

async function shot(page: Page, name: string) {
  await new Promise((r) => setTimeout(r, 400));
  await page.screenshot({ path: `${OUT}/${name}.png` });
  console.log(`saved ${OUT}/${name}.png`);
}

async function send(page: Page, text: string) {
  await page.locator('::-p-aria([name="Message"][role="textbox"])').fill(text);
  await page.keyboard.press('Enter');
}

const server = await startServer();
const a = await launchWithExtension();
const b = await launchWithExtension();
try {
  const alice = await openExtensionPage(a.browser, 'popup.html', VIEWPORT);
  const bob = await openExtensionPage(b.browser, 'popup.html', VIEWPORT);
  await setServerUrl(alice, server.url);
  await setServerUrl(bob, server.url);
  await shot(alice, 'popup-idle');

  await clickButton(alice, 'Start');
  await waitForPhase(alice, 'waiting');
  await alice.waitForSelector('.stats', { timeout: 3000 });
  await shot(alice, 'popup-waiting');

  await clickButton(bob, 'Start');
  await waitForPhase(alice, 'matched');
  await alice.waitForFunction(() => !document.querySelector('.stage-message'), { timeout: 15_000 });
  await send(bob, 'Hi! Where are you calling from?');
  await alice.waitForFunction(() => document.querySelector('[role="log"]')?.textContent?.includes('Hi!'));
  await send(alice, 'Hello! From a side tab, reading the news.');
  await new Promise((r) => setTimeout(r, 1500));
  await shot(alice, 'popup-in-call');

  await clickButton(bob, 'Stop');
  await waitForPhase(alice, 'partner-left');
  await shot(alice, 'popup-partner-left');

  await clickButton(alice, 'Next');
  await waitForPhase(alice, 'waiting');
  await server.close();
  await alice.waitForSelector('.stage-message.error', { timeout: 10_000 });
  await shot(alice, 'popup-server-unreachable');
} finally {
  await a.close();
  await b.close();
  await server.close();
}
process.exit(0);
