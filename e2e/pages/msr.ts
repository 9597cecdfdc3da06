/** Served by Vite to msr.spec.ts: the MLLM-MSR fixture bundle (first stage + re-ranker) through the public Recommender. */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../src/config.js';
import { Recommender } from '../../src/recommender/index.js';

const BUNDLE = '/e2e/fixtures/msr-bundle/';

/** Top 10 (seen removed) for `history` on `backend` with the bundle's re-ranker at weight 1, the preference summary, and the tensors left after dispose. */
export async function msrTop(backend: BackendName, history: string[]) {
  const baseline = tf.memory().numTensors;
  const rec = await Recommender.load({ bundleUrl: BUNDLE, backend, namespace: `msr-${backend}`, config: { summary: { weight: 1 } } });
  await rec.clearHistory();
  for (const [i, itemId] of history.entries()) await rec.record({ itemId, ts: 1_000 + i });
  const top = await rec.recommend({ k: 10 });
  const summary = await rec.preferenceSummary();
  rec.dispose();
  return { backend: rec.backend, kind: rec.modelEntry.kind, ids: top.map((t) => t.item.id), scores: top.map((t) => t.score), summary: summary?.text ?? null, leaked: tf.memory().numTensors - baseline };
}


/**
 * The re-ranked top 10 on webgl, then the WebGL context lost (WEBGL_lose_context) between two
 * recommend() calls: the Recommender moves to wasm and rebuilds the bundle's re-ranker with the
 * scorer. Returns both rankings and the backend after.
 */
export async function msrAfterLoss(history: string[]) {
  const { loseDeviceForTesting } = await import('../../src/runtime/backend.js');
  const rec = await Recommender.load({ bundleUrl: BUNDLE, backend: 'auto', namespace: 'msr-loss', config: { runtime: { fallbackOrder: ['webgl', 'wasm'], pick: 'first' }, summary: { weight: 1 } } });
  await rec.clearHistory();
  for (const [i, itemId] of history.entries()) await rec.record({ itemId, ts: 1_000 + i });
  const before = { backend: rec.backend, ids: (await rec.recommend({ k: 10 })).map((t) => t.item.id) };
  const lost = await loseDeviceForTesting();
  await new Promise((r) => setTimeout(r, 50));
  const after = { backend: '', ids: (await rec.recommend({ k: 10 })).map((t) => t.item.id) };
  after.backend = rec.backend;
  const summary = (await rec.preferenceSummary())?.text ?? null;
  rec.dispose();
  return { before, after, lost, summary };
}
