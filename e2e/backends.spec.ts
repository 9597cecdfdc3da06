import { expect, test, type Page } from '@playwright/test';
import { pageModule } from './helpers.js';

type Parity = typeof import('./pages/parity.js');
const HISTORY = ['st-1f600', 'st-1f923', 'st-1f602'];

async function open(page: Page): Promise<void> {
  await page.goto('/e2e/pages/blank.html');
}

function call<F extends keyof Parity & string>(page: Page, fn: F, ...args: Parameters<Parity[F]>) {
  return pageModule<Parity>(page, '/e2e/pages/parity.ts')(fn, ...args);
}

test('the scoring op gives the same top-K, scores within 1e-4, on webgpu, webgl and wasm', async ({ page }) => {
  await open(page);
  const results = [];
  for (const b of ['wasm', 'webgl', 'webgpu'] as const) results.push(await call(page, 'scoringOp', b));
  expect(results.map((r) => r.backend)).toEqual(['wasm', 'webgl', 'webgpu']);
  const [ref, ...rest] = results;
  expect(ref.ids).toHaveLength(20);
  expect(ref.ids).not.toContain(1);
  for (const r of rest) {
    expect(r.ids, r.backend).toEqual(ref.ids);
    r.scores.forEach((s, i) => expect(Math.abs(s - ref.scores[i]), `${r.backend} score ${i}`).toBeLessThan(1e-4));
  }
});

test("the demo bundle's served model (a blend over Molar and co-occurrence) gives the same recommendations and scores (1e-4) on webgpu, webgl and wasm", async ({ page }) => {
  await open(page);
  const results = [];
  for (const b of ['wasm', 'webgl', 'webgpu'] as const) results.push(await call(page, 'modelScores', b, HISTORY));
  expect(results.every((r) => r.model === 'blend')).toBe(true);
  const [ref, ...rest] = results;
  for (const r of rest) {
    expect(r.backend).not.toBe(ref.backend);
    expect(r.ids, r.backend).toEqual(ref.ids);
    r.scores.forEach((s, i) => expect(Math.abs(s - ref.scores[i]), `${r.backend} score ${i}`).toBeLessThan(1e-4));
  }
});

test('a lost WebGPU device falls back to the next backend and keeps the history', async ({ page }) => {
  await open(page);
  const r = await call(page, 'deviceLossDrill', HISTORY);
  expect(r.destroyed).toBe(true);
  expect(r.before.backend).toBe('webgpu');
  expect(r.after.backend).toBe('webgl');
  expect(r.after.events).toBe(3);
  expect(r.after.ids).toEqual(r.before.ids);
  expect(r.tensors.afterDispose, 'live tensors after dispose, vs before load').toBe(r.tensors.baseline);
});

test('the served model scores the same in Node (tfjs wasm, as `molar eval` runs) and in the browser', async ({ page }) => {
  // Node side: the very scorer `molar eval` uses, on the bundle folder read from disk.
  const tf = await import('@tensorflow/tfjs');
  const { openBundleDir } = await import('../src/cli/bundle-node.js');
  const { createScorer, pickModel } = await import('../src/score/registry.js');
  const { DEFAULT_CONFIG } = await import('../src/config.js');
  const { vectorTopK } = await import('../src/score/topk.js');
  const { useNodeBackend } = await import('../src/train/backend-node.js');
  await useNodeBackend('wasm'); // as `molar eval` does before it makes a scorer
  const bundle = await openBundleDir('demo-data/bundle');
  const entry = pickModel(bundle.manifest);
  expect(entry.kind).toBe(bundle.manifest.served!.kind);
  const scorer = await createScorer({ manifest: bundle.manifest, entry, readFile: bundle.readFile, config: DEFAULT_CONFIG as never });
  const ids = HISTORY.map((id) => bundle.items.findIndex((it) => it.id === id) + 1);
  const [scores] = await scorer.score([Int32Array.from(ids)]);
  const top = await vectorTopK(scores, 10, ids);
  const node = { backend: tf.getBackend(), ids: Array.from(top.ids, (i) => bundle.items[i - 1].id), scores: Array.from(top.scores) };

  await open(page);
  const browser = await call(page, 'modelScores', 'wasm', HISTORY);
  expect(node.ids).toEqual(browser.ids);
  node.scores.forEach((s, i) => expect(Math.abs(s - browser.scores[i]), `score ${i}`).toBeLessThan(1e-4));
});

test('a repeat-bias SASRec with positions from-oldest scores as in Node (1e-4) on wasm, webgl and webgpu', async ({ page }) => {
  const tf = await import('@tensorflow/tfjs');
  const { SasrecModel } = await import('../src/models/sasrec/model.js');
  const m = new SasrecModel({ numItems: 40, maxLen: 8, hidden: 16, blocks: 2, heads: 2, loss: 'ce', excludeHistory: false, repeatBias: true, positions: 'from-oldest', seed: 5 });
  const w = await m.getWeights();
  w.data[w.data.length - 1] = -2.5; // the learned scalar; 0 at init would test nothing
  m.setWeights(w.specs, w.data);
  // left-padded rows with a repeated item, as the browser's scorer pads them
  const seq = [[0, 0, 0, 3, 7, 3, 12, 40], [0, 0, 0, 0, 0, 0, 0, 9]];
  const s = tf.tensor2d(seq, [2, 8], 'int32');
  const expected = m.fullSortPredict(s).arraySync() as number[][];
  s.dispose();
  const { architectureOf } = await import('../src/models/sasrec/config.js');
  const entry = { kind: 'sasrec' as const, files: ['sasrec.bin'], config: architectureOf(m.config), weights: m.specs };
  m.dispose();
  await open(page);
  for (const b of ['wasm', 'webgl', 'webgpu'] as const) {
    const r = await call(page, 'checkpointScores', b, entry, Array.from(w.data), seq);
    expect(r.backend).toBe(b);
    let maxDiff = 0;
    expected.forEach((row, i) => row.forEach((x, j) => (maxDiff = Math.max(maxDiff, Math.abs(r.scores[i][j] - x)))));
    expect(maxDiff, b).toBeLessThan(1e-4);
  }
});

test("SASRec's serving path (last position, [D, S] table, top-K streamed) ranks as the training model's fullSortPredict in Node (1e-4) on wasm, webgl and webgpu; int8 stays close", async ({ page }) => {
  const tf = await import('@tensorflow/tfjs');
  const { openBundleDir } = await import('../src/cli/bundle-node.js');
  const { SasrecModel } = await import('../src/models/sasrec/model.js');
  const { vectorTopK } = await import('../src/score/topk.js');
  const { useNodeBackend } = await import('../src/train/backend-node.js');
  await useNodeBackend('wasm');
  const bundle = await openBundleDir('demo-data/bundle');
  const entry = bundle.manifest.models.find((m) => m.kind === 'sasrec') as import('../src/bundle/manifest.js').SasrecEntry;
  const model = SasrecModel.fromEntry(entry, await bundle.readFile(entry.files[0]));
  const ids = HISTORY.map((id) => bundle.items.findIndex((it) => it.id === id) + 1);
  const seq = tf.tensor2d([ids], [1, ids.length], 'int32');
  const full = model.fullSortPredict(seq);
  const scores = Float32Array.from(full.dataSync());
  tf.dispose([seq, full]);
  model.dispose();
  const top = await vectorTopK(scores, 10, ids);
  const node = { ids: Array.from(top.ids, (i) => bundle.items[i - 1].id), scores: Array.from(top.scores) };
  const scoreOf = new Map(bundle.items.map((it, i) => [it.id, scores[i + 1]]));

  await open(page);
  for (const b of ['wasm', 'webgl', 'webgpu'] as const) {
    const r = await call(page, 'sasrecServed', b, HISTORY, 'float32');
    expect([r.backend, r.model]).toEqual([b, 'sasrec']);
    expect(r.ids, b).toEqual(node.ids);
    r.scores.forEach((s, i) => expect(Math.abs(s - node.scores[i]), `${b} score ${i}`).toBeLessThan(1e-4));
    expect(r.leaked, `${b} tensors left after 5 calls`).toBe(0);
  }
  // int8 rows: each item it returns is scored within the table's rounding of its fp32 score, and the lists mostly agree
  const q = await call(page, 'sasrecServed', 'wasm', HISTORY, 'int8');
  q.ids.forEach((id, i) => expect(Math.abs(q.scores[i] - scoreOf.get(id)!), id).toBeLessThan(0.02 * Math.max(1, Math.abs(scoreOf.get(id)!))));
  expect(q.ids.filter((id) => node.ids.includes(id)).length).toBeGreaterThanOrEqual(8);
});
