/**
 * A MongoDB to test against: MONGODB_URI when set (a real MongoDB), else the
 * MongoDB-wire-compatible jongodb engine that npm ships as a native binary,
 * started on a free loopback port.
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

export async function startTestMongo(): Promise<TestMongo> {
  if (process.env.MONGODB_URI) return { uri: process.env.MONGODB_URI, label: 'MongoDB (MONGODB_URI)', stop: async () => {} };
  const require = createRequire(import.meta.url);
  const pkg = require.resolve('@jongodb/memory-server-bin-linux-x64-gnu/package.json');
  const binary = join(dirname(pkg), 'bin', 'jongodb');
  const port = await freePort();
  const child: ChildProcess = spawn(binary, [`--port=${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const uri = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`jongodb did not start: ${out}`)), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const found = /JONGODB_URI=(\S+)/.exec(out);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.once('exit', (code) => reject(new Error(`jongodb exited with ${code}: ${out}`)));
  });
  // A database name of our own, so runs never see each other's data.
  const named = uri.replace(/\/[^/?]*(\?|$)/, `/tabcall_test$1`);
  return {
    uri: named,
    label: 'jongodb',
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
