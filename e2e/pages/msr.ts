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

