/**
 * `npm test`: everything CI checks, in order, stopping at the first failure:
 * Chromium and coturn present (installed with apt when missing), type-check, build the
 * extension, then every test (unit, server, store contract, end-to-end).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
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

// Vitest's own summary plus a JSON report, from which the plain closing line CI reads is printed.
const RESULTS = '.vitest-results.json';
rmSync(RESULTS, { force: true });
console.log('\n▶ tests (vitest)');
const tests = spawnSync('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${RESULTS}`, ...process.argv.slice(2)], {
  stdio: 'inherit',
});
if (existsSync(RESULTS)) {
  const { numPassedTests, numFailedTests, numPendingTests } = JSON.parse(readFileSync(RESULTS, 'utf8'));
  console.log(`\ntests: ${numPassedTests} passed, ${numFailedTests} failed${numPendingTests ? `, ${numPendingTests} skipped` : ''}`);
}
process.exit(tests.status ?? 1);
