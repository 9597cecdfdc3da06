/**
 * The GPU process crashed through the DevTools protocol (Browser.crashGpuProcess) with a recommend()
 * in flight (issue 21 §5). Before the fix, on WebGL this gave all-zero scores in a new order, with no
 * error and no backendchange. Its own browser: Chromium stops using the GPU after a few crashes, which
 * must not reach the other specs' WebGL and WebGPU tests.
 */
import { expect, test } from '@playwright/test';
import config from '../playwright.config.js';
import { expectSameRanking, faults, HISTORY } from './faults-helpers.js';

const launch = config.use!.launchOptions!;
// a different launch option gives this file a worker, and so a browser, of its own
test.use({ launchOptions: { ...launch, args: [...(launch.args ?? []), '--disable-gpu-process-crash-limit'] } });

for (const order of [['webgl', 'wasm', 'cpu'], ['webgpu', 'webgl', 'wasm', 'cpu']] as const) {
  test(`GPU process crash with a recommend() in flight on ${order[0]}: the same ranking from another backend, history intact, backendchange`, async ({ page }) => {
    await page.goto('/e2e/pages/blank.html');
    const call = faults(page);
    const { backend, reference } = await call('setUp', [...order], HISTORY, `gpu-crash-${order[0]}`);
    expect(backend).toBe(order[0]);
    const cdp = await page.context().newCDPSession(page);
    await call('startRecommend', -1);
    await cdp.send('Browser.crashGpuProcess');
    const r = await call('finish');
    expect(r.inflight.error).toBeUndefined();
    expectSameRanking(r.inflight.ok, reference.ok, 'the call in flight');
    expectSameRanking(r.next.ok, reference.ok, 'the next call');
    expect(r.backend).not.toBe(order[0]);
    expect(r.changes.length).toBeGreaterThanOrEqual(1);
    expect(r.changes.at(-1)!.backend).toBe(r.backend);
    expect(r.events).toEqual(HISTORY);
  });
}
