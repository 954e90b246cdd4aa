/**
 * Faults for end-to-end tests, on top of tcp-proxy.ts and server-process.ts:
 * a real server process to SIGKILL and restart on the same port, and watchers
 * that prove a call lived through a fault.
 */
import type { Page } from 'puppeteer-core';
import { offscreenInbound } from './browser';
import { freePort } from './ports';
import { startServerProcess, type ServerProcess } from './server-process';

export interface RestartableServer {
  url: string;
  /** SIGKILL: no goodbye, nothing saved. */
  kill(): Promise<void>;
  /** SIGTERM: the server says server:closing and exits. */
  term(): Promise<void>;
  /** A fresh process on the same port, with the same RESUME_SECRET. */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** `npm run server` as a child process on a fixed loopback port (embedded store), restartable. */
export async function restartableServer(env: Record<string, string> = {}): Promise<RestartableServer> {
  const port = await freePort();
  const fullEnv = { PORT: String(port), RESUME_SECRET: 'e2e-resume-secret-0123456789abcdef', INTEREST_WAIT_MS: '300', ...env };
  let current: ServerProcess | undefined = await startServerProcess(fullEnv);
  const stop = (signal: NodeJS.Signals) => async () => {
    const proc = current;
    current = undefined;
    if (proc && proc.child.exitCode === null) await proc.stop(signal);
  };
  return {
    url: `http://127.0.0.1:${port}`,
    kill: stop('SIGKILL'),
    term: stop('SIGTERM'),
    restart: async () => {
      current = await startServerProcess(fullEnv);
    },
    close: stop('SIGKILL'),
  };
}

/**
 * Samples the stranger's framesDecoded in an offscreen document every 200 ms
 * until stopped; `longestStallMs` is the longest time it did not grow.
 */
export function watchFrames(offscreen: Page) {
  let running = true;
  let last = -1;
  let lastGrowth = Date.now();
  let longestStallMs = 0;
  let samples = 0;
  const done = (async () => {
    while (running) {
      const { framesDecoded } = await offscreenInbound(offscreen).catch(() => ({ framesDecoded: last }));
      const now = Date.now();
      if (framesDecoded > last) {
        last = framesDecoded;
        lastGrowth = now;
      }
      longestStallMs = Math.max(longestStallMs, now - lastGrowth);
      samples++;
      await new Promise((r) => setTimeout(r, 200));
    }
  })();
  return {
    async stop() {
      running = false;
      await done;
      return { longestStallMs, framesDecoded: last, samples };
    },
  };
}

/** Records every phase and link state a view shows from now on (data-phase, data-link on <main>), as "phase/link". */
export async function recordView(page: Page): Promise<() => Promise<string[]>> {
  await page.evaluate(() => {
    const main = document.querySelector('main')!;
    const now = () => `${main.dataset.phase}/${main.dataset.link}`;
    const seen: string[] = [now()];
    (window as unknown as { __seen: string[] }).__seen = seen;
    new MutationObserver(() => {
      if (seen.at(-1) !== now()) seen.push(now());
    }).observe(main, { attributes: true, attributeFilter: ['data-phase', 'data-link'] });
  });
  return () => page.evaluate(() => (window as unknown as { __seen: string[] }).__seen);
}

/** Both views show the call again with a working link. */
export async function waitForCallBack(page: Page, timeout = 15_000): Promise<void> {
  await page.waitForSelector('main[data-phase="matched"][data-link="connected"]', { timeout });
}

/** The first ice-ufrag of an SDP. */
export const iceUfrag = (sdp: string | undefined) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];

/** The ice-ufrag of an offscreen document's local and remote descriptions. */
export function offscreenUfrags(offscreen: Page): Promise<{ local?: string; remote?: string }> {
  return offscreen.evaluate(() => {
    const pc = (window as unknown as { tabcall: { peer: RTCPeerConnection | null } }).tabcall.peer;
    const ufrag = (sdp?: string) => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1];
    return { local: ufrag(pc?.localDescription?.sdp), remote: ufrag(pc?.remoteDescription?.sdp) };
  });
}
