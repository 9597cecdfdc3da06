import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { leaveOneOut } from '../data/split.js';
import { evaluateSampled } from '../eval/sampled.js';
import { blockGrid, MsrModel } from '../models/msr/model.js';
import { resolveMsrConfig } from '../models/msr/config.js';
import { mulberry32 } from '../random.js';
import { functionScorer } from '../score/scorer.js';
import { firstStageZ, MsrReranker } from '../summary/rerank.js';
import { useNodeBackend } from './backend-node.js';
import { chooseWeight, trainMsr } from './msr.js';
import { rerankFold } from './msr-task.js';

const N = 40;
/** `users` users walking a ring of 40 items in small steps; item i's vector is its angle on the ring (and a noisy second copy). */
function ring(users = 120) {
  const rnd = mulberry32(3);
  const sequences = Array.from({ length: users }, () => {
    let it = 1 + Math.floor(rnd() * N);
    return Int32Array.from({ length: 10 + Math.floor(rnd() * 6) }, () => (it = 1 + ((it + (rnd() < 0.5 ? 0 : 1)) % N)));
  });
  const dim = 6;
  const vectors = new Float32Array((N + 1) * dim);
  for (let i = 1; i <= N; i++) {
    const a = (2 * Math.PI * i) / N;
    vectors.set([Math.cos(a), Math.sin(a), Math.cos(2 * a), Math.sin(2 * a), Math.cos(a) + 0.1 * rnd(), 0.1 * rnd()], i * dim);
  }
  return { sequences, split: leaveOneOut(sequences), vectors, dim };
}
/** a first stage that knows nothing of order: item popularity in the training prefixes */
function popularity(train: Int32Array[]) {
  const counts = new Float32Array(N + 1);
  for (const s of train) for (const i of s) counts[i]++;
  return functionScorer(async (h) => h.map(() => Float32Array.from(counts, (c, i) => (i === 0 ? -Infinity : Math.log(1 + c)))));
}

/**
 * A first stage that memorised its training targets, as one trained long on them does: popularity,
 * plus a large bonus on the item that followed this very history in the training prefixes. On a
 * training prefix it puts the target on top; on the whole prefix (validation, test) it is popularity.
 */
function memoriser(train: Int32Array[]) {
  const pop = popularity(train);
  const next = new Map<string, Set<number>>();
  for (const s of train) for (let t = 1; t < s.length; t++) next.set(s.subarray(0, t).join(','), (next.get(s.subarray(0, t).join(',')) ?? new Set()).add(s[t]));
  return functionScorer(async (hs) => {
    const rows = await pop.score(hs);
    return rows.map((r, i) => {
      for (const id of next.get(hs[i].join(',')) ?? []) r[id] += 8;
      return r;
    });
  });
}

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('blockGrid', () => {
  it('keeps blocks in place from the start of each history, the newest last, at most maxBlocks', () => {
    const g = blockGrid([Int32Array.from([1, 2, 3, 4, 5, 6, 7]), Int32Array.from([9])], 3, 2);
    // history 1: blocks [1 2 3] [4 5 6] [7]: the last two kept; history 2: [9] right-aligned
    expect(g.K).toBe(2);
    expect([...g.grid]).toEqual([4, 5, 6, 7, 0, 0, /* user 2 */ 0, 0, 0, 9, 0, 0]);
  });
});

describe('firstStageZ', () => {
  it('standardises a score row over the catalog by hand, padding and -Infinity left at the floor', () => {
    // ids 1..3 score 1, 2, 3: mean 2, deviation sqrt(2/3)
    const z = firstStageZ(Float32Array.from([-Infinity, 1, 2, 3, -Infinity]));
    expect(z[2]).toBeCloseTo(0, 6);
    expect(z[3]).toBeCloseTo(1 / Math.sqrt(2 / 3), 6);
    expect(z[1]).toBeCloseTo(-1 / Math.sqrt(2 / 3), 6);
    expect(z[4]).toBe(-30);
    expect([...firstStageZ(Float32Array.from([0, 5, 5]))].slice(1)).toEqual([0, 0]);
  });
});

describe('MsrModel', () => {
  it('an empty block leaves the state as it was, and scoring leaves no tensor behind', async () => {
    const { vectors, dim } = ring();
    const m = new MsrModel(resolveMsrConfig({ numItems: N, itemDim: dim, hidden: 8, rerankHidden: 8 }), vectors);
    const [a, b] = [m.summaryStates([Int32Array.from([1, 2, 3])]), m.summaryStates([Int32Array.from([1, 2, 3]), Int32Array.from([4, 5, 6, 7, 8, 9, 10])])];
    // history 1 in a batch whose K is 3: two empty blocks before it change nothing
    const [av, bv] = [await a.data(), await b.data()];
    for (let j = 0; j < 8; j++) expect(bv[j]).toBeCloseTo(av[j], 5);
    // and a different history gives a different state
    expect(Math.max(...Array.from({ length: 8 }, (_, j) => Math.abs(bv[8 + j] - av[j])))).toBeGreaterThan(1e-3);
    tf.dispose([a, b]);
    const before = tf.memory().numTensors;
    await m.rerankScores([Int32Array.from([1, 2])], [Int32Array.from([3, 4, 5])], [Float32Array.from([-1, -2, -3])], [Float32Array.from([1, 0, -1])]);
    expect(tf.memory().numTensors).toBe(before);
    m.dispose();
  });
});

describe('trainMsr', () => {
  it('trains stages 2 + 3 in the shared loop, reports both loss parts, and the re-ranker beats its first stage on the sampled protocol', async () => {
    const { sequences, split, vectors, dim } = ring();
    const first = popularity(split.train);
    const before = tf.memory().numTensors;
    const r = await trainMsr({ split, sequences, numItems: N, vectors, itemDim: dim, firstStage: first, config: { hidden: 16, rerankHidden: 16 }, train: { maxEpochs: 12, patience: 12, batchSize: 32, learningRate: 1e-2, sampleSize: 40, hardDepth: 10 } });
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(r.history[0].parts ?? {}).sort()).toEqual(['next', 'rerank']);
    // stage 2 alone, as a next-item model: far above chance (NDCG@10 of a random ranking of 40 is about 0.1)
    expect(r.bestValid!['ndcg@10']).toBeGreaterThan(0.3);
    expect(r.history.at(-1)!.parts!.rerank).toBeLessThan(r.history[0].parts!.rerank);
    expect(Object.keys(r.valid).map(Number).sort()).toEqual([0, 0.25, 0.5, 0.75, 1]);
    expect(r.weight).toBeGreaterThan(0);
    // test split, never seen in training or in the weight choice
    const model = new MsrModel(r.config, vectors);
    model.setWeights(r.weights.specs, r.weights.data);
    const reranker = new MsrReranker(model, r.weight);
    const plain = await evaluateSampled(first, split, sequences, N, { negatives: 20 });
    const re = await evaluateSampled(first, split, sequences, N, { negatives: 20, reranker });
    expect(re.metrics['ndcg@5']).toBeGreaterThan(plain.metrics['ndcg@5'] + 0.2);
    expect(re.metrics.auc).toBeGreaterThan(plain.metrics.auc);
    reranker.dispose();
  }, 120_000);

  it('valid-fold: over a first stage that memorised its training targets, stage 3 trains on scores as it sees them at serving, and the held-out users do better than with train-prefix', async () => {
    const { sequences, split, vectors, dim } = ring(240);
    const first = memoriser(split.train);
    const opts = { split, sequences, numItems: N, vectors, itemDim: dim, firstStage: first, config: { hidden: 16, rerankHidden: 16 } };
    const knobs = { maxEpochs: 12, patience: 12, batchSize: 32, learningRate: 1e-2, sampleSize: 40, hardDepth: 10 };
    const [leak, fix] = [await trainMsr({ ...opts, train: { ...knobs, rerankExamples: 'train-prefix' } }), await trainMsr({ ...opts, train: { ...knobs, rerankExamples: 'valid-fold' } })];
    const heldOut = rerankFold(split.valid, 0.75, 42).heldOut;
    // the leak: the first stage ranks the training-prefix targets first, the held-out valid ones far lower
    expect(leak.firstStageFit.examples['ndcg@10']).toBeGreaterThan(0.95);
    expect(leak.firstStageFit.heldOut['ndcg@10']).toBeLessThan(0.5);
    // out of sample: about as good on stage 3's examples as on the held-out users
    expect(Math.abs(fix.firstStageFit.examples['ndcg@10'] - fix.firstStageFit.heldOut['ndcg@10'])).toBeLessThan(0.15);
    // the weight is chosen on the held-out users only (train-prefix: on everyone, the held-out part reported beside it)
    expect(fix.validUsers).toEqual({ chosen: heldOut.length, heldOut: heldOut.length });
    expect(fix.valid).toEqual(fix.validHeldOut);
    expect(leak.validUsers.chosen).toBe(split.valid.filter((t) => t !== 0).length);
    // the same held-out users, the re-ranker at full weight: the fixed one learnt what transfers
    expect(fix.validHeldOut['1']['ndcg@5']).toBeGreaterThan(leak.validHeldOut['1']['ndcg@5'] + 0.1);
    const best = (r: typeof fix) => Math.max(...Object.values(r.validHeldOut).map((v) => v['ndcg@5']));
    expect(best(fix)).toBeGreaterThan(best(leak));
  }, 120_000);

  it('chooses the best sampled NDCG@5 among weights no worse than the first stage on full ranking', () => {
    const v = (n5: number, n10: number) => ({ auc: 0, 'ndcg@5': n5, 'ndcg@10': n10 });
    expect(chooseWeight({ '0': v(0.1, 0.2), '0.5': v(0.3, 0.21), '1': v(0.4, 0.19) })).toBe(0.5);
    expect(chooseWeight({ '0': v(0.1, 0.2), '1': v(0.4, 0.1) })).toBe(0);
  });
});
