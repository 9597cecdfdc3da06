import { expect, test, type Page } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import { pageModule, watchNetwork } from './helpers.js';

type Mod = typeof import('./pages/msr.js');
const call = <F extends keyof Mod & string>(page: Page, fn: F, ...args: Parameters<Mod[F]>) => pageModule<Mod>(page, '/e2e/pages/msr.ts')(fn, ...args);
const HISTORY = ['tea-green', 'mug-white', 'tea-black', 'strainer'];

test('the re-ranked list scores the same in Node (tfjs-wasm) and in the browser on wasm, webgl and webgpu, with the same preference summary, leaving no tensor', async ({ page }) => {
  const { openBundleDir } = await import('../src/cli/bundle-node.js');
  const { createScorer, pickModel } = await import('../src/score/registry.js');
  const { resolveConfig } = await import('../src/config.js');
  const { vectorTopK } = await import('../src/score/topk.js');
  const { loadMsrReranker } = await import('../src/summary/load.js');
  const { useNodeBackend } = await import('../src/train/backend-node.js');
  await useNodeBackend('wasm');
  const bundle = await openBundleDir('e2e/fixtures/msr-bundle');
  const entry = pickModel(bundle.manifest);
  const config = resolveConfig();
  const scorer = await createScorer({ manifest: bundle.manifest, entry, readFile: bundle.readFile, config });
  const reranker = (await loadMsrReranker(bundle.manifest, bundle.readFile, { served: entry.kind, weight: 1 }))!;
  expect(reranker).toBeDefined();
  const ids = Int32Array.from(HISTORY, (id) => bundle.items.findIndex((it) => it.id === id) + 1);
  const [scores] = await scorer.score([ids]);
  const top = await vectorTopK(scores, config.score.rerankDepth, Array.from(ids));
  const ranked = await reranker.rerank(Array.from(top.ids, (id, i) => ({ id, score: top.scores[i] })), { history: ids, items: bundle.items, k: 10, scores });
  const summary = (await reranker.describe(ids, bundle.items)).text;
  scorer.dispose();
  reranker.dispose();
  const node = { ids: ranked.slice(0, 10).map((c) => bundle.items[c.id - 1].id), scores: ranked.slice(0, 10).map((c) => c.score) };
  expect(node.ids).toHaveLength(6); // 10 items, 4 seen
  expect(summary).toMatch(/^Prefers /);

  const external = watchNetwork(page, ORIGIN);
  await page.goto('/e2e/pages/blank.html');
  for (const backend of ['wasm', 'webgl', 'webgpu'] as const) {
    const r = await call(page, 'msrTop', backend, HISTORY);
    expect([r.backend, r.kind]).toEqual([backend, entry.kind]);
    expect(r.ids, backend).toEqual(node.ids);
    r.scores.forEach((s, i) => expect(Math.abs(s - node.scores[i]), `${backend} score ${i}`).toBeLessThan(1e-4));
    expect(r.summary, backend).toBe(summary);
    expect(r.leaked, `${backend}: tensors left after dispose`).toBe(0);
  }
  expect(external, 'requests that left localhost').toEqual([]);
});

test('a lost WebGL context moves the re-ranked list to wasm unchanged: the bundle\'s re-ranker is rebuilt with the scorer', async ({ page }) => {
  await page.goto('/e2e/pages/blank.html');
  const r = await call(page, 'msrAfterLoss', HISTORY);
  expect(r.before.backend).toBe('webgl');
  expect(r.lost, 'WEBGL_lose_context').toBe(true);
  expect(r.after.backend).toBe('wasm');
  expect(r.after.ids).toEqual(r.before.ids);
  expect(r.summary).toMatch(/^Prefers /);
});
