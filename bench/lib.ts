/** Shared bits for the benchmarks: child servers, percentiles, tables. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export interface ChildServer {
  port: number;
  heapUsed(): Promise<number>;
  stop(): void;
}

/** Forks a benchmark server (bench/servers/*) in its own process, so its heap and event loop are its own. */
export function startChild(script: string): Promise<ChildServer> {
  const path = fileURLToPath(new URL(`./servers/${script}`, import.meta.url));
  const child: ChildProcess = fork(path, [], {
    execArgv: ['--expose-gc', ...(script.endsWith('.ts') ? ['--import', 'tsx'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
    child.on('message', function onListening(message: { type: string; port: number }) {
      if (message.type !== 'listening') return;
      child.off('message', onListening);
      resolve({
        port: message.port,
        heapUsed: () =>
          new Promise((done) => {
            child.on('message', function onHeap(reply: { type: string; heapUsed: number }) {
              if (reply.type !== 'heap') return;
              child.off('message', onHeap);
              done(reply.heapUsed);
            });
            child.send({ type: 'heap' });
          }),
        stop: () => {
          child.removeAllListeners('exit');
          child.kill();
        },
      });
    });
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

export function summarise(samples: number[]) {
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p99: percentile(sorted, 99), n: sorted.length };
}

export const fmt = (value: number, digits = 2) => (Number.isFinite(value) ? value.toFixed(digits) : 'n/a');

/** Prints rows as an aligned plain-text table. */
export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = [headers, ...rows.map((row) => row.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((row) => row[i]?.length ?? 0)));
  return cells.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join('  ')).join('\n');
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
