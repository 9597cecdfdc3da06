import { expect, test, type Page } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import { pageModule, watchNetwork } from './helpers.js';

type Mod = typeof import('./pages/molar.js');
const call = <F extends keyof Mod & string>(page: Page, fn: F, ...args: Parameters<Mod[F]>) => pageModule<Mod>(page, '/e2e/pages/molar.ts')(fn, ...args);
const HISTORY = ['tea-green', 'mug-white', 'tea-black'];

test('the Molar bundle scores the same in Node (as `molar eval`) and in the browser on wasm, webgl and webgpu (1e-4), leaving no tensor', async ({ page }) => {
  const { openBundleDir } = await import('../src/cli/bundle-node.js');
  const { createScorer, pickModel } = await import('../src/score/registry.js');
  const { resolveConfig } = await import('../src/config.js');
  const { vectorTopK } = await import('../src/score/topk.js');
  const { useNodeBackend } = await import('../src/train/backend-node.js');
  await useNodeBackend('wasm');
  const bundle = await openBundleDir('e2e/fixtures/molar-bundle');
  const entry = pickModel(bundle.manifest);
  expect(entry.kind).toBe('molar');
  const scorer = await createScorer({ manifest: bundle.manifest, entry, readFile: bundle.readFile, config: resolveConfig() });
  const ids = HISTORY.map((id) => bundle.items.findIndex((it) => it.id === id) + 1);
  const [scores] = await scorer.score([Int32Array.from(ids)]);
  scorer.dispose();
  const top = await vectorTopK(scores, 10, ids);
  const node = { ids: Array.from(top.ids, (i) => bundle.items[i - 1].id), scores: Array.from(top.scores) };
  expect(node.ids).toHaveLength(7); // 10 items, 3 seen

  const external = watchNetwork(page, ORIGIN);
  await page.goto('/e2e/pages/blank.html');
  for (const backend of ['wasm', 'webgl', 'webgpu'] as const) {
    const r = await call(page, 'molarTop', backend, HISTORY);
    expect([r.backend, r.kind]).toEqual([backend, 'molar']);
    expect(r.ids, backend).toEqual(node.ids);
    r.scores.forEach((s, i) => expect(Math.abs(s - node.scores[i]), `${backend} score ${i}`).toBeLessThan(1e-4));
    expect(r.leaked, `${backend}: tensors left after dispose`).toBe(0);
  }
  expect(external, 'requests that left localhost').toEqual([]);
});

test('an item added in the page is scored natively by the content model, as Node scores the same item from its catalog vector', async ({ page }) => {
  // Node: the catalog row of tea-oolong (Node's USE-lite vector, int8) handed to the scorer as a new item
  const { openBundleDir } = await import('../src/cli/bundle-node.js');
  const { createScorer } = await import('../src/score/registry.js');
  const { resolveConfig } = await import('../src/config.js');
  const { ItemVectorStore } = await import('../src/items/store.js');
  const { useNodeBackend } = await import('../src/train/backend-node.js');
  await useNodeBackend('wasm');
  const bundle = await openBundleDir('e2e/fixtures/molar-bundle');
  const entry = bundle.manifest.models.find((m) => m.kind === 'molar')!;
  const scorer = await createScorer({ manifest: bundle.manifest, entry, readFile: bundle.readFile, config: resolveConfig() });
  const store = ItemVectorStore.fromArrayBuffer(await bundle.readFile('item_vectors.bin'));
  const oolong = bundle.items.findIndex((it) => it.id === 'tea-oolong') + 1;
  expect(bundle.items[oolong - 1].text).toBe('Oolong Tea. Roasted, floral oolong. category: tea');
  // with its catalog attribute, as the page adds it: the fusion head reads both
  scorer.addItems!({ data: store.row(oolong), rows: 1, dim: store.dim, attributes: [{ category: 'tea' }] });
  const ids = HISTORY.map((id) => bundle.items.findIndex((it) => it.id === id) + 1);
  const [row] = await scorer.score([Int32Array.from(ids)]);
  scorer.dispose();
  const nodeTwin = row[bundle.items.length + 1];

  // the page: the same text, encoded by USE-lite in the browser, added with addItems()
  await page.goto('/e2e/pages/blank.html');
  const r = await call(page, 'addedTwin', HISTORY, 'tea-oolong');
  const pageTwin = r.scores[r.ids.indexOf('twin-new')];
  expect(Number.isFinite(pageTwin)).toBe(true);
  // browser and Node USE-lite agree to cosine > 0.999 (coldstart.spec.ts), then int8: close, not equal
  expect(Math.abs(pageTwin - nodeTwin)).toBeLessThan(0.05);
});
