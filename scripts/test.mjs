#!/usr/bin/env node
// `npm test`: unit tests (Vitest) then the e2e suite (Playwright, Debian's headless Chromium).
// Ends with one plain line summing both: `N passed, N failed, N skipped`.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';

const chromium = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`Chromium not found at ${chromium}: install it with \`apt-get install -y chromium\` (or set CHROMIUM_PATH).`);
  process.exit(1);
}
mkdirSync('.cache', { recursive: true });
mkdirSync('e2e-artifacts', { recursive: true });

const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env: { ...process.env, FORCE_COLOR: '0' } }).status;
const unitStatus = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=.cache/vitest.json']);
// the storefront e2e loads the built widget, exactly as a shop would
const buildStatus = run('npm', ['run', '--silent', 'build:widget']);
const e2eStatus = buildStatus === 0 ? run('npx', ['playwright', 'test']) : 1;

const totals = { passed: 0, failed: 0, skipped: 0 };
function read(file) {
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch {
    return null;
  }
}
const unit = read('.cache/vitest.json');
if (unit) {
  totals.passed += unit.numPassedTests;
  totals.failed += unit.numFailedTests + (unit.numFailedTestSuites ?? 0) * (unit.numTotalTests === 0 ? 1 : 0);
  totals.skipped += unit.numPendingTests + (unit.numTodoTests ?? 0);
} else totals.failed += 1; // the runner itself broke: never report green
const e2e = read('.cache/playwright.json');
if (e2e) {
  totals.passed += e2e.stats.expected + (e2e.stats.flaky ?? 0);
  totals.failed += e2e.stats.unexpected;
  totals.skipped += e2e.stats.skipped;
} else totals.failed += 1;
if (unitStatus !== 0 && totals.failed === 0) totals.failed += 1;
if (e2eStatus !== 0 && totals.failed === 0) totals.failed += 1;

console.log(`${totals.passed} passed, ${totals.failed} failed, ${totals.skipped} skipped`);
process.exit(totals.failed > 0 ? 1 : 0);
