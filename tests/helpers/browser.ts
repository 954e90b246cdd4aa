/**
 * Real Chromium (Debian's, via puppeteer-core) with the real built extension
 * loaded, a profile of its own and a fake camera and microphone.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import puppeteer, { type Browser, type Page, type Target } from 'puppeteer-core';
import { EXTENSION_ID } from '../../shared/extension-id';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
export const EXTENSION_DIR = resolve('.output/chrome-mv3');
export const EXTENSION_URL = `chrome-extension://${EXTENSION_ID}`;

export interface LaunchOptions {
  /** Grant camera/microphone without a prompt (default true). */
  fakeUi?: boolean;
  /** A fake camera and microphone (default true); without, this machine has none. */
  fakeDevices?: boolean;
  lang?: string;
  /** Attach to no service worker, so tests observe the worker's natural lifetime. */
  ignoreWorkers?: boolean;
  /** Load the built extension (default true); false gives a plain browser, for the reference client. */
  extension?: boolean;
}

export interface ExtensionBrowser {
  browser: Browser;
  close(): Promise<void>;
}

export async function launchWithExtension(options: LaunchOptions = {}): Promise<ExtensionBrowser> {
  const extension = options.extension !== false;
  if (extension && !existsSync(join(EXTENSION_DIR, 'manifest.json'))) throw new Error('Build the extension first (npm run build).');
  const profile = mkdtempSync(join(tmpdir(), 'tabcall-profile-'));
  const args = [
    ...(extension ? [`--load-extension=${EXTENSION_DIR}`, `--disable-extensions-except=${EXTENSION_DIR}`] : []),
    '--no-sandbox',
    '--disable-gpu',
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-sync',
    '--no-first-run',
    '--disable-quic',
    '--allow-loopback-in-peer-connection',
    '--autoplay-policy=no-user-gesture-required',
    `--lang=${options.lang ?? 'en-US'}`,
  ];
  if (options.fakeUi !== false) args.push('--use-fake-ui-for-media-stream');
  if (options.fakeDevices !== false) args.push('--use-fake-device-for-media-stream');
  const browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    userDataDir: profile,
    ignoreDefaultArgs: extension ? ['--disable-extensions'] : [],
    args,
    env: { ...process.env, LANGUAGE: options.lang ?? 'en-US' },
    targetFilter: options.ignoreWorkers ? (target: Target) => target.type() !== 'service_worker' : undefined,
  });
  // The extension loads a moment after the browser: its worker starting means it is ready.
  if (extension && !options.ignoreWorkers) {
    await browser.waitForTarget((t) => t.type() === 'service_worker' && t.url().startsWith(EXTENSION_URL), { timeout: 15_000 });
  } else if (extension) {
    await new Promise((r) => setTimeout(r, 1000));
  }
  return {
    browser,
    async close() {
      await browser.close().catch(() => {});
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/**
 * esbuild (under tsx or vitest) may wrap functions we send to page.evaluate
 * with its `__name` helper, which the page lacks: give every page a no-op one.
 */
const NAME_SHIM = 'globalThis.__name ??= (fn) => fn';
export async function withNameShim(page: Page): Promise<Page> {
  await page.evaluateOnNewDocument(NAME_SHIM);
  await page.evaluate(NAME_SHIM).catch(() => {});
  return page;
}

/** Opens an extension page (popup.html, sidepanel.html…) in a tab. */
export async function openExtensionPage(browser: Browser, path: string, viewport = { width: 400, height: 760 }): Promise<Page> {
  const page = await withNameShim(await browser.newPage());
  await page.setViewport(viewport);
  await page.goto(`${EXTENSION_URL}/${path}`);
  await page.waitForSelector('main[data-phase]');
  return page;
}

/** Points the extension at a test server (the settings view stores it the same way). */
export async function setServerUrl(page: Page, url: string): Promise<void> {
  await page.evaluate((value) => chrome.storage.local.set({ serverUrl: value }), url);
}

/** A person who has been here before: test server set, rules already accepted (the gate has its own test). */
export async function prepareExtension(page: Page, url: string): Promise<void> {
  await setServerUrl(page, url);
  await page.evaluate(() => chrome.storage.local.set({ rulesAccepted: { version: 1, at: Date.now() } }));
}

export async function clickButton(page: Page, name: string): Promise<void> {
  await page.locator(`::-p-aria([name="${name}"][role="button"])`).click();
}

export async function waitForPhase(page: Page, phase: string, timeout = 15_000): Promise<void> {
  await page.waitForSelector(`main[data-phase="${phase}"]`, { timeout });
}

/** The offscreen document's page, once it exists. */
export async function offscreenPage(browser: Browser, timeout = 10_000): Promise<Page> {
  const target = await browser.waitForTarget((t) => t.url().endsWith('/offscreen.html'), { timeout });
  return withNameShim(await target.asPage());
}

/**
 * Samples a video element in the visible page over `ms`: how far currentTime
 * advanced, how many frames were presented, and the mean brightness of a frame.
 */
export async function sampleVideo(page: Page, label: string, ms = 2000) {
  return page.evaluate(
    async (name, duration) => {
      const video = document.querySelector<HTMLVideoElement>(`video[aria-label="${name}"]`);
      if (!video) throw new Error(`no video labelled ${name}`);
      const start = video.currentTime;
      let frames = 0;
      const count = () => {
        frames++;
        video.requestVideoFrameCallback(count);
      };
      video.requestVideoFrameCallback(count);
      await new Promise((r) => setTimeout(r, duration));
      const canvas = document.createElement('canvas');
      canvas.width = 64;
      canvas.height = 48;
      const ctx = canvas.getContext('2d')!;
      ctx.drawImage(video, 0, 0, 64, 48);
      const { data } = ctx.getImageData(0, 0, 64, 48);
      let sum = 0;
      for (let i = 0; i < data.length; i += 4) sum += data[i] + data[i + 1] + data[i + 2];
      return { advanced: video.currentTime - start, frames, brightness: sum / (data.length / 4) / 3, width: video.videoWidth };
    },
    label,
    ms,
  );
}


/** Counters of the stranger's media as the offscreen document receives it (getStats inbound-rtp). */
export interface InboundCounters {
  framesDecoded: number;
  /** totalAudioEnergy: stops growing when the stranger is silent. */
  audioEnergy: number;
}

export async function offscreenInbound(page: Page): Promise<InboundCounters> {
  return page.evaluate(async () => {
    const pc = (window as unknown as { tabcall?: { peer: RTCPeerConnection | null } }).tabcall?.peer;
    const out = { framesDecoded: 0, audioEnergy: 0 };
    (await pc?.getStats())?.forEach((r: { type: string; kind?: string; framesDecoded?: number; totalAudioEnergy?: number }) => {
      if (r.type !== 'inbound-rtp') return;
      if (r.kind === 'video') out.framesDecoded += r.framesDecoded ?? 0;
      if (r.kind === 'audio') out.audioEnergy += r.totalAudioEnergy ?? 0;
    });
    return out;
  });
}

/** How much one inbound counter grew over `ms`. */
export async function offscreenGrowth(page: Page, counter: keyof InboundCounters, ms: number): Promise<number> {
  const before = (await offscreenInbound(page))[counter];
  await new Promise((r) => setTimeout(r, ms));
  return (await offscreenInbound(page))[counter] - before;
}

export { EXTENSION_ID };

export interface Person extends ExtensionBrowser {
  /** The extension page this person looks at (popup.html by default, opened as a tab). */
  page: Page;
}

/** A browser of its own with the extension, one page open, pointed at the server (and past the rules, unless `firstTime`). */
export async function openPerson(
  serverUrl: string,
  options: { path?: string; firstTime?: boolean; launch?: LaunchOptions; viewport?: { width: number; height: number } } = {},
): Promise<Person> {
  const launched = await launchWithExtension(options.launch);
  const page = await openExtensionPage(launched.browser, options.path ?? 'popup.html', options.viewport);
  if (options.firstTime) await setServerUrl(page, serverUrl);
  else await prepareExtension(page, serverUrl);
  return { ...launched, page };
}

/** The first presses Start and waits; the second presses Start; both end up in the call. */
export async function startCall(first: Page, second: Page): Promise<void> {
  await clickButton(first, 'Start');
  await waitForPhase(first, 'waiting');
  await clickButton(second, 'Start');
  await waitForPhase(first, 'matched');
  await waitForPhase(second, 'matched');
}

/** Types into the Message box and presses Enter. */
export async function sendChat(page: Page, text: string): Promise<void> {
  await page.locator('::-p-aria([name="Message"][role="textbox"])').fill(text);
  await page.keyboard.press('Enter');
}

/** Waits until the chat log shows `text` (polling: rAF stalls in background tabs). */
export async function waitForChat(page: Page, text: string, timeout = 5000): Promise<void> {
  await page.waitForFunction((t) => document.querySelector('[role="log"]')?.textContent?.includes(t), { polling: 100, timeout }, text);
}
