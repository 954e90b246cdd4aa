/**
 * A MongoDB to test against: MONGODB_URI when set (a real MongoDB), else the
 * MongoDB-wire-compatible jongodb engine that npm ships as a native binary,
 * started on a free loopback port. Fault tests use startJongodb directly: a
 * process they can kill, freeze and restart on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { freePort } from './ports';

export interface TestMongo {
  uri: string;
  label: string;
  stop(): Promise<void>;
}

export interface Jongodb extends TestMongo {
  port: number;
  /** SIGKILL: the engine and everything in it are gone. */
  kill(): Promise<void>;
  /** A fresh engine on the same port (and so the same uri). */
  restart(): Promise<void>;
  /** SIGSTOP / SIGCONT: the database hangs without refusing anything. */
  freeze(): void;
  thaw(): void;
}

export async function startTestMongo(options: { port?: number } = {}): Promise<TestMongo> {
  if (process.env.MONGODB_URI && options.port === undefined) return { uri: process.env.MONGODB_URI, label: 'MongoDB (MONGODB_URI)', stop: async () => {} };
  return startJongodb(options);
}

function spawnJongodb(port: number): Promise<{ child: ChildProcess; uri: string }> {
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/package.json');
  const binary = join(dirname(pkg), 'bin', 'jongodb');
  const child: ChildProcess = spawn(binary, [`--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`jongodb did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /JONGODB_URI=(\S+)/.exec(out);
      if (found) {
        clearTimeout(timer);
        resolve({ child, uri: found[1]! });
      }
    });
    child.once('exit', (code) => reject(new Error(`jongodb exited with ${code}: ${out}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<void>((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));

export async function startJongodb(options: { port?: number } = {}): Promise<Jongodb> {
  const port = options.port ?? (await freePort());
  let { child, uri } = await spawnJongodb(port);
  // A database name of our own, so runs never see each other's data.
  const named = uri.replace(/\/[^/?]*(\?|$)/, `/tabcall_test$1`);
  return {
    uri: named,
    label: 'jongodb',
    port,
    stop: async () => {
      child.kill('SIGCONT');
      child.kill('SIGTERM');
      await exited(child);
    },
    kill: async () => {
      child.kill('SIGKILL');
      await exited(child);
    },
    restart: async () => {
      ({ child } = await spawnJongodb(port));
    },
    freeze: () => void child.kill('SIGSTOP'),
    thaw: () => void child.kill('SIGCONT'),
  };
}
