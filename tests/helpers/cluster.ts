/**
 * A real Tabcall cluster on loopback: redis-server, N `server/main.ts`
 * processes sharing it (REDIS_URL, one RESUME_SECRET), and Debian's nginx in
 * front terminating TLS with a certificate made here by openssl, configured
 * from deploy/nginx/tabcall.conf. Nodes can be SIGKILLed and started again.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ensureTools, NGINX } from '../../scripts/ensure-tools.mjs';
import { freePort } from './ports';
import { startRedis, type TestRedis } from './redis';

export interface ClusterNode {
  port: number;
  url: string;
  /** Its log lines (pino JSON), for assertions on what it said. */
  lines: Array<Record<string, unknown>>;
  child?: ChildProcess;
}

export interface TestCluster {
  /** https://127.0.0.1:<nginx port>: what clients use. */
  url: string;
  /** The certificate nginx presents (for clients to trust). */
  certificate: string;
  certificateFile: string;
  nodes: ClusterNode[];
  redis: TestRedis;
  /** SIGKILL: no goodbye, no cleanup, as a crash. */
  kill(index: number): Promise<void>;
  start(index: number): Promise<void>;
  stop(): Promise<void>;
}

const listening = (port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect(port, '127.0.0.1', () => (socket.end(), resolve(true)));
    socket.once('error', () => resolve(false));
  });

/** deploy/nginx/tabcall.conf with the placeholders filled in, as an operator does. */
export function nginxSite(values: { listen: string; serverName: string; certificate: string; key: string; upstreams: number[] }): string {
  const template = readFileSync(new URL('../../deploy/nginx/tabcall.conf', import.meta.url), 'utf8');
  return template
    .replace('{{UPSTREAMS}}', values.upstreams.map((port) => `    server 127.0.0.1:${port} max_fails=1 fail_timeout=5s;`).join('\n'))
    .replace('{{LISTEN}}', values.listen)
    .replace('{{SERVER_NAME}}', values.serverName)
    .replace('{{CERTIFICATE}}', values.certificate)
    .replace('{{CERTIFICATE_KEY}}', values.key);
}

export async function startCluster(options: { nodes?: number; env?: Record<string, string> } = {}): Promise<TestCluster> {
  ensureTools();
  const dir = mkdtempSync(join(tmpdir(), 'tabcall-cluster-'));
  const redis = await startRedis();
  const secret = randomBytes(32).toString('hex');
  const nodes: ClusterNode[] = [];
  for (let i = 0; i < (options.nodes ?? 3); i++) {
    const port = await freePort();
    nodes.push({ port, url: `http://127.0.0.1:${port}`, lines: [] });
  }

  const start = async (index: number) => {
    const node = nodes[index]!;
    const child = spawn(process.execPath, ['--import', 'tsx', 'server/main.ts'], {
      env: {
        PATH: process.env.PATH,
        PORT: String(node.port),
        HOST: '127.0.0.1',
        REDIS_URL: redis.url,
        RESUME_SECRET: secret,
        TRUST_PROXY: 'true',
        ICE_SERVERS: '[]',
        INTEREST_WAIT_MS: '300',
        RESUME_GRACE_S: '20',
        LOG_LEVEL: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    node.child = child;
    node.lines = [];
    const up = new Promise<void>((resolve, reject) => {
      child.once('exit', (code) => reject(new Error(`node ${index} exited with ${code}`)));
      createInterface({ input: child.stdout! }).on('line', (line) => {
        try {
          const entry = JSON.parse(line) as Record<string, unknown>;
          node.lines.push(entry);
          if (typeof entry.port === 'number') resolve();
        } catch {
          // not a log line
        }
      });
    });
    child.stderr!.resume();
    await up;
  };
  await Promise.all(nodes.map((_, i) => start(i)));

  // A test certificate for 127.0.0.1 and localhost.
  const certificateFile = join(dir, 'cert.pem');
  const keyFile = join(dir, 'key.pem');
  execFileSync('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certificateFile, '-days', '2', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
  ], { stdio: 'ignore' });

  const port = await freePort();
  writeFileSync(
    join(dir, 'tabcall.conf'),
    nginxSite({ listen: `127.0.0.1:${port}`, serverName: 'localhost', certificate: certificateFile, key: keyFile, upstreams: nodes.map((n) => n.port) }),
  );
  const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
  writeFileSync(
    join(dir, 'nginx.conf'),
    [
      process.getuid?.() === 0 ? 'user root;' : '',
      'daemon off;',
      'worker_processes 1;',
      'worker_rlimit_nofile 20000;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'error.log')} crit;`,
      'events { worker_connections 10000; }',
      `http { ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join(' ')} include ${join(dir, 'tabcall.conf')}; }`,
    ].join('\n'),
  );
  const nginx = spawn(NGINX, ['-c', join(dir, 'nginx.conf'), '-p', dir, '-e', join(dir, 'error.log')], { stdio: 'ignore' });
  for (let attempt = 0; !(await listening(port)); attempt++) {
    if (attempt > 100) throw new Error(`nginx did not start: ${readFileSync(join(dir, 'error.log'), 'utf8')}`);
    await new Promise((r) => setTimeout(r, 50));
  }

  return {
    url: `https://127.0.0.1:${port}`,
    certificate: readFileSync(certificateFile, 'utf8'),
    certificateFile,
    nodes,
    redis,
    async kill(index) {
      const child = nodes[index]!.child;
      if (!child || child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
    start,
    async stop() {
      const exits = nodes.map((node) => {
        const child = node.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGKILL');
        return exited;
      });
      const nginxExited = new Promise((resolve) => nginx.once('exit', resolve));
      nginx.kill('SIGQUIT');
      await Promise.all([...exits, nginxExited]);
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
