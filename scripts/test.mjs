#!/usr/bin/env node
// `npm test`: unit tests (Vitest) then the e2e suite (Playwright, Debian's headless Chromium).
// Ends with one plain line summing both: `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`Chromium not found at ${chromium}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
  process.exit(1);
}
mkdirSync('.cache', { recursive: true });
// a runner that dies before writing its report must not be credited with the last run's results
const UNIT_REPORT = '.cache/vitest.json';
const E2E_REPORT = '.cache/playwright.json'; // where playwright.config.ts's json reporter writes
for (const f of [UNIT_REPORT, E2E_REPORT]) rmSync(f, { force: true });
mkdirSync('e2e-artifacts', { recursive: true });

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } }).status;
const unitStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile.json=${UNIT_REPORT}`]);
// the storefront e2e loads the built widget, exactly as a shop would
const buildStatus = run('npm', ['run', '--silent', 'build:widget']);
const e2eStatus = buildStatus === 0 ? run('npx', ['playwright', 'test']) : 1;

const totals = { passed: 0, failed: 0, skipped: 0 };
/**
 * Adds one runner's counts. A runner that exited non-zero yet reports no failed test (a file that
 * would not import, a crash, no report at all) still counts as one failure: never report green.
 */
function add(status, counts) {
  totals.passed += counts?.passed ?? 0;
  totals.skipped += counts?.skipped ?? 0;
  totals.failed += status !== 0 && !counts?.failed ? 1 : counts?.failed ?? 0;
}
function read(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
const unit = read(UNIT_REPORT);
add(unitStatus, unit && { passed: unit.numPassedTests, failed: unit.numFailedTests, skipped: unit.numPendingTests + (unit.numTodoTests ?? 0) });
const e2e = read(E2E_REPORT);
add(e2eStatus, e2e && { passed: e2e.stats.expected + (e2e.stats.flaky ?? 0), failed: e2e.stats.unexpected, skipped: e2e.stats.skipped });

console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
