/**
 * npm run bench:call — real Chromium, the real extension, the real server, on
 * loopback. For the person who presses Start (a stranger already waiting) and
 * for Next (another stranger waiting): click → match:found shown in the view,
 * and → the new stranger's first frame presented in the visible popup
 * (requestVideoFrameCallback). Baseline, same run, same browser: two
 * RTCPeerConnections in one plain page exchanging SDP directly.
 *
 * Everything is timed by events, never by polling: the view's click event, a
 * MutationObserver, requestVideoFrameCallback, and the extension's own User
 * Timing marks (extension/lib/trace.ts) read back from the view, the worker
 * and the offscreen document of both people after each run; the trace table
 * says where the time of a set-up goes, hop by hop. All contexts share the
 * machine's clock (performance.timeOrigin + mark time).
 *
 * Also: the popup interactive (Start enabled) after it opens, and its
 * JavaScript gzipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { Browser, Page, WebWorker } from 'puppeteer-core';
import {
  clickButton,
  EXTENSION_DIR,
  EXTENSION_URL,
  launchWithExtension,
  offscreenPage,
  openExtensionPage,
  prepareExtension,
  waitForPhase,
  withNameShim,
} from '../tests/helpers/browser';
import { ensureTools } from '../scripts/ensure-tools.mjs';
import { fmt, startChild, table } from './lib';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TRACE_PREFIX = 'tabcall:';

/** One person: a browser with the extension, its popup in a tab, its worker and (once started) offscreen document. */
interface Person {
  browser: Browser;
  view: Page;
  offscreen?: Page;
}

/** Epoch-based times (ms) of one set-up, by "who:hop". */
type Trace = Record<string, number>;

async function workerOf(browser: Browser): Promise<WebWorker> {
  const target = await browser.waitForTarget((t) => t.type() === 'service_worker' && t.url().startsWith(EXTENSION_URL));
  return (await target.worker())!;
}

/** The extension's trace marks of one context, as epoch times. */
function readMarks(context: Page | WebWorker): Promise<Array<[string, number]>> {
  return context.evaluate(
    (prefix) =>
      performance
        .getEntriesByType('mark')
        .filter((entry) => entry.name.startsWith(prefix))
        .map((entry) => [entry.name.slice(prefix.length), performance.timeOrigin + entry.startTime] as [string, number]),
    TRACE_PREFIX,
  );
}

/** Arms the view: the click, the phase turning matched with a new match id, and the new stranger's first presented frame. */
function armView(page: Page) {
  return page.evaluate(
    () =>
      new Promise<{ click: number; matched?: number; frame?: number }>((resolve) => {
        const epoch = (t: number) => performance.timeOrigin + t;
        const result: { click: number; matched?: number; frame?: number } = { click: 0 };
        const video = document.querySelector<HTMLVideoElement>('video[aria-label="Stranger"]')!;
        const main = document.querySelector('main')!;
        const previous = main.dataset.matchId;
        const previousStream = video.srcObject;
        const done = () => result.matched && result.frame && resolve(result);
        // The click as the page received it (not when the test started moving the mouse).
        addEventListener('click', (event) => (result.click = epoch(event.timeStamp)), { capture: true, once: true });
        // A new call: phase matched with a match id other than the one shown now (Next goes matched → matched).
        const observer = new MutationObserver(() => {
          if (main.dataset.phase === 'matched' && main.dataset.matchId !== previous) {
            result.matched = epoch(performance.now());
            observer.disconnect();
            done();
          }
        });
        observer.observe(main, { attributes: true, attributeFilter: ['data-phase', 'data-match-id'] });
        // A frame of the *new* stranger: from a stream other than the one playing now, after the match.
        const onFrame = (now: DOMHighResTimeStamp) => {
          if (result.matched && video.srcObject !== previousStream) {
            result.frame = epoch(now);
            done();
          } else video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
        (window as unknown as { __armed: boolean }).__armed = true;
        setTimeout(() => resolve(result), 20_000);
      }),
  );
}

/** Bob clicks `button`; returns the view's times and every trace mark of both people, relative to the click. */
async function measure(me: Person, stranger: Person, button: string): Promise<Trace> {
  const marks = armView(me.view);
  await me.view.waitForFunction(() => (window as unknown as { __armed?: boolean }).__armed, { polling: 'mutation' });
  await clickButton(me.view, button);
  const view = await marks;
  await me.view.evaluate(() => delete (window as unknown as { __armed?: boolean }).__armed);
  const trace: Trace = { 'me:match:found shown': view.matched ?? NaN, 'me:first frame presented (view)': view.frame ?? NaN };
  for (const [who, person] of [['me', me], ['stranger', stranger]] as const) {
    const contexts: Array<Page | WebWorker> = [person.view, await workerOf(person.browser), ...(person.offscreen ? [person.offscreen] : [])];
    for (const context of contexts) {
      // Marks older than the click belong to an earlier set-up (each hop keeps only its latest mark).
      for (const [hop, at] of await readMarks(context)) if (at >= view.click - 1) trace[`${who}:${hop}`] = at;
    }
  }
  for (const key of Object.keys(trace)) trace[key] -= view.click;
  return trace;
}

/** Two peer connections in one plain page, SDP and candidates handed over directly; timed by events. */
function baseline(page: Page) {
  return page.evaluate(async () => {
    const now = () => performance.now();
    const stream = await navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 }, audio: true });
    const video = document.createElement('video');
    video.muted = true;
    video.autoplay = true;
    document.body.append(video);
    const t0 = now();
    const a = new RTCPeerConnection();
    const b = new RTCPeerConnection();
    a.onicecandidate = ({ candidate }) => candidate && void b.addIceCandidate(candidate);
    b.onicecandidate = ({ candidate }) => candidate && void a.addIceCandidate(candidate);
    const marks: { ice?: number; media?: number; presented?: number } = {};
    const presented = new Promise<void>((resolve) =>
      video.requestVideoFrameCallback(() => {
        marks.presented = now() - t0;
        resolve();
      }),
    );
    b.oniceconnectionstatechange = () => b.iceConnectionState === 'connected' && (marks.ice ??= now() - t0);
    b.ontrack = ({ track, streams }) => {
      if (track.kind !== 'video') return;
      track.onunmute = () => (marks.media ??= now() - t0);
      video.srcObject = streams[0];
    };
    for (const track of stream.getTracks()) a.addTrack(track, stream);
    a.createDataChannel('chat', { negotiated: true, id: 0 });
    b.createDataChannel('chat', { negotiated: true, id: 0 });
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!);
    await Promise.race([presented, new Promise((r) => setTimeout(r, 10_000))]);
    a.close();
    b.close();
    for (const track of stream.getTracks()) track.stop();
    video.remove();
    return marks;
  });
}

/** Time from opening popup.html to its Start button enabled, and to an equivalent static button (baseline). */
async function popupInteractive(browser: Browser): Promise<{ popup: number; plain: number }> {
  const page = await withNameShim(await browser.newPage());
  // Installed before any script of the page: notes when a button named Start exists and is enabled.
  await page.evaluateOnNewDocument(() => {
    const check = () => {
      const start = [...document.querySelectorAll('button')].find((b) => b.textContent?.trim() === 'Start' && !b.disabled);
      if (!start) return false;
      (window as unknown as { __interactive: number }).__interactive = performance.now();
      return true;
    };
    new MutationObserver((_, observer) => check() && observer.disconnect()).observe(document, { subtree: true, childList: true, attributes: true });
  });
  const read = () => page.waitForFunction(() => (window as unknown as { __interactive?: number }).__interactive, { polling: 'mutation' }).then((h) => h.jsonValue() as Promise<number>);
  await page.goto(`${EXTENSION_URL}/popup.html`);
  const popup = await read();
  await page.goto(`data:text/html,<!doctype html><meta charset="utf-8"><main><button>Start</button></main>`);
  const plain = await read();
  await page.close();
  return { popup, plain };
}

/** The popup's JavaScript (its entry script and every module it preloads), gzipped. */
function popupScriptBytes(): number {
  const html = readFileSync(join(EXTENSION_DIR, 'popup.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/([^"]+\.js)"/g)].map((m) => m[1]);
  return files.reduce((sum, file) => sum + gzipSync(readFileSync(join(EXTENSION_DIR, file)), { level: 9 }).length, 0);
}

const median = (values: number[]) => {
  const sorted = values.filter(Number.isFinite).sort((x, y) => x - y);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

/** The trace of one kind of set-up: every hop's median time after the click, in order. */
function traceTable(traces: Trace[]): string {
  const keys = [...new Set(traces.flatMap(Object.keys))];
  const rows = keys
    .map((key) => ({ key, at: median(traces.map((t) => t[key] ?? NaN)), seen: traces.filter((t) => Number.isFinite(t[key])).length }))
    .sort((x, y) => x.at - y.at);
  let previous = 0;
  return table(
    ['who:hop', 'ms after click', 'Δ', 'runs'],
    rows.map(({ key, at, seen }) => {
      const delta = at - previous;
      previous = at;
      return [key, fmt(at, 1), fmt(delta, 1), `${seen}/${traces.length}`];
    }),
  );
}

function goalRow(name: string, value: number, base: number, goal: { max?: number; ratio?: number }, unit = 'ms') {
  const ratio = value / base;
  const met = (goal.max === undefined || value <= goal.max) && (goal.ratio === undefined || ratio <= goal.ratio);
  const goalText = [goal.max !== undefined && `≤ ${goal.max} ${unit}`, goal.ratio !== undefined && `≤ ${goal.ratio}× baseline`].filter(Boolean).join(', ');
  return [name, `${fmt(value, 1)} ${unit}`, Number.isFinite(base) ? `${fmt(base, 1)} ${unit}` : '—', Number.isFinite(ratio) ? `${fmt(ratio, 2)}×` : '—', goalText, met ? '✓' : '✗'];
}

async function main() {
  ensureTools();
  // The server in its own process (as in bench:server), so this process's puppeteer traffic does not share its event loop.
  const child = await startChild('tabcall.ts');
  const server = { url: `http://127.0.0.1:${child.port}`, close: async () => child.stop() };
  const browsers = await Promise.all([launchWithExtension(), launchWithExtension(), launchWithExtension()]);
  try {
    const [alice, bob, carol]: Person[] = await Promise.all(
      browsers.map(async ({ browser }) => ({ browser, view: await openExtensionPage(browser, 'popup.html') })),
    );
    for (const person of [alice, bob, carol]) await prepareExtension(person.view, server.url);

    // Cold start: the first Start also creates the offscreen document and opens the camera.
    await clickButton(alice.view, 'Start');
    await waitForPhase(alice.view, 'waiting');
    const coldT0 = Date.now();
    await clickButton(bob.view, 'Start');
    await waitForPhase(bob.view, 'matched');
    const cold = Date.now() - coldT0;
    await clickButton(carol.view, 'Start');
    await waitForPhase(carol.view, 'waiting');
    for (const person of [alice, bob, carol]) person.offscreen = await offscreenPage(person.browser);
    for (const person of [alice, bob, carol]) await clickButton(person.view, 'Stop');

    const starts: Trace[] = [];
    const nexts: Trace[] = [];
    for (let run = 0; run < RUNS; run++) {
      await clickButton(alice.view, 'Start');
      await waitForPhase(alice.view, 'waiting');
      starts.push(await measure(bob, alice, 'Start'));
      await clickButton(carol.view, 'Start');
      await waitForPhase(carol.view, 'waiting');
      nexts.push(await measure(bob, carol, 'Next'));
      for (const person of [alice, bob, carol]) await clickButton(person.view, 'Stop');
      for (const person of [alice, bob, carol]) await waitForPhase(person.view, 'idle');
    }

    const plain = await withNameShim(await bob.browser.newPage());
    await plain.goto(server.url);
    const base: Array<{ ice?: number; media?: number; presented?: number }> = [];
    for (let run = 0; run < RUNS; run++) base.push(await baseline(plain));
    await plain.close();

    const opens: Array<{ popup: number; plain: number }> = [];
    for (let run = 0; run < RUNS; run++) opens.push(await popupInteractive(bob.browser));
    const gzipped = popupScriptBytes();

    const m = (traces: Trace[], key: string) => median(traces.map((t) => t[key] ?? NaN));
    const basePresented = median(base.map((b) => b.presented ?? NaN));
    console.log(
      `Tabcall call benchmark — Chromium ${(await browsers[0].browser.version()).replace('HeadlessChrome/', '')}, loopback, median of ${RUNS} runs, load average ${(await import('node:os')).loadavg()[0].toFixed(1)} at the end\n`,
    );
    console.log(
      table(
        ['goal', 'Tabcall', 'baseline', 'ratio', 'goal', ''],
        [
          goalRow('Next → first frame of the new stranger (view)', m(nexts, 'me:first frame presented (view)'), basePresented, { max: 200, ratio: 1.3 }),
          goalRow('Start (stranger waiting) → first frame (view)', m(starts, 'me:first frame presented (view)'), basePresented, { ratio: 1.3 }),
          goalRow('click Next → match:found shown', m(nexts, 'me:match:found shown'), NaN, { max: 15 }),
          goalRow('click Start → match:found shown', m(starts, 'me:match:found shown'), NaN, { max: 15 }),
          goalRow('popup opened → Start enabled', median(opens.map((o) => o.popup)), median(opens.map((o) => o.plain)), { max: 100 }),
          goalRow('popup JavaScript, gzipped', gzipped / 1024, NaN, { max: 40 }, 'KB'),
        ],
      ),
    );
    console.log('\nbaseline for frames: 2 RTCPeerConnections in one plain page (same browser, same run), set-up start →');
    console.log(
      table(
        ['', 'ICE connected', 'first media (track unmuted)', 'first frame presented'],
        [['baseline', fmt(median(base.map((b) => b.ice ?? NaN)), 1), fmt(median(base.map((b) => b.media ?? NaN)), 1), fmt(basePresented, 1)]],
      ),
    );
    console.log('baseline for the popup: a data: page with one Start button (same browser), navigation start → button present\n');
    console.log(`Trace of Next (me = who clicked, stranger = who was waiting; median ms after the click; Δ = since the row above)`);
    console.log(traceTable(nexts));
    console.log(`\nTrace of Start (stranger waiting)`);
    console.log(traceTable(starts));
    console.log(`\nCold first Start (creates the offscreen document, opens the camera) to match:found: ${cold} ms (one run)`);
  } finally {
    await Promise.all(browsers.map((b) => b.close()));
    await server.close();
  }
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
