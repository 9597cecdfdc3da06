import { execFileSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import { recIds, watchNetwork } from './helpers.js';

// Uses dist/widget/ from `npm run build:widget` (npm test builds it first).
const WIDGET = '/dist/widget/molar-recs.js';
/** the file names tfjs-backend-wasm picks from by SIMD / threads support */
const TFJS_WASM = /tfjs-backend-wasm(-simd|-threaded-simd)?\.wasm$/;

/** The URLs of every .wasm response the page got, with their status. */
function wasmResponses(page: Page): { url: string; status: number }[] {
  const seen: { url: string; status: number }[] = [];
  page.on('response', (r) => {
    if (/\.wasm(\?|$)/.test(r.url())) seen.push({ url: r.url(), status: r.status() });
  });
  return seen;
}

/** A page holding only the built widget's script and one element with these attributes. */
async function widgetPage(page: Page, attributes: Record<string, string>): Promise<void> {
  await page.goto('/e2e/pages/blank.html');
  await page.evaluate(
    ({ attributes, src }) => {
      const el = document.createElement('molar-recs');
      for (const [k, v] of Object.entries(attributes)) el.setAttribute(k, v);
      document.body.append(el);
      const script = document.createElement('script');
      script.type = 'module';
      script.src = src;
      document.head.append(script);
    },
    { attributes, src: WIDGET },
  );
  await page.waitForFunction(() => customElements.get('molar-recs') !== undefined);
}

const statusText = (page: Page) => page.locator('molar-recs').evaluate((el) => el.shadowRoot?.querySelector('[part=status]')?.textContent ?? '');

test('one script tag + one element: the built widget loads, recommends, records host-page views', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  const wasm = wasmResponses(page);
  const missing: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400 && !r.url().endsWith('/favicon.ico')) missing.push(`${r.status()} ${r.url()}`);
  });
  await page.goto('/e2e/pages/storefront.html');
  await expect.poll(() => recIds(page)).toHaveLength(4);
  const before = await recIds(page);
  const backend = await page.locator('molar-recs').evaluate(async (el: any) => el.recommender?.backend);
  expect(backend).toBe('wasm');
  // the wasm binary came from the build's own wasm/ folder, beside molar-recs.js, not the dev server's /wasm/tfjs/ mount
  expect(wasm.filter((r) => TFJS_WASM.test(r.url))).toEqual([{ url: expect.stringMatching(new RegExp(`^${ORIGIN}/dist/widget/wasm/tfjs/`)), status: 200 }]);
  await page.locator('molar-recs').evaluate((el: any) => el.record({ itemId: 'st-1f436', type: 'view' }));
  await expect.poll(() => recIds(page)).not.toEqual(before);
  expect(await recIds(page)).not.toContain('st-1f436');
  expect(external).toEqual([]);
  // every chunk (and its preload) resolved beside molar-recs.js, whatever path the folder is served at
  expect(missing).toEqual([]);
});

test('a wrong tfjs-wasm-path is an error naming the URL it could not load', async ({ page }) => {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await widgetPage(page, { bundle: '/bundles/demo/', k: '4', backend: 'wasm', 'tfjs-wasm-path': '/no-such-folder/' });
  await expect.poll(() => statusText(page)).toContain('Recommendations unavailable');
  const status = await statusText(page);
  expect(status).toMatch(new RegExp(`wasm: (could not fetch ${ORIGIN}/no-such-folder/tfjs-backend-wasm\\S*\\.wasm: HTTP 404|${ORIGIN}/no-such-folder/tfjs-backend-wasm\\S*\\.wasm is not a WebAssembly module)`));
  expect(status).toContain('tfjs-wasm-path');
  expect(await recIds(page)).toEqual([]);
  expect(errors).toEqual([]);
});

test('backend auto with a wrong wasm path falls to cpu, and the report and a warning say which URL failed', async ({ page }) => {
  const warnings: string[] = [];
  page.on('console', (m) => m.type() === 'warning' && warnings.push(m.text()));
  await widgetPage(page, {
    bundle: '/bundles/demo/',
    k: '4',
    config: JSON.stringify({ runtime: { fallbackOrder: ['wasm', 'cpu'] } }),
    'tfjs-wasm-path': '/no-such-folder/',
  });
  await expect.poll(() => recIds(page)).toHaveLength(4);
  const report = await page.locator('molar-recs').evaluate((el: any) => el.recommender.backendReport);
  expect(report.backend).toBe('cpu');
  expect(report.tried[0]).toMatchObject({
    backend: 'wasm',
    ok: false,
    reason: expect.stringContaining(`${ORIGIN}/no-such-folder/tfjs-backend-wasm`),
    missingFile: expect.stringMatching(new RegExp(`^${ORIGIN}/no-such-folder/tfjs-backend-wasm`)),
  });
  // not silent: the default onWarning prints one line naming the file and the backend used instead
  expect(warnings.filter((w) => w.includes('wasm backend skipped') && w.includes('/no-such-folder/tfjs-backend-wasm') && w.endsWith('using cpu'))).toHaveLength(1);
});

test('a bad path attribute is refused naming the attribute', async ({ page }) => {
  await widgetPage(page, { bundle: '/bundles/demo/', backend: 'wasm', 'tfjs-wasm-path': 'no-trailing-slash' });
  await expect.poll(() => statusText(page)).toContain('attribute tfjs-wasm-path');
  expect(await statusText(page)).toContain('ending in "/"');
});

test.describe('hf-* cold start in the built widget', () => {
  // a bundle whose item vectors come from transformers.js (tiny BERT fixture): addItems() then
  // loads the transformers.js chunk, which loads onnxruntime's wasm from the build's wasm/ort/
  const root = path.resolve(import.meta.dirname, '..');
  const out = path.join(root, '.cache/e2e/hf-bundle');
  test.beforeAll(() => {
    rmSync(out, { recursive: true, force: true });
    const shop = path.join(root, 'src/cli/fixtures/shop');
    execFileSync(process.execPath, ['bin/molar.js', 'build', '--catalog', `${shop}/catalog.csv`, '--interactions', `${shop}/interactions.csv`, '--no-train', '--no-images',
      '--encode', 'hf-text:tiny-bert', '--model-dir', 'e2e/fixtures/tiny-hf', '--out', out], { cwd: root, stdio: 'pipe' });
  });
  test.afterAll(() => rmSync(out, { recursive: true, force: true }));

  test('addItems() encodes with onnxruntime loaded from the built wasm/ort/, models from model-base-url', async ({ page }) => {
    const external = watchNetwork(page, ORIGIN);
    const ort: { url: string; status: number }[] = [];
    page.on('response', (r) => r.url().includes('/ort-wasm') && ort.push({ url: r.url(), status: r.status() }));
    await widgetPage(page, { bundle: '/.cache/e2e/hf-bundle/', k: '4', backend: 'wasm', 'model-base-url': '/e2e/fixtures/tiny-hf/' });
    await expect.poll(() => recIds(page)).toHaveLength(4);
    const added = await page.locator('molar-recs').evaluate(async (el: any) => {
      await el.recommender.addItems([{ id: 'tea-matcha', title: 'Matcha Tea', description: 'Stone-ground green tea' }]);
      return el.recommender.items.some((it: { id: string }) => it.id === 'tea-matcha');
    });
    expect(added).toBe(true);
    expect(ort.length).toBeGreaterThan(0);
    for (const r of ort) {
      expect(r.url).toMatch(new RegExp(`^${ORIGIN}/dist/widget/wasm/ort/ort-wasm-simd-threaded\\.asyncify\\.(mjs|wasm)$`));
      expect(r.status).toBe(200);
    }
    expect(external).toEqual([]);
  });
});
