/** Served by Vite to molar.spec.ts: the Molar fixture bundle through the public Recommender. */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../src/config.js';
import { Recommender } from '../../src/recommender/index.js';

const BUNDLE = '/e2e/fixtures/molar-bundle/';

/** Top 10 (seen removed) for `history` on `backend`, and the tensors left after dispose. */
export async function molarTop(backend: BackendName, history: string[]) {
  const baseline = tf.memory().numTensors;
  const rec = await Recommender.load({ bundleUrl: BUNDLE, backend, namespace: `molar-${backend}` });
  await rec.clearHistory();
  for (const [i, itemId] of history.entries()) await rec.record({ itemId, ts: 1_000 + i });
  const top = await rec.recommend({ k: 10 });
  rec.dispose();
  return { backend: rec.backend, kind: rec.modelEntry.kind, ids: top.map((t) => t.item.id), scores: top.map((t) => t.score), leaked: tf.memory().numTensors - baseline };
}

/**
 * An item added after training with the same text as `twinOf` (encoded here, in the page): the
 * content model scores it natively, from its vector. Returns its score and the full ranking.
 */
export async function addedTwin(history: string[], twinOf: string) {
  const rec = await Recommender.load({ bundleUrl: BUNDLE, backend: 'wasm', namespace: 'molar-added' });
  await rec.clearHistory();
  for (const [i, itemId] of history.entries()) await rec.record({ itemId, ts: 1_000 + i });
  const src = rec.item(twinOf)!;
  await rec.addItems([{ id: 'twin-new', title: src.title, description: 'Roasted, floral oolong', attributes: { category: 'tea' } }]);
  const all = await rec.recommend({ k: rec.items.length });
  rec.dispose();
  return { ids: all.map((t) => t.item.id), scores: all.map((t) => t.score) };
}
