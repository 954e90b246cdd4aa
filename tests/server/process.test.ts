/** `npm run server` as a process: config errors stop it with a clear message; SIGTERM says goodbye and exits cleanly. */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import { io } from 'socket.io-client';
import { describe, expect, it } from 'vitest';

function startProcess(env: Record<string, string>) {
  return spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

describe('the server process', () => {
  it('refuses an invalid configuration, naming the variable', async () => {
    const child = startProcess({ PORT: 'eighty' });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr += chunk));
    const code = await new Promise((resolve) => child.once('exit', resolve));
    expect(code).toBe(2);
    expect(stderr).toMatch(/Invalid configuration:\n\s+PORT: .*number/);
  });

  it('logs the embedded store, then on SIGTERM tells clients it is going away and exits 0', async () => {
    const child = startProcess({ PORT: '0', HOST: '127.0.0.1', ICE_SERVERS: '[]' });
    const lines: Array<Record<string, unknown>> = [];
    const listening = new Promise<number>((resolve) => {
      createInterface({ input: child.stdout }).on('line', (line) => {
        const entry = JSON.parse(line) as Record<string, unknown>;
        lines.push(entry);
        if (typeof entry.port === 'number') resolve(entry.port);
      });
    });
    const port = await listening;
    expect(lines.some((l) => l.store === 'memory' && String(l.msg).includes('will not survive a restart'))).toBe(true);
    expect(lines.some((l) => String(l.msg).includes('can see each other\'s IP address'))).toBe(true);

    const socket = io(`http://127.0.0.1:${port}`, { transports: ['websocket'], auth: { installId: randomUUID() }, reconnection: false });
    await new Promise((resolve) => socket.once('connect', () => resolve(undefined)));
    const closing = new Promise((resolve) => socket.once('server:closing', resolve));
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill('SIGTERM');
    expect(await closing).toMatchObject({ reconnectAfterMs: expect.any(Number) });
    expect(await exited).toBe(0);
    socket.close();
  });
});
