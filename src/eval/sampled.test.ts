import { describe, expect, it } from 'vitest';
import { leaveOneOut } from '../data/split.js';
import { mulberry32 } from '../random.js';
import type { Reranker } from '../score/rerank.js';
import { functionScorer } from '../score/scorer.js';
import { evaluate } from './evaluate.js';
import { rerankedScorer, topCandidates } from './reranked.js';
import { candidateRank, evaluateSampled, sampledCandidates, sampleNegatives } from './sampled.js';

const N = 23;
// three users of 3 events on 23 items: each leaves exactly 20 items unseen, so the 20 negatives are those 20
const sequences = [Int32Array.from([1, 2, 3]), Int32Array.from([4, 5, 20]), Int32Array.from([10, 11, 12])];
const split = leaveOneOut(sequences);
/** scores each item by its id: the higher id wins */
const byId = functionScorer(async (h) => h.map(() => Float32Array.from({ length: N + 1 }, (_, i) => (i === 0 ? -Infinity : i))));
const reverse: Reranker = { name: 'reverse', rerank: (c) => [...c].reverse() };

describe('candidateRank', () => {
  it('ranks the target (index 0) and counts AUC by hand', () => {
    expect(candidateRank([0.5, 0.9, 0.1, 0.3])).toEqual({ rank: 2, auc: 2 / 3 });
    // ties go to the target's rank and count one half in AUC
    expect(candidateRank([0.5, 0.5, 0.5, 0.1])).toEqual({ rank: 1, auc: (1 + 0.5 + 0.5) / 3 });
    expect(candidateRank([1, 1, 1])).toEqual({ rank: 1, auc: 0.5 });
    expect(candidateRank([NaN, 0, 1])).toEqual({ rank: Infinity, auc: 0 });
  });
});

describe('sampleNegatives', () => {
  it('draws distinct ids outside the excluded set, the same for the same seed', () => {
    const ex = new Set([1, 2, 3]);
    const a = sampleNegatives(1000, ex, 20, mulberry32(7));
    expect(new Set(a).size).toBe(20);
    for (const i of a) expect(i >= 4 && i <= 1000).toBe(true);
    expect([...sampleNegatives(1000, ex, 20, mulberry32(7))]).toEqual([...a]);
    expect([...sampleNegatives(1000, ex, 20, mulberry32(8))]).not.toEqual([...a]);
    // a crowded catalog takes what is left
    expect([...sampleNegatives(5, new Set([1, 2, 3]), 20, mulberry32(1))].sort()).toEqual([4, 5]);
  });
  it('candidates are the target then negatives outside the whole sequence, fixed by (seed, user)', () => {
    const c = sampledCandidates(0, 3, sequences[0], N, 20, 42);
    expect(c[0]).toBe(3);
    expect([...c.slice(1)].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i + 4));
    expect([...sampledCandidates(5, 9, Int32Array.from([9]), 500, 20, 42)]).toEqual([...sampledCandidates(5, 9, Int32Array.from([9]), 500, 20, 42)]);
    expect([...sampledCandidates(5, 9, Int32Array.from([9]), 500, 20, 42)]).not.toEqual([...sampledCandidates(6, 9, Int32Array.from([9]), 500, 20, 42)]);
  });
});

describe('evaluateSampled', () => {
  it('scores the by-id scorer as counted by hand', async () => {
    // targets 3, 20, 12; unseen items: user 0: 4..23, user 1: all but 4, 5, 20, user 2: all but 10, 11, 12
    // ranks = 1 + unseen ids above the target: user 0: 20 above 3 -> 21; user 1: 21, 22, 23 -> 4; user 2: 13..23 -> 12
    const r = await evaluateSampled(byId, split, sequences, N, { negatives: 20 });
    expect(r.users).toBe(3);
    const auc = (0 / 20 + 17 / 20 + 9 / 20) / 3;
    expect(r.metrics.auc).toBeCloseTo(auc, 12);
    expect(r.metrics['hr@5']).toBeCloseTo(1 / 3, 12); // only rank 4 is in the top 5
    expect(r.metrics['ndcg@5']).toBeCloseTo(1 / Math.log2(5) / 3, 12);
  });
  it('a re-ranker that reverses the candidates turns every rank around', async () => {
    // reversed: rank = 1 + unseen ids below the target: 1, 18, 10
    const r = await evaluateSampled(byId, split, sequences, N, { negatives: 20, reranker: reverse });
    expect(r.metrics.auc).toBeCloseTo((20 / 20 + 3 / 20 + 11 / 20) / 3, 12);
    expect(r.metrics['hr@5']).toBeCloseTo(1 / 3, 12);
    expect(r.metrics['ndcg@5']).toBeCloseTo(1 / 3, 12);
  });
  it('the same users and candidates whatever the batch size', async () => {
    const a = await evaluateSampled(byId, split, sequences, N, { batchSize: 1, negatives: 5, seed: 3 });
    const b = await evaluateSampled(byId, split, sequences, N, { batchSize: 64, negatives: 5, seed: 3 });
    expect(a.metrics).toEqual(b.metrics);
  });
});

describe('rerankedScorer', () => {
  it('puts the re-ranked top N first in its order over a full ranking, seen items left out', async () => {
    const [row] = await rerankedScorer(byId, reverse, { depth: 3 }).score([Int32Array.from([23])]);
    // top 3 without the seen 23: 22, 21, 20, reversed; the rest keep their order below
    expect(topCandidates(row, 5, new Set([23])).map((c) => c.id)).toEqual([20, 21, 22, 19, 18]);
    // user 1's test history is 4, 5 and its target 20: 4th by id, 1st once the top 4 are reversed
    const plain = await evaluate(byId, { ...split, test: Int32Array.from([0, 20, 0]) }, sequences, { ks: [1, 5] });
    const re = await evaluate(rerankedScorer(byId, reverse, { depth: 4 }), { ...split, test: Int32Array.from([0, 20, 0]) }, sequences, { ks: [1, 5] });
    expect(plain.metrics['ndcg@5']).toBeCloseTo(1 / Math.log2(5), 12);
    expect(re.metrics['recall@1']).toBe(1);
  });
});
