/** coturn (Debian's turnserver) on loopback with a fresh REST-API secret, for the relay-only test. */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { TURNSERVER } from '../../scripts/ensure-tools.mjs';
import { freePort } from './ports';

export interface TestTurn {
  url: string;
  secret: string;
  stop(): void;
}

export async function startTurn(): Promise<TestTurn> {
  const port = await freePort();
  const secret = randomBytes(24).toString('hex');
  const child = spawn(
    TURNSERVER,
    [
      '-n', // no config file
      '--listening-ip=127.0.0.1',
      '--relay-ip=127.0.0.1',
      `--listening-port=${port}`,
      '--use-auth-secret',
      `--static-auth-secret=${secret}`,
      '--realm=tabcall.test',
      '--no-tls',
      '--no-dtls',
      '--no-cli',
      '--allow-loopback-peers', // both browsers live on this machine
      '--fingerprint',
      '--min-port=40000',
      '--max-port=40999',
      '--log-file=stdout',
    ],
    { stdio: 'ignore' },
  );
  // Ready once it accepts TCP on its port.
  for (let attempt = 0; ; attempt++) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    if (attempt > 50) throw new Error('turnserver did not start');
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url: `turn:127.0.0.1:${port}?transport=udp`, secret, stop: () => child.kill() };
}
