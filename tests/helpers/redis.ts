/** A real redis-server (Debian) on a free loopback port, no persistence; it can be stopped and started again on the same port. */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { ensureTools, REDIS_SERVER } from '../../scripts/ensure-tools.mjs';
import { freePort } from './ports';

export interface TestRedis {
  url: string;
  port: number;
  /** Stops it (SIGKILL: an outage, not a shutdown); everything it held is gone. */
  stop(): Promise<void>;
  /** Starts it again, empty, on the same port. */
  start(): Promise<void>;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

export async function startRedis(): Promise<TestRedis> {
  ensureTools();
  const port = await freePort();
  let child: ChildProcess | undefined;
  const start = async () => {
    child = spawn(REDIS_SERVER, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--protected-mode', 'no', '--loglevel', 'warning'], {
      stdio: 'ignore',
    });
    for (let attempt = 0; !(await listening(port)); attempt++) {
      if (attempt > 100) throw new Error('redis-server did not start');
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url: `redis://127.0.0.1:${port}`, port, stop, start };
}
