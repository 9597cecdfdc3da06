import { defineConfig } from '@playwright/test';

/** e2e against the demo on Debian's Chromium (Playwright's own browser download cannot work here). */
export const PORT = Number(process.env.E2E_PORT ?? 5174);
export const ORIGIN = `http://127.0.0.1:${PORT}`;

export default defineConfig({
  testDir: 'e2e',
  outputDir: 'test-results',
  timeout: 180_000,
  expect: { timeout: 60_000 },
  workers: 1,
  reporter: [['list'], ['json', { outputFile: '.cache/playwright.json' }]],
  use: {
    baseURL: ORIGIN,
    browserName: 'chromium',
    headless: true,
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'],
    },
  },
  webServer: {
    command: `node scripts/start.mjs`,
    env: { PORT: String(PORT) },
    url: `${ORIGIN}/`,
    reuseExistingServer: false,
    timeout: 120_000,
  },
});
