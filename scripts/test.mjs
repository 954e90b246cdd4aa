/**
 * `npm test`: everything CI checks, in order, stopping at the first failure:
 * Chromium and coturn present (installed with apt when missing), type-check, build the
 * extension, then every test (unit, server, store contract, end-to-end).
 */
import { spawnSync } from 'node:child_process';
import { ensureTools } from './ensure-tools.mjs';

function run(label, command, args) {
  console.log(`\n▶ ${label}`);
  const result = spawnSync(command, args, { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`✖ ${label} failed`);
    process.exit(result.status ?? 1);
  }
}

ensureTools();
run('type-check (tsc --noEmit)', 'npx', ['tsc', '--noEmit']);
run('build the extension (wxt build)', 'npx', ['wxt', 'build']);
run('tests (vitest)', 'npx', ['vitest', 'run', ...process.argv.slice(2)]);
