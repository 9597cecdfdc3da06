/**
 * `backend: 'auto'` on headless Chromium, whose WebGPU (--enable-unsafe-webgpu) and WebGL both run on
 * SwiftShader: auto must not serve there (issue 24: 77 ms per recommendation vs 3.2 ms on wasm).
 */
import { expect, test, type Page } from '@playwright/test';
import { pageModule, recIds } from './helpers.js';

type Auto = typeof import('./pages/auto.js');
const call = (page: Page) => pageModule<Auto>(page, '/e2e/pages/auto.ts');

async function widgetReady(page: Page, attributes: Record<string, string>) {
  await page.goto('/e2e/pages/blank.html');
  const detail = page.evaluate(
    ({ attributes, src }) =>
      new Promise<any>((resolve) => {
        document.addEventListener('molar-ready', (e) => resolve((e as CustomEvent).detail), { once: true });
        const el = document.createElement('molar-recs');
        for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
        document.body.append(el);
        void import(/* @vite-ignore */ src);
      }),
    { attributes, src: '/src/widget/index.ts' },
  );
  return detail;
}

test('the widget with backend auto skips the SwiftShader adapters, serves on wasm, and its report shows the timing; a reload uses the cached measurement', async ({ page }) => {
  const { backend, report } = await widgetReady(page, { bundle: '/bundles/demo/', k: '4' });
  expect(backend).toBe('wasm');
  const webgpu = report.tried.find((t: any) => t.backend === 'webgpu');
  expect(webgpu.software, 'the WebGPU adapter is named software').toMatch(/swiftshader|fallback/i);
  expect(webgpu.reason).toContain('deferred');
  expect(report.tried.find((t: any) => t.backend === 'webgl').software).toMatch(/swiftshader/i);
  expect(report.choice.timings.wasm).toBeGreaterThan(0);
  expect(report.choice.op).toMatch(/^\[1,\d+\]×\[\d+,\d+\] \+ top-\d+$/);
  expect(report.choice.why).toContain('skipped as software: webgpu');
  expect(report.choice.cached).toBe(false);
  await expect.poll(() => recIds(page)).toHaveLength(4);

  // same browser, same bundle shape: no new measurement, only wasm is started
  const again = await widgetReady(page, { bundle: '/bundles/demo/', k: '4' });
  expect(again.backend).toBe('wasm');
  expect(again.report.choice).toMatchObject({ cached: true, timings: { wasm: report.choice.timings.wasm } });
  expect(again.report.tried.map((t: any) => t.backend)).toEqual(['wasm']);
});

test('backend webgpu still forces WebGPU on a software adapter; with software allowed to compete, auto serves on the fastest measured', async ({ page }) => {
  await page.goto('/e2e/pages/blank.html');
  const forced = await call(page)('load', 'webgpu', 'auto-forced');
  expect(forced.report.backend).toBe('webgpu');
  expect(forced.report.choice).toBeUndefined();

  const compete = await call(page)('load', 'auto', 'auto-compete', { runtime: { software: 'compete' } });
  const timings = compete.report.choice!.timings!;
  expect(Object.keys(timings).sort()).toEqual(['cpu', 'wasm', 'webgl', 'webgpu']);
  const fastest = Object.entries(timings).sort((a, b) => a[1]! - b[1]!)[0][0];
  expect(compete.report.backend).toBe(fastest);

  const auto = await call(page)('load', 'auto', 'auto-default');
  expect(auto.report.backend).toBe('wasm');
  test.info().annotations.push({
    type: 'timings',
    description: `recommend() median: auto (${auto.report.backend}) ${auto.recommendMs.toFixed(1)} ms, forced webgpu ${forced.recommendMs.toFixed(1)} ms; scoring op: ${JSON.stringify(timings)}`,
  });
  console.log(test.info().annotations.at(-1)!.description);
});
