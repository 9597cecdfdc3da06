/**
 * Served by Vite to bench/msr-timing.ts: MLLM-MSR's default stage 2 (one summary step) and stage 3
 * (one re-ranked list) timed in the page on one tfjs backend, first call and warm.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../src/config.js';
import { resolveMsrConfig } from '../../src/models/msr/config.js';
import { MsrModel } from '../../src/models/msr/model.js';
import { mulberry32 } from '../../src/random.js';
import { Recommender } from '../../src/recommender/index.js';
import { time, type Timing } from './timing.js';
import { selectBackend } from '../../src/runtime/backend.js';
import { MsrReranker } from '../../src/summary/rerank.js';

const FIXTURE = '/e2e/fixtures/msr-bundle/';
const HISTORY = ['tea-green', 'mug-white', 'tea-black', 'strainer', 'honey', 'mug-blue', 'tea-oolong'];

export type { Timing };

/**
 * A catalog-sized model with the fixture's architecture (hidden 64, blocks of 3, window 16, re-ranker
 * 64) and random weights, which cost what trained ones do: one summary step (16 window chains
 * stepped by a completed block, then the read with a partial block), the state from scratch over the
 * whole window (what each call cost before the state was kept), and one re-ranked list of `depth`.
 */
export async function synthetic(backend: BackendName, o: { numItems: number; itemDim: number; depth: number; warm: number }) {
  const report = await selectBackend(backend, undefined);
  const before = tf.memory().numTensors;
  const rnd = mulberry32(7);
  const vectors = Float32Array.from({ length: (o.numItems + 1) * o.itemDim }, (_, i) => (i < o.itemDim ? 0 : rnd() - 0.5));
  const config = resolveMsrConfig({ numItems: o.numItems, itemDim: o.itemDim, hidden: 64, blockSize: 3, maxBlocks: 16, rerankHidden: 64 });
  const model = new MsrModel(config, vectors);
  const id = () => 1 + Math.floor(rnd() * o.numItems);
  const history = Int32Array.from({ length: 16 * 3 + 1 }, id);
  const block = Int32Array.from({ length: 3 }, id);
  // what 16 kept chains hold (any values: the step's work does not depend on them)
  const chains = Float32Array.from({ length: 16 * 64 }, () => rnd() - 0.5);
  const step = await time(() => model.stepSummary(chains, 16, [block], history.subarray(48)), o.warm);
  const scratch = await time(async () => {
    const t = model.summaryStates([history]);
    await t.data();
    t.dispose();
  }, o.warm);
  const reranker = new MsrReranker(model, 0.5);
  const scores = Float32Array.from({ length: o.numItems + 1 }, (_, i) => (i === 0 ? -Infinity : rnd() * 4));
  const candidates = Array.from({ length: o.depth }, () => id()).filter((x, i, a) => a.indexOf(x) === i).map((c) => ({ id: c, score: scores[c] }));
  const list = await time(() => reranker.rerank(candidates, { history, items: [], k: 10, scores }), o.warm);
  reranker.dispose();
  return { backend: report.backend, step, scratch, list, candidates: candidates.length, leaked: tf.memory().numTensors - before };
}

/** The fixture bundle through the public Recommender: recommend() with its re-ranker and the kept summary state, and explainMany() of the list. */
export async function fixture(backend: BackendName, o: { warm: number }) {
  const rec = await Recommender.load({ bundleUrl: FIXTURE, backend, namespace: `bench-msr-${backend}-${Date.now()}`, config: { summary: { weight: 1 } } });
  for (const [i, itemId] of HISTORY.entries()) await rec.record({ itemId, ts: 1_000 + i });
  // first: the kept state is made (2 blocks); warm: read from it, one partial block stepped per call
  const recommend = await time(() => rec.recommend({ k: 10 }), o.warm);
  const ids = (await rec.recommend({ k: 10 })).map((r) => r.item.id);
  const explain = await time(() => rec.explainMany(ids), Math.min(o.warm, 5));
  const out = { backend: rec.backend, kind: rec.modelEntry.kind, recommend, explain, listed: ids.length, history: HISTORY.length };
  rec.dispose();
  return out;
}
