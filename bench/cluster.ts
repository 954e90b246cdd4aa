/**
 * npm run bench:cluster — one process in memory, one process on Redis, three
 * processes on Redis, side by side in one run (real processes, loopback, a
 * real redis-server): pairing latency p50/p99 and pairings/s with many people
 * connected and some waiting, signal relay p50/p99 within a process and
 * across processes, Redis commands per pairing and per signal (INFO
 * commandstats), resident memory per connection. BENCH_CONNECTED (default
 * 2,000) and BENCH_WAITING (default 200) size it; the target is
 * 10,000 / 1,000, too much for a shared 2-core machine.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { Redis } from 'ioredis';
import { io, type Socket } from 'socket.io-client';
import { startRedis } from '../tests/helpers/redis';
import { freePort } from '../tests/helpers/ports';
import { fmt, summarise, table } from './lib';

const CONNECTED = Number(process.env.BENCH_CONNECTED ?? 2000);
const WAITING = Number(process.env.BENCH_WAITING ?? 200);
const PAIR_ROUNDS = 200;
const BURST_PAIRS = 200;
const SIGNALS = 1000;
const CANDIDATE = { candidate: { candidate: 'candidate:1 1 udp 1 203.0.113.7 46154 typ srflx raddr 0.0.0.0 rport 0', sdpMid: '0', sdpMLineIndex: 0 } };

interface Node {
  port: number;
  child: ChildProcess;
}

async function startNode(env: Record<string, string>): Promise<Node> {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: {
      PATH: process.env.PATH,
      PORT: String(port),
      HOST: '127.0.0.1',
      ICE_SERVERS: '[]',
      LOG_LEVEL: 'info',
      INTEREST_WAIT_MS: '60000',
      RATE_QUEUE_POINTS: '10000',
      RATE_SIGNAL_POINTS: '100000',
      RATE_ADDRESS_FACTOR: '1000',
      MAX_CONNECTIONS_PER_ADDRESS: '100000',
      RESUME_SECRET: 'bench-resume-secret-0123456789abcdef0123456789',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`server exited with ${code}`)));
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (line.includes('"port"')) resolve();
    });
  });
  return { port, child };
}

const connectTo = (port: number): Promise<Socket> =>
  new Promise((resolve, reject) => {
    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], forceNew: true, reconnection: false, auth: { installId: randomUUID() } });
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', reject);
  });

async function connectMany(ports: number[], count: number): Promise<Socket[]> {
  const out: Socket[] = [];
  for (let i = 0; i < count; i += 100) {
    out.push(...(await Promise.all(Array.from({ length: Math.min(100, count - i) }, (_, k) => connectTo(ports[(i + k) % ports.length]!)))));
  }
  return out;
}

const once = <T>(socket: Socket, event: string) => new Promise<T>((resolve) => socket.once(event, resolve));
const rss = (child: ChildProcess) => Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))![1]) * 1024;

/** Total Redis commands run since the last reset (scripts count as one each; commands inside scripts are counted too). */
async function redisCalls(redis: Redis | undefined): Promise<number> {
  if (!redis) return NaN;
  const info = await redis.info('commandstats');
  let total = 0;
  for (const match of info.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)) {
    // The benchmark's own INFO/CONFIG calls are not Tabcall's work.
    if (!['info', 'config|resetstat'].includes(match[1]!)) total += Number(match[2]);
  }
  return total;
}

interface Result {
  name: string;
  pairP50: number;
  pairP99: number;
  pairsPerS: number;
  relayLocal: { p50: number; p99: number };
  relayCross: { p50: number; p99: number };
  cmdsPerPairing: number;
  cmdsPerSignal: number;
  rssPerConnKiB: number;
}

async function pairOnce(a: Socket, b: Socket): Promise<{ ms: number; matchId: string }> {
  const foundA = once<{ matchId: string }>(a, 'match:found');
  const foundB = once<{ matchId: string }>(b, 'match:found');
  await a.emitWithAck('queue:join', {});
  const t0 = performance.now();
  await b.emitWithAck('queue:join', {});
  const [fa] = await Promise.all([foundA, foundB]);
  return { ms: performance.now() - t0, matchId: fa.matchId };
}

async function relay(a: Socket, b: Socket, matchId: string): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < SIGNALS + 100; i++) {
    const arrived = once(b, 'signal');
    const t0 = performance.now();
    a.emit('signal', { matchId, data: CANDIDATE }, () => {});
    await arrived;
    if (i >= 100) samples.push(performance.now() - t0);
  }
  return samples;
}

async function measure(name: string, nodeCount: number, redisUrl: string | undefined): Promise<Result> {
  const admin = redisUrl ? new Redis(redisUrl) : undefined;
  await admin?.flushall();
  const nodes: Node[] = [];
  for (let i = 0; i < nodeCount; i++) nodes.push(await startNode(redisUrl ? { REDIS_URL: redisUrl } : {}));
  const ports = nodes.map((n) => n.port);
  try {
    const rssBefore = nodes.reduce((sum, n) => sum + rss(n.child), 0);
    const idle = await connectMany(ports, CONNECTED - WAITING);
    const waiting = await connectMany(ports, WAITING);
    await Promise.all(waiting.map((s, i) => s.emitWithAck('queue:join', { interests: [`w${i}`] })));
    const rssPerConnKiB = (nodes.reduce((sum, n) => sum + rss(n.child), 0) - rssBefore) / CONNECTED / 1024;

    // Pairing latency: two fresh people (on different processes when there are several).
    const latencies: number[] = [];
    await admin?.config('RESETSTAT');
    for (let round = 0; round < PAIR_ROUNDS; round++) {
      const a = await connectTo(ports[round % ports.length]!);
      const b = await connectTo(ports[(round + 1) % ports.length]!);
      latencies.push((await pairOnce(a, b)).ms);
      a.close();
      b.close();
    }
    // Commands per pairing: measured over the rounds (connect and disconnect included, as in real use).
    const cmdsPerPairing = (await redisCalls(admin)) / PAIR_ROUNDS;

    // Pairings per second: 2 × BURST_PAIRS people join at once.
    const burst = await connectMany(ports, BURST_PAIRS * 2);
    const allFound = Promise.all(burst.map((s) => once(s, 'match:found')));
    const t0 = performance.now();
    await Promise.all(burst.map((s) => s.emitWithAck('queue:join', {})));
    await allFound;
    const pairsPerS = BURST_PAIRS / ((performance.now() - t0) / 1000);
    for (const s of burst) s.close();

    // Signal relay, within one process and across two.
    const [la, lb] = [await connectTo(ports[0]!), await connectTo(ports[0]!)];
    const local = await pairOnce(la, lb);
    await admin?.config('RESETSTAT');
    const relayLocal = summarise(await relay(la, lb, local.matchId));
    const cmdsPerSignal = (await redisCalls(admin)) / (SIGNALS + 100);
    let relayCross = { p50: NaN, p99: NaN };
    if (ports.length > 1) {
      const [ca, cb] = [await connectTo(ports[1]!), await connectTo(ports[2 % ports.length]!)];
      const cross = await pairOnce(ca, cb);
      relayCross = summarise(await relay(ca, cb, cross.matchId));
      ca.close();
      cb.close();
    }
    la.close();
    lb.close();
    for (const s of [...idle, ...waiting]) s.close();
    const pair = summarise(latencies);
    return { name, pairP50: pair.p50, pairP99: pair.p99, pairsPerS, relayLocal, relayCross, cmdsPerPairing, cmdsPerSignal, rssPerConnKiB };
  } finally {
    for (const node of nodes) node.child.kill('SIGKILL');
    admin?.disconnect();
  }
}

async function main() {
  const redis = await startRedis();
  const results: Result[] = [];
  try {
    results.push(await measure('1 process, memory', 1, undefined));
    results.push(await measure('1 process, Redis', 1, redis.url));
    results.push(await measure('3 processes, Redis', 3, redis.url));
  } finally {
    await redis.stop();
  }
  const base = results[0]!;
  console.log(`\nbench:cluster — ${CONNECTED} connected, ${WAITING} waiting (with interests nobody shares), loopback, one run on a shared 2-core machine\n`);
  console.log(
    table(
      ['', 'pairing p50 / p99 ms', 'pairings/s', 'relay same process p50 / p99 ms', 'relay across processes p50 / p99 ms', 'Redis cmds / pairing', 'Redis cmds / signal', 'RSS / connection KiB'],
      results.map((r) => [
        r.name,
        `${fmt(r.pairP50)} / ${fmt(r.pairP99)} (×${fmt(r.pairP50 / base.pairP50, 1)})`,
        `${fmt(r.pairsPerS, 0)} (×${fmt(r.pairsPerS / base.pairsPerS, 2)})`,
        `${fmt(r.relayLocal.p50, 3)} / ${fmt(r.relayLocal.p99, 3)} (×${fmt(r.relayLocal.p50 / base.relayLocal.p50, 1)})`,
        `${fmt(r.relayCross.p50, 3)} / ${fmt(r.relayCross.p99, 3)}`,
        fmt(r.cmdsPerPairing, 1),
        fmt(r.cmdsPerSignal, 1),
        fmt(r.rssPerConnKiB, 1),
      ]),
    ),
  );
  process.exit(0);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
