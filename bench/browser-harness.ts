/**
 * What the headless-Chromium benches share: a Vite dev server on a free port (its own deps cache,
 * so the e2e or demo servers running beside it never see a half-written one), the browser launched
 * with the e2e suite's flags, and a page with a bench module imported.
 */
import net, { type AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { createServer, type ViteDevServer } from 'vite';
import pwConfig from '../playwright.config.js';

export async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

export interface BenchBrowser {
  origin: string;
  server: ViteDevServer;
  browser: Browser;
  /** e.g. "chromium 156.0… headless", for the rows */
  browserName: string;
  close(): Promise<void>;
}

export async function startBenchBrowser(): Promise<BenchBrowser> {
  const port = await freePort();
  const server = await createServer({ configFile: 'vite.config.ts', server: { port, strictPort: true }, cacheDir: '.cache/vite-bench', logLevel: 'warn' });
  await server.listen();
  const browser = await chromium.launch({ ...pwConfig.use?.launchOptions, headless: true });
  return {
    origin: `http://127.0.0.1:${port}`,
    server,
    browser,
    browserName: `chromium ${browser.version()} headless`,
    async close() {
      await browser.close();
      await server.close();
    },
  };
}

/**
 * Opens `pageUrl` and imports `module` in it. The first import can make Vite discover a dependency
 * and reload the page, so it imports, waits, imports again, and retries until that sticks.
 */
export async function loadModulePage(page: Page, pageUrl: string, module: string): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await page.goto(pageUrl);
    try {
      await page.evaluate((u) => import(/* @vite-ignore */ u).then(() => undefined), module);
      await page.waitForTimeout(500);
      await page.evaluate((u) => import(/* @vite-ignore */ u).then(() => undefined), module);
      return;
    } catch (e) {
      if (attempt >= 3) throw e;
    }
  }
}
