/**
 * Faults for end-to-end tests: a TCP proxy that cuts and restores one
 * person's signaling, a real server process to SIGKILL and restart on the
 * same port, and watchers that prove a call lived through it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { createInterface } from 'node:readline';
import type { Page } from 'puppeteer-core';
import { offscreenInbound } from './browser';
import { freePort } from './ports';

export interface TcpProxy {
  url: string;
  /** Drops every connection through it and refuses new ones until restore(). */
  cut(): void;
  restore(): void;
  close(): Promise<void>;
}

/** A loopback TCP proxy to `targetPort`: the browser talks to the server through it. */
export async function tcpProxy(targetPort: number): Promise<TcpProxy> {
  const pairs = new Set<Socket>();
  let open = true;
  const server: Server = createServer((client) => {
    if (!open) return client.destroy();
    const upstream = connect(targetPort, '127.0.0.1');
    pairs.add(client).add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      pairs.delete(client);
      pairs.delete(upstream);
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    cut() {
      open = false;
      for (const socket of pairs) socket.destroy();
      pairs.clear();
    },
    restore() {
      open = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of pairs) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface ServerProcess {
  port: number;
  url: string;
  /** SIGKILL: no goodbye, nothing saved. */
  kill(): Promise<void>;
  /** SIGTERM: the server says server:closing and exits. */
  term(): Promise<void>;
  /** A fresh process on the same port (and the same RESUME_SECRET). */
  restart(): Promise<void>;
  close(): Promise<void>;
}

/** `npm run server` as a real child process on a fixed loopback port, embedded store. */
export async function serverProcess(env: Record<string, string> = {}): Promise<ServerProcess> {
  const port = await freePort();
  let child: ChildProcess | undefined;
  const launch = async () => {
    const proc = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: { PATH: process.env.PATH, PORT: String(port), HOST: '127.0.0.1', ICE_SERVERS: '[]', RESUME_SECRET: 'e2e-resume-secret-0123456789abcdef', INTEREST_WAIT_MS: '300', LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    child = proc;
    await new Promise<void>((resolve, reject) => {
      proc.once('exit', (code) => reject(new Error(`server exited (${code}) before listening`)));
      createInterface({ input: proc.stdout! }).on('line', (line) => {
        if (line.includes('"port"') && line.includes('listening')) resolve();
      });
    });
  };
  const stop = (signal: NodeJS.Signals) => async () => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null) return;
    const exited = new Promise((resolve) => proc.once('exit', resolve));
    proc.kill(signal);
    await exited;
  };
  await launch();
  return { port, url: `http://127.0.0.1:${port}`, kill: stop('SIGKILL'), term: stop('SIGTERM'), restart: launch, close: stop('SIGKILL') };
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
