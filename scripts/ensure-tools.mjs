/**
 * Makes sure the Debian packages the browser tests and benchmarks use are
 * installed: Chromium, coturn for the TURN relay test, unzip to check the
 * store package, redis-server and nginx for the multi-node tests. Installs what is
 * missing with one apt-get run when we are root.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/lib/chromium/chromium';
export const TURNSERVER = '/usr/bin/turnserver';
export const UNZIP = '/usr/bin/unzip';
export const REDIS_SERVER = '/usr/bin/redis-server';
export const NGINX = '/usr/sbin/nginx';

const PACKAGES = [
  { binary: CHROMIUM, packages: ['chromium', 'fonts-dejavu-core'] },
  { binary: TURNSERVER, packages: ['coturn'] },
  { binary: UNZIP, packages: ['unzip'] },
  // The multi-node tests and bench:cluster: shared live state, and the load balancer in front.
  { binary: REDIS_SERVER, packages: ['redis-server'] },
  { binary: NGINX, packages: ['nginx'] },
];

export function ensureTools() {
  const missing = PACKAGES.filter(({ binary }) => !existsSync(binary)).flatMap(({ packages }) => packages);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    throw new Error(`Missing Debian packages: ${missing.join(' ')}. Install them (apt-get install ${missing.join(' ')}) or set CHROMIUM_PATH.`);
  }
  console.log(`Installing ${missing.join(', ')} for the browser tests (apt-get)…`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], { stdio: 'inherit', env });
  for (const { binary } of PACKAGES) if (!existsSync(binary)) throw new Error(`apt ran but ${binary} is still missing`);
}

if (import.meta.url === `file://${process.argv[1]}`) ensureTools();
