/**
 * npm run bench:server — the signaling server against baselines measured in
 * the same run, each server in its own process on loopback:
 *  1. signal relay latency A → server → B (p50/p99): Tabcall, a bare
 *     Socket.IO relay with no logic, and the PeerJS server (npm `peer`, if it
 *     installs);
 *  2. pairing latency and pairings/s with 1,000 people already waiting;
 *  3. with 10,000 connected: heap per idle connection, then pairing latency
 *     with 1,000 of them waiting (with interests nobody shares).
 * Each goal of issue 13 is printed with the bare relay's figure, the ratio
 * and ✓/✗. The masses of idle connections are raw WebSockets speaking the
 * Socket.IO protocol (lighter for this process than 10,000 socket.io-clients;
 * the server cannot tell them apart).
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { io, type Socket } from 'socket.io-client';
import WebSocket from 'ws';
import { fmt, sleep, startChild, summarise, table, type ChildServer } from './lib';

const RELAY_SIGNALS = 3000;
const RELAY_WARMUP = 300;
const BACKGROUND_WAITING = 1000;
const PAIR_ROUNDS = 300;
/** Rounds stop after this long (a loaded machine), well inside the waiting ones' 60 s interest wait. */
const ROUNDS_WITHIN_MS = 30_000;
const BURST_CLIENTS = 1000;
const IDLE_CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 10_000);

const CANDIDATE = {
  candidate: { candidate: 'candidate:842163049 1 udp 1677729535 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0 generation 0', sdpMid: '0', sdpMLineIndex: 0 },
};

type Client = Socket;
const connectSio = (port: number): Promise<Client> =>
  new Promise((resolve, reject) => {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { installId: randomUUID() } });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });

const once = <T>(socket: Client, event: string) => new Promise<T>((resolve) => socket.once(event, resolve));

async function connectMany(port: number, count: number): Promise<Client[]> {
  const out: Client[] = [];
  for (let i = 0; i < count; i += 200) out.push(...(await Promise.all(Array.from({ length: Math.min(200, count - i) }, () => connectSio(port)))));
  return out;
}

// ---- 1. relay latency ----------------------------------------------------------

async function relaySio(port: number): Promise<number[]> {
  const [a, b] = [await connectSio(port), await connectSio(port)];
  const found = once<{ matchId: string }>(a, 'match:found');
  await a.emitWithAck('queue:join', {});
  await b.emitWithAck('queue:join', {});
  const { matchId } = await found;
  const samples: number[] = [];
  for (let i = 0; i < RELAY_WARMUP + RELAY_SIGNALS; i++) {
    const arrived = once(b, 'signal');
    const t0 = performance.now();
    a.emit('signal', { matchId, data: CANDIDATE }, () => {});
    await arrived;
    if (i >= RELAY_WARMUP) samples.push(performance.now() - t0);
  }
  a.close();
  b.close();
  return samples;
}

function connectPeerJs(port: number, id: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/peerjs?key=peerjs&id=${id}&token=${randomUUID()}`);
    ws.once('error', reject);
    ws.on('message', function onOpen(raw) {
      if (JSON.parse(raw.toString()).type !== 'OPEN') return;
      ws.off('message', onOpen);
      resolve(ws);
    });
  });
}

async function relayPeerJs(port: number): Promise<number[]> {
  const a = await connectPeerJs(port, 'alice');
  const b = await connectPeerJs(port, 'bob');
  const samples: number[] = [];
  for (let i = 0; i < RELAY_WARMUP + RELAY_SIGNALS; i++) {
    const arrived = new Promise((resolve) => b.once('message', resolve));
    const t0 = performance.now();
    a.send(JSON.stringify({ type: 'CANDIDATE', dst: 'bob', payload: CANDIDATE }));
    await arrived;
    if (i >= RELAY_WARMUP) samples.push(performance.now() - t0);
  }
  a.close();
  b.close();
  return samples;
}

/** Installs the PeerJS server into bench/.peerjs (not a project dependency: it pins Express 4). */
function ensurePeerJs(): boolean {
  const dir = fileURLToPath(new URL('./.peerjs/', import.meta.url));
  if (existsSync(`${dir}node_modules/peer`)) return true;
  try {
    mkdirSync(dir, { recursive: true });
    execFileSync('npm', ['install', '--prefix', dir, '--no-audit', '--no-fund', '--silent', 'peer@1'], { stdio: 'ignore', timeout: 120_000 });
    return existsSync(`${dir}node_modules/peer`);
  } catch {
    return false;
  }
}

// ---- 2. pairing ------------------------------------------------------------------

async function pairing(server: ChildServer, withInterests: boolean) {
  const port = server.port;
  // 1,000 people already there: on Tabcall each waits for an interest nobody shares;
  // the bare server has no queue to fill, so they are connected and idle there.
  const background = await connectMany(port, BACKGROUND_WAITING);
  // Connected before the others join: the waiting ones' interest wait (at most 60 s) must not run
  // out during the measurement, or they would pair with the newcomers.
  const burst = await connectMany(port, BURST_CLIENTS);
  if (withInterests) await Promise.all(background.map((s, i) => s.emitWithAck('queue:join', { interests: [`topic-${i}`] })));

  const latencies: number[] = [];
  const until = performance.now() + ROUNDS_WITHIN_MS;
  for (let round = 0; round < PAIR_ROUNDS && performance.now() < until; round++) {
    const [x, y] = [await connectSio(port), await connectSio(port)];
    await x.emitWithAck('queue:join', {});
    const t0 = performance.now();
    const both = Promise.all([once(x, 'match:found'), once(y, 'match:found')]);
    y.emit('queue:join', {}, () => {});
    await both;
    latencies.push(performance.now() - t0);
    x.close();
    y.close();
  }

  const t0 = performance.now();
  await Promise.all(burst.map((s) => Promise.all([once(s, 'match:found'), s.emitWithAck('queue:join', {})])));
  const pairsPerSecond = BURST_CLIENTS / 2 / ((performance.now() - t0) / 1000);
  for (const s of [...background, ...burst]) s.close();
  return { ...summarise(latencies), pairsPerSecond };
}

// ---- 3. with 10,000 connected -----------------------------------------------------

/**
 * A raw WebSocket speaking Engine.IO 4 / Socket.IO 5 (open, CONNECT with auth, pong), optionally
 * joining the queue with an interest: an idle person costs this process a few KB instead of a
 * socket.io-client's.
 */
function connectRaw(port: number, interest?: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`);
    ws.once('error', reject);
    ws.on('message', (raw) => {
      const text = raw.toString();
      if (text === '2') return ws.send('3'); // ping → pong
      if (text.startsWith('0')) return ws.send(`40${JSON.stringify({ installId: randomUUID() })}`);
      if (text.startsWith('40')) {
        if (!interest) return resolve(ws);
        return ws.send(`421${JSON.stringify(['queue:join', { interests: [interest] }])}`);
      }
      if (text.startsWith('431')) return resolve(ws);
      if (text.startsWith('44')) reject(new Error(`refused: ${text}`));
    });
  });
}

async function connectRawMany(port: number, count: number, interest?: (i: number) => string): Promise<WebSocket[]> {
  const out: WebSocket[] = [];
  for (let i = 0; i < count; i += 250) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(250, count - i) }, (_, j) => connectRaw(port, interest?.(i + j))))));
  }
  return out;
}

/** Heap per idle connection with IDLE_CONNECTIONS connected; then pairing latency with 1,000 more waiting (Tabcall) among them. */
async function crowded(script: string, withInterests: boolean) {
  const server = await startChild(script);
  await sleep(200);
  const before = await server.heapUsed();
  const idle = await connectRawMany(server.port, IDLE_CONNECTIONS - BACKGROUND_WAITING);
  const waiting = await connectRawMany(server.port, BACKGROUND_WAITING, withInterests ? (i) => `topic-${i}` : undefined);
  await sleep(500);
  const after = await server.heapUsed();
  const latencies: number[] = [];
  const until = performance.now() + ROUNDS_WITHIN_MS;
  for (let round = 0; round < PAIR_ROUNDS && performance.now() < until; round++) {
    const [x, y] = [await connectSio(server.port), await connectSio(server.port)];
    await x.emitWithAck('queue:join', {});
    const t0 = performance.now();
    const both = Promise.all([once(x, 'match:found'), once(y, 'match:found')]);
    y.emit('queue:join', {}, () => {});
    await both;
    latencies.push(performance.now() - t0);
    x.close();
    y.close();
  }
  for (const ws of [...idle, ...waiting]) ws.terminate();
  server.stop();
  // The waiting ones hold a queue entry on Tabcall: the heap figure counts idle + waiting alike.
  return { heapPerConnection: (after - before) / IDLE_CONNECTIONS, ...summarise(latencies) };
}

/** One goal: Tabcall's figure next to the bare relay's, the ratio, and whether the goal is met. */
function goal(name: string, tabcall: number, bare: number, check: (value: number, ratio: number) => boolean, goalText: string, digits = 3) {
  const ratio = tabcall / bare;
  return [name, fmt(tabcall, digits), fmt(bare, digits), `${fmt(ratio, 2)}×`, goalText, check(tabcall, ratio) ? '✓' : '✗'];
}

// ---- run -------------------------------------------------------------------------

async function main() {
  console.log(`Tabcall server benchmark — node ${process.version}, loopback, each server in its own process\n`);

  const relayRows: Array<Array<string | number>> = [];
  const relay: Record<string, ReturnType<typeof summarise>> = {};
  for (const [name, script] of [['Tabcall', 'tabcall.ts'], ['bare Socket.IO relay', 'bare.ts']] as const) {
    const server = await startChild(script);
    const r = (relay[script] = summarise(await relaySio(server.port)));
    relayRows.push([name, fmt(r.p50, 3), fmt(r.p99, 3), r.n]);
    server.stop();
  }
  if (ensurePeerJs()) {
    const server = await startChild('peerjs.mjs');
    const r = summarise(await relayPeerJs(server.port));
    relayRows.push(['PeerJS server (peer@1)', fmt(r.p50, 3), fmt(r.p99, 3), r.n]);
    server.stop();
  } else {
    relayRows.push(['PeerJS server (peer@1)', 'not installed', '', '']);
  }
  console.log('1. Signal relay latency, A → server → B, one at a time (ms)');
  console.log(table(['server', 'p50', 'p99', 'signals'], relayRows), '\n');

  const pairRows: Array<Array<string | number>> = [];
  const pairs: Record<string, Awaited<ReturnType<typeof pairing>>> = {};
  for (const [name, script, interests] of [['Tabcall', 'tabcall.ts', true], ['bare Socket.IO (first two paired)', 'bare.ts', false]] as const) {
    const server = await startChild(script);
    const r = (pairs[script] = await pairing(server, interests));
    pairRows.push([name, fmt(r.p50, 3), fmt(r.p99, 3), fmt(r.pairsPerSecond, 0)]);
    server.stop();
  }
  console.log(`2. Pairing with ${BACKGROUND_WAITING} people already connected (on Tabcall: waiting, each for an interest nobody shares)`);
  console.log(`   latency = second join sent → both match:found received (up to ${PAIR_ROUNDS} rounds or 30 s); rate = ${BURST_CLIENTS} clients joining at once`);
  console.log(table(['server', 'p50 ms', 'p99 ms', 'pairings/s'], pairRows), '\n');

  const crowd = { tabcall: await crowded('tabcall.ts', true), bare: await crowded('bare.ts', false) };
  console.log(`3. ${IDLE_CONNECTIONS} connected, ${BACKGROUND_WAITING} of them waiting (on Tabcall, with interests nobody shares)`);
  console.log(`   heap = (after − before) / connections, after GC; latency as in 2`);
  console.log(
    table(
      ['server', 'KiB/connection', 'pairing p50 ms', 'pairing p99 ms'],
      [
        ['Tabcall', fmt(crowd.tabcall.heapPerConnection / 1024, 2), fmt(crowd.tabcall.p50, 3), fmt(crowd.tabcall.p99, 3)],
        ['bare Socket.IO', fmt(crowd.bare.heapPerConnection / 1024, 2), fmt(crowd.bare.p50, 3), fmt(crowd.bare.p99, 3)],
      ],
    ),
    '\n',
  );

  console.log(`Goals (issue 13), load average ${loadavg()[0].toFixed(1)} at the end of the run`);
  console.log(
    table(
      ['goal', 'Tabcall', 'bare', 'ratio', 'goal', ''],
      [
        goal('relay p50 (ms)', relay['tabcall.ts'].p50, relay['bare.ts'].p50, (_, r) => r <= 1.2, '≤ 1.2× bare'),
        goal('relay p99 (ms)', relay['tabcall.ts'].p99, relay['bare.ts'].p99, (_, r) => r <= 1.5, '≤ 1.5× bare'),
        goal(`pairings/s, ${BACKGROUND_WAITING} waiting`, pairs['tabcall.ts'].pairsPerSecond, pairs['bare.ts'].pairsPerSecond, (_, r) => r >= 0.8, '≥ 0.8× bare', 0),
        goal(`pairing p99 (ms), ${IDLE_CONNECTIONS} connected`, crowd.tabcall.p99, crowd.bare.p99, (v) => v <= 5, '≤ 5 ms'),
        goal(
          `heap per idle connection (KiB), ${IDLE_CONNECTIONS} connected`,
          crowd.tabcall.heapPerConnection / 1024,
          crowd.bare.heapPerConnection / 1024,
          (_, r) => r <= 1.2,
          '≤ 1.2× bare',
          2,
        ),
      ],
    ),
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
