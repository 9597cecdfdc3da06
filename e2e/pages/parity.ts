/** Served by Vite to backends.spec.ts: runs the same work on a named backend and returns plain numbers. */
import * as tf from '@tensorflow/tfjs';
import type { SasrecEntry } from '../../src/bundle/manifest.js';
import type { BackendName } from '../../src/config.js';
import { SasrecModel } from '../../src/models/sasrec/model.js';
import { Recommender } from '../../src/recommender/index.js';
import { loseDeviceForTesting, selectBackend } from '../../src/runtime/backend.js';
import { dotTopK } from '../../src/score/topk.js';

function seeded(seed: number): () => number {
  return () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
}

export async function scoringOp(backend: BackendName) {
  const report = await selectBackend(backend);
  const rnd = seeded(42);
  const items = tf.tensor2d(Float32Array.from({ length: 3000 * 64 }, rnd), [3000, 64]);
  const user = Float32Array.from({ length: 64 }, rnd);
  const top = await dotTopK(items, user, 20, [1, 2, 3], { tileSize: 1024 });
  items.dispose();
  return { backend: report.backend, ids: Array.from(top.ids), scores: Array.from(top.scores), tensors: tf.memory().numTensors };
}

export async function modelScores(backend: BackendName, history: string[]) {
  const rec = await Recommender.load({ bundleUrl: '/bundles/demo/', backend, namespace: `parity-${backend}` });
  await rec.clearHistory();
  for (const [i, itemId] of history.entries()) await rec.record({ itemId, ts: 1_000 + i });
  const top = await rec.recommend({ k: 10 });
  rec.dispose();
  return { backend: rec.backend, model: rec.modelEntry.kind, ids: top.map((t) => t.item.id), scores: top.map((t) => t.score) };
}

/** Loses the WebGPU device mid-session and checks the Recommender keeps serving from the same history. */
export async function deviceLossDrill(history: string[]) {
  const baseline = tf.memory().numTensors;
  const rec = await Recommender.load({ bundleUrl: '/bundles/demo/', backend: 'auto', namespace: 'device-loss', config: { runtime: { pick: 'first' } } });
  await rec.clearHistory();
  for (const [i, itemId] of history.entries()) await rec.record({ itemId, ts: 1_000 + i });
  const before = { backend: rec.backend, ids: (await rec.recommend({ k: 5 })).map((t) => t.item.id) };
  const changed = new Promise<{ backend: string; lost: unknown }>((resolve) =>
    rec.addEventListener('backendchange', (e) => resolve((e as CustomEvent).detail), { once: true }),
  );
  const destroyed = loseDeviceForTesting();
  const detail = await changed;
  const after = { backend: rec.backend, ids: (await rec.recommend({ k: 5 })).map((t) => t.item.id), events: (await rec.events()).length };
  rec.dispose();
  // the model on the lost device and the one rebuilt on the fallback are both freed
  return { destroyed, before, detail, after, tensors: { baseline, afterDispose: tf.memory().numTensors } };
}

/** Full-catalog scores of a SASRec checkpoint given inline (the PyTorch export of torch-export.spec.ts). */
export async function checkpointScores(backend: BackendName, entry: SasrecEntry, weights: number[], seq: number[][]) {
  const report = await selectBackend(backend);
  const model = SasrecModel.fromEntry(entry, Float32Array.from(weights));
  const input = tf.tensor2d(seq, undefined, 'int32');
  const scores = model.fullSortPredict(input);
  const out = (await scores.array()) as number[][];
  tf.dispose([input, scores]);
  model.dispose();
  return { backend: report.backend, scores: out, tensors: tf.memory().numTensors };
}

/** The demo bundle's SASRec through the public API (its serving scorer: streamed top-K), with the item table asked for. */
export async function sasrecServed(backend: BackendName, history: string[], itemTable: 'float32' | 'int8') {
  const rec = await Recommender.load({ bundleUrl: '/bundles/demo/', backend, model: 'sasrec', namespace: `sasrec-${backend}-${itemTable}`, config: { score: { itemTable } } });
  await rec.clearHistory();
  for (const [i, itemId] of history.entries()) await rec.record({ itemId, ts: 1_000 + i });
  const before = tf.memory().numTensors;
  const top = await rec.recommend({ k: 10 });
  for (let i = 0; i < 5; i++) await rec.recommend({ k: 10 });
  const leaked = tf.memory().numTensors - before;
  rec.dispose();
  return { backend: rec.backend, model: rec.modelEntry.kind, ids: top.map((t) => t.item.id), scores: top.map((t) => t.score), leaked };
}
