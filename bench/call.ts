/**
 * npm run bench:call — real Chromium, the real extension, the real server, on
 * loopback. For the person who presses Start (a stranger already waiting) and
 * for Next (another stranger waiting): time to match:found (seen by the
 * view), to ICE connected and the first decoded remote frame (offscreen
 * document, getStats), and to the first remote frame presented in the visible
 * popup (requestVideoFrameCallback). Baseline, same run, same browser: two
 * RTCPeerConnections in one plain page exchanging SDP directly.
 */
import type { Page } from 'puppeteer-core';
import { clickButton, launchWithExtension, offscreenPage, openExtensionPage, prepareExtension, waitForPhase, withNameShim } from '../tests/helpers/browser';
import { startServer } from '../tests/helpers/server';
import { ensureTools } from '../scripts/ensure-tools.mjs';
import { fmt, table } from './lib';

const RUNS = Number(process.env.BENCH_RUNS ?? 5);

type Marks = { matched?: number; ice?: number; offscreenFrame?: number; viewFrame?: number };

/** Arms the view: records when the phase turns matched and when the stranger's video presents a frame. */
function armView(page: Page) {
  return page.evaluate(
    () =>
      new Promise<{ t0: number; matched?: number; viewFrame?: number }>((resolve) => {
        const now = () => performance.timeOrigin + performance.now();
        const result: { t0: number; matched?: number; viewFrame?: number } = { t0: 0 };
        const video = document.querySelector<HTMLVideoElement>('video[aria-label="Stranger"]')!;
        const main = document.querySelector('main')!;
        const done = () => result.matched && result.viewFrame && resolve(result);
        // A new call: phase matched with a match id other than the one shown now (Next goes matched → matched).
        const previous = main.dataset.matchId;
        const observer = new MutationObserver(() => {
          if (!result.matched && main.dataset.phase === 'matched' && main.dataset.matchId !== previous) {
            result.matched = now();
            observer.disconnect();
            done();
          }
        });
        observer.observe(main, { attributes: true, attributeFilter: ['data-phase', 'data-match-id'] });
        // A frame of the *new* stranger: presented after the phase turned matched, from a stream
        // other than the one playing now (the last frames of the previous stranger do not count).
        const previousStream = video.srcObject;
        const onFrame = () => {
          if (result.matched && !result.viewFrame && video.srcObject !== previousStream) {
            result.viewFrame = now();
            done();
          } else video.requestVideoFrameCallback(onFrame);
        };
        video.requestVideoFrameCallback(onFrame);
        (window as unknown as { __armed: typeof result }).__armed = result;
        setTimeout(() => resolve(result), 20_000);
      }),
  );
}

/** Arms the offscreen document: first ICE connected and first decoded frame of the next peer connection. */
function armOffscreen(page: Page) {
  return page.evaluate(async () => {
    const now = () => performance.timeOrigin + performance.now();
    const media = (window as unknown as { tabcall: { peer: RTCPeerConnection | null } }).tabcall;
    const old = media.peer;
    const result: { ice?: number; offscreenFrame?: number } = {};
    const until = Date.now() + 20_000;
    while (Date.now() < until && !(result.ice && result.offscreenFrame)) {
      const pc = media.peer;
      if (pc && pc !== old) {
        if (!result.ice && ['connected', 'completed'].includes(pc.iceConnectionState)) result.ice = now();
        if (!result.offscreenFrame) {
          (await pc.getStats()).forEach((r: { type: string; kind?: string; framesDecoded?: number }) => {
            if (r.type === 'inbound-rtp' && r.kind === 'video' && (r.framesDecoded ?? 0) > 0) result.offscreenFrame ??= now();
          });
        }
      }
      await new Promise((r) => setTimeout(r, 2));
    }
    return result;
  });
}

async function measure(view: Page, offscreen: Page, button: string): Promise<Marks> {
  const viewMarks = armView(view);
  const offMarks = armOffscreen(offscreen);
  await view.waitForFunction(() => (window as unknown as { __armed?: object }).__armed, { polling: 10 });
  const t0 = await view.evaluate(() => performance.timeOrigin + performance.now());
  await clickButton(view, button);
  const [v, o] = await Promise.all([viewMarks, offMarks]);
  const rel = (t?: number) => (t === undefined ? NaN : t - t0);
  return { matched: rel(v.matched), ice: rel(o.ice), offscreenFrame: rel(o.offscreenFrame), viewFrame: rel(v.viewFrame) };
}

/** Two peer connections in one plain page, SDP and candidates handed over directly. */
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
    const marks: { ice?: number; frame?: number; presented?: number } = {};
    b.ontrack = ({ track, streams }) => {
      if (track.kind === 'video') video.srcObject = streams[0];
    };
    video.requestVideoFrameCallback(() => (marks.presented = now() - t0));
    for (const track of stream.getTracks()) a.addTrack(track, stream);
    a.createDataChannel('chat', { negotiated: true, id: 0 });
    b.createDataChannel('chat', { negotiated: true, id: 0 });
    await a.setLocalDescription();
    await b.setRemoteDescription(a.localDescription!);
    await b.setLocalDescription();
    await a.setRemoteDescription(b.localDescription!);
    const until = Date.now() + 10_000;
    while (Date.now() < until && !(marks.ice && marks.frame && marks.presented)) {
      if (!marks.ice && ['connected', 'completed'].includes(b.iceConnectionState)) marks.ice = now() - t0;
      if (!marks.frame)
        (await b.getStats()).forEach((r: { type: string; kind?: string; framesDecoded?: number }) => {
          if (r.type === 'inbound-rtp' && r.kind === 'video' && (r.framesDecoded ?? 0) > 0) marks.frame ??= now() - t0;
        });
      await new Promise((r) => setTimeout(r, 2));
    }
    a.close();
    b.close();
    for (const track of stream.getTracks()) track.stop();
    video.remove();
    return marks;
  });
}

const median = (values: number[]) => {
  const sorted = values.filter(Number.isFinite).sort((x, y) => x - y);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)] : NaN;
};

async function main() {
  ensureTools();
  const server = await startServer({ RATE_QUEUE_POINTS: 10_000 });
  const browsers = await Promise.all([launchWithExtension(), launchWithExtension(), launchWithExtension()]);
  try {
    const [alice, bob, carol] = await Promise.all(browsers.map((b) => openExtensionPage(b.browser, 'popup.html')));
    for (const page of [alice, bob, carol]) await prepareExtension(page, server.url);

    // Cold start: the first Start also creates the offscreen document and opens the camera.
    await clickButton(alice, 'Start');
    await waitForPhase(alice, 'waiting');
    const coldT0 = Date.now();
    await clickButton(bob, 'Start');
    await waitForPhase(bob, 'matched');
    const cold = Date.now() - coldT0;
    const bobOffscreen = await offscreenPage(browsers[1].browser);
    for (const page of [alice, bob]) await clickButton(page, 'Stop');

    const starts: Marks[] = [];
    const nexts: Marks[] = [];
    for (let run = 0; run < RUNS; run++) {
      await clickButton(alice, 'Start');
      await waitForPhase(alice, 'waiting');
      starts.push(await measure(bob, bobOffscreen, 'Start'));
      await clickButton(carol, 'Start');
      await waitForPhase(carol, 'waiting');
      nexts.push(await measure(bob, bobOffscreen, 'Next'));
      for (const page of [alice, bob, carol]) await clickButton(page, 'Stop');
      for (const page of [alice, bob, carol]) await waitForPhase(page, 'idle');
    }

    const plain = await withNameShim(await browsers[1].browser.newPage());
    await plain.goto(server.url);
    const base: Array<{ ice?: number; frame?: number; presented?: number }> = [];
    for (let run = 0; run < RUNS; run++) base.push(await baseline(plain));

    const row = (name: string, marks: Marks[]) => [
      name,
      fmt(median(marks.map((m) => m.matched ?? NaN)), 0),
      fmt(median(marks.map((m) => m.ice ?? NaN)), 0),
      fmt(median(marks.map((m) => m.offscreenFrame ?? NaN)), 0),
      fmt(median(marks.map((m) => m.viewFrame ?? NaN)), 0),
    ];
    console.log(`Tabcall call benchmark — Chromium ${(await browsers[0].browser.version()).replace('HeadlessChrome/', '')}, loopback, median of ${RUNS} runs (ms from the click)\n`);
    console.log(
      table(
        ['', 'match:found (view)', 'ICE connected', 'first frame (offscreen)', 'first frame (popup)'],
        [
          row('Start (stranger waiting)', starts),
          row('Next (stranger waiting)', nexts),
          [
            'baseline: 2 PCs in one page',
            '—',
            fmt(median(base.map((m) => m.ice ?? NaN)), 0),
            fmt(median(base.map((m) => m.frame ?? NaN)), 0),
            fmt(median(base.map((m) => m.presented ?? NaN)), 0),
          ],
        ],
      ),
    );
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
