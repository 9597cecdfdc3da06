import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import { pageModule, watchNetwork } from './helpers.js';

/**
 * MLLM-MSR's generative providers in headless Chromium: the recurrent summary and the yes/no
 * re-ranker on the LM in a module worker, the captioner in the page, all on onnxruntime-web wasm,
 * against the torch reference that src/summary/gen.test.ts matches in Node
 * (e2e/fixtures/tiny-gen/expected.json, scripts/make-tiny-gen-onnx.py).
 */
type Gen = typeof import('./pages/msr-gen.js');
interface Expected {
  summary_steps: { summary: string }[];
  rerank: { items: { p_yes: number }[] };
  captions: { text: string }[];
}
const expected = JSON.parse(readFileSync(new URL('./fixtures/tiny-gen/expected.json', import.meta.url), 'utf8')) as Expected;

function call<F extends keyof Gen & string>(page: Page, fn: F, ...args: Parameters<Gen[F]>) {
  return pageModule<Gen>(page, '/e2e/pages/msr-gen.ts')(fn, ...args);
}

test('generative MSR on wasm: the worker summary, P(yes) and captions equal Node/torch; the main thread never ran the LM; nothing leaves localhost', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  await page.goto('/e2e/pages/blank.html');
  const r = await call(page, 'run', 'wasm');
  expect(r.name).toBe('hf-lm:tiny-gpt2');
  // load progress crossed back from the worker: the weights file, then one ready, last
  expect(r.progress).toContain('load onnx/model.onnx');
  expect(r.progress.at(-1)).toBe('ready');
  expect(r.progress.filter((p) => p === 'ready')).toHaveLength(1);
  expect(r.summaries).toEqual(expected.summary_steps.map((s) => s.summary));
  const ref = expected.rerank.items.map((x, i) => ({ id: i + 1, p: x.p_yes })).sort((a, b) => b.p - a.p);
  expect(r.ranked.map((c) => c.id)).toEqual(ref.map((x) => x.id));
  r.ranked.forEach((c, i) => expect(Math.abs(c.score - ref[i].p), `P(yes) of item ${c.id}`).toBeLessThan(1e-5));
  expect(r.captions).toEqual(expected.captions.map((c) => c.text));
  expect(r.afterDispose).toBe('DISPOSED');
  expect(r.submits, 'GPU command buffers the worker submitted').toBe(0);
  // the worker fetched the LM and onnxruntime; the page's own timeline has neither before the captioner
  expect(r.mainFetched).not.toContain('/e2e/fixtures/tiny-gen/tiny-gpt2/onnx/model.onnx');
  expect(r.mainFetched.filter((p) => p.startsWith('/wasm/ort/'))).toEqual([]);
  expect(r.mainFetchedLater, 'the page timeline does record fetches').toContain('/e2e/fixtures/tiny-gen/tiny-captioner/onnx/encoder_model.onnx');
  // a guard, not the proof (the tiny LM would be quick even on the main thread; the timeline above
  // is the proof): a 10 ms timer never waited a second, with slack for a loaded two-core machine
  expect(r.longestGap, 'longest main-thread timer gap, ms').toBeLessThan(1000);

  const err = await call(page, 'missing');
  expect(err?.name).toBe('MolarError');
  expect(err?.code).toBe('IO');
  expect(err?.message).toContain('"no-such-model"');
  expect(external, 'requests that left localhost').toEqual([]);
});

// SwiftShader's WebGPU (--enable-unsafe-webgpu): the same summaries and P(yes) with the LM on
// WebGPU inside the worker, where the logits and the key/value cache come off the GPU.
test('generative MSR on webgpu: the worker summary and P(yes) equal Node/torch', async ({ page }) => {
  await page.goto('/e2e/pages/blank.html');
  const r = await call(page, 'run', 'webgpu', { captions: false });
  expect(r.submits, 'GPU command buffers the worker submitted').toBeGreaterThan(0);
  expect(r.summaries).toEqual(expected.summary_steps.map((s) => s.summary));
  const ref = expected.rerank.items.map((x, i) => ({ id: i + 1, p: x.p_yes })).sort((a, b) => b.p - a.p);
  expect(r.ranked.map((c) => c.id)).toEqual(ref.map((x) => x.id));
  r.ranked.forEach((c, i) => expect(Math.abs(c.score - ref[i].p), `P(yes) of item ${c.id}`).toBeLessThan(1e-4));
});

type Load = typeof import('./pages/msr-load.js');
function loadCall<F extends keyof Load & string>(page: Page, fn: F, ...args: Parameters<Load[F]>) {
  return pageModule<Load>(page, '/e2e/pages/msr-load.ts')(fn, ...args);
}

test('config.summary generative: load does not wait for the LM; the summary is kept in IndexedDB, read back after a reload without an LM call, advanced by one call per block; re-ranked by P(yes)', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  await page.goto('/e2e/pages/blank.html');
  const first = await loadCall(page, 'firstVisit');
  // load resolved before the LM (it loads in the worker, in the background); the first stage served meanwhile
  expect(first.stateAtLoad).toBe('loading');
  expect(first.early).toHaveLength(4);
  expect(first.ready).toBe('ready');
  expect(first.summary?.startsWith('The user appears to have a preference for')).toBe(true);
  // six views: two blocks of 3, two generations; one re-ranked list: one yes/no request
  expect(first.counts).toMatchObject({ load: 1, generate: 2, yesNo: 1 });
  expect(first.kept).toEqual([expect.objectContaining({ provider: 'gen-summary(hf-lm:tiny-gpt2)', blocks: 2, text: first.summary })]);
  expect(first.ids).toHaveLength(4);
  expect(first.mainFetched, 'the page loaded the bundle itself').toContain('/bundles/coldstart/manifest.json');
  expect(first.mainFetched).not.toContain('/e2e/fixtures/tiny-gen/tiny-gpt2/onnx/model.onnx');
  expect(first.mainFetched.filter((p) => p.startsWith('/wasm/ort/'))).toEqual([]);

  await page.reload();
  const again = await loadCall(page, 'afterReload');
  expect(again.early, 'the kept text, served before the LM was there').toBe(first.summary);
  expect(again.before, 'the catch-up found nothing to generate').toEqual({ load: 1 });
  expect(again.summary).toBe(first.summary);
  expect(again.read, 'no generation after the reload: the kept summary was read').toEqual({ load: 1, yesNo: 1 });
  expect(again.ids).toEqual(first.ids);
  expect(again.advanced, 'the ninth view completes one block: one generation').toEqual({ load: 1, yesNo: 1, generate: 1 });
  expect(again.next).not.toBe(first.summary);
  expect(again.kept).toEqual([expect.objectContaining({ blocks: 3, text: again.next })]);
  expect(external, 'requests that left localhost').toEqual([]);
});

test('addItems() items get a stage-1 caption on demand in the worker, once per item, kept across a reload (another picture: captioned again); a cross-origin image is dropped, never fetched', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  await page.goto('/e2e/pages/blank.html');
  const r = await loadCall(page, 'captions');
  expect(r.before.caption ?? 0).toBe(0); // on demand: nothing captioned at addItems()
  expect(r.blob).toBe(expected.captions[0].text); // the PNG's pixels are the fixture image's
  expect(r.again).toBe(r.blob);
  expect(r.after.caption, 'captioned once, then cached').toBe(1);
  expect(r.remote).toBe(''); // its image was dropped at addItems() (items.allowRemoteImages off), no tagger in this bundle
  expect(r.warnings).toContain('UNSAFE_URL:new-remote');
  expect(r.catalog).toBe(''); // this bundle has no stage-1 file

  // the caption was kept in IndexedDB: after a reload it is read back, the captioner not even loaded;
  // another picture for the same item is captioned again
  await page.reload();
  const again = await loadCall(page, 'captionsAfterReload');
  expect(again.kept).toBe(r.blob);
  expect(again.afterKept, 'the LM worker only: no captioner loaded, nothing captioned').toEqual({ load: 1 });
  expect(again.recaptioned).toBe(expected.captions[1].text);
  expect(again.delta).toMatchObject({ loadCaptioner: 1, caption: 1 });
  expect(external, 'requests that left localhost').toEqual([]);
});

test('<molar-recs> with the generative stages: it renders before the LM is there, then re-ranks itself and fires molar-generator-ready', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  await page.goto('/e2e/pages/blank.html');
  const r = await loadCall(page, 'widget');
  expect(r.events[0], 'ready while the LM still loads').toBe('ready:loading');
  expect(r.events.indexOf('recommend'), 'a list before the LM').toBeLessThan(r.events.indexOf('generator-ready'));
  expect(r.events.slice(-2), 're-ranked, then the event').toEqual(['recommend', 'generator-ready']);
  expect(r.events.filter((e) => e.startsWith('error'))).toEqual([]);
  expect(r.shown).toEqual(r.served);
  expect(r.summary).toMatchObject({ source: 'generative', text: expect.stringMatching(/^The user appears to have a preference for/) });
  expect(external, 'requests that left localhost').toEqual([]);
});
