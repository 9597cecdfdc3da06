/**
 * Faults in a real Chromium (issue 21 §5, §6): the GPU lost with a recommend() in flight, on WebGL
 * (WEBGL_lose_context) and on WebGPU (GPUDevice.destroy), and a storage quota too small for the
 * history (DevTools protocol). The GPU-process crash is in gpu-crash.spec.ts, in a browser of its own.
 */
import { expect, test } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import { expectSameRanking, faults, HISTORY } from './faults-helpers.js';

for (const delay of [0, 10, 40]) {
  test(`WebGL context lost ${delay} ms into a recommend(): it and the next call return the same ranking from wasm, history intact, one backendchange`, async ({ page }) => {
    await page.goto('/e2e/pages/blank.html');
    const call = faults(page);
    const { backend, reference } = await call('setUp', ['webgl', 'wasm', 'cpu'], HISTORY, `webgl-loss-${delay}`);
    expect(backend).toBe('webgl');
    expect(reference.ok).toHaveLength(10);
    expect(await call('startRecommend', delay), 'WEBGL_lose_context').toBe(true);
    const r = await call('finish');
    expect(r.inflight.error).toBeUndefined();
    expectSameRanking(r.inflight.ok, reference.ok, 'the call in flight');
    expectSameRanking(r.next.ok, reference.ok, 'the next call');
    expect(r.backend).toBe('wasm');
    expect(r.changes).toHaveLength(1);
    expect(r.changes[0].backend).toBe('wasm');
    expect(r.events).toEqual(HISTORY);
  });
}

test("WebGL context lost under SASRec's streamed top-K (no full score row read back): the same ranking from wasm, history intact", async ({ page }) => {
  await page.goto('/e2e/pages/blank.html');
  const call = faults(page);
  const { backend, reference } = await call('setUp', ['webgl', 'wasm', 'cpu'], HISTORY, 'webgl-loss-sasrec', 'sasrec');
  expect(backend).toBe('webgl');
  expect(reference.ok).toHaveLength(10);
  expect(await call('startRecommend', 0), 'WEBGL_lose_context').toBe(true);
  const r = await call('finish');
  expect(r.inflight.error).toBeUndefined();
  expectSameRanking(r.inflight.ok, reference.ok, 'the call in flight');
  expectSameRanking(r.next.ok, reference.ok, 'the next call');
  expect(r.backend).toBe('wasm');
  expect(r.changes.map((c) => c.backend)).toEqual(['wasm']);
  expect(r.events).toEqual(HISTORY);
});

test('WebGPU device destroyed with a recommend() in flight: no AbortError, the same ranking from webgl, history intact', async ({ page }) => {
  await page.goto('/e2e/pages/blank.html');
  const call = faults(page);
  const { backend, reference } = await call('setUp', ['webgpu', 'webgl', 'wasm', 'cpu'], HISTORY, 'webgpu-loss-inflight');
  expect(backend).toBe('webgpu');
  expect(await call('startRecommend', 5), 'GPUDevice.destroy').toBe(true);
  const r = await call('finish');
  expect(r.inflight.error).toBeUndefined();
  expectSameRanking(r.inflight.ok, reference.ok, 'the call in flight');
  expectSameRanking(r.next.ok, reference.ok, 'the next call');
  expect(r.backend).toBe('webgl');
  expect(r.changes.map((c) => c.backend)).toEqual(['webgl']);
  expect(r.events).toEqual(HISTORY);
});

test('a storage quota too small for the history (Storage.overrideQuotaForOrigin): record() never rejects, only the oldest events the warnings name are dropped', async ({ page }) => {
  await page.goto('/e2e/pages/blank.html');
  const cdp = await page.context().newCDPSession(page);
  const { usage } = (await cdp.send('Storage.getUsageAndQuota', { origin: ORIGIN })) as { usage: number };
  // room for a few dozen events beyond what the origin already holds
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: ORIGIN, quotaSize: usage + 8 * 1024 });
  const N = 400;
  const r = await faults(page)('recordMany', 'tiny-quota', N);
  await cdp.send('Storage.overrideQuotaForOrigin', { origin: ORIGIN });
  expect(r.rejected).toEqual([]);
  expect(r.warnings.length, 'the quota was reached').toBeGreaterThan(0);
  const dropped = r.warnings.reduce((n, w) => n + Number(/dropped the (\d+) oldest/.exec(w.message)?.[1] ?? 0), 0);
  // every event is there, in order, except the oldest `dropped` that the warnings announced
  expect(r.kept).toEqual(Array.from({ length: N - dropped }, (_, i) => dropped + i));
  expect(r.warnings.every((w) => w.code === 'HISTORY_TRIMMED' || w.code === 'HISTORY_NOT_PERSISTENT')).toBe(true);
});
