import { describe, expect, it } from 'vitest';
import { leaveOneOut } from '../data/split.js';
import { evaluate } from './evaluate.js';
import { MetricAccumulator, ndcgAt, rankOf, recallAt, reciprocalRank } from './metrics.js';

describe('rankOf', () => {
  it('counts strictly greater scores, ignores id 0 and excluded ids', () => {
    const s = Float32Array.from([99, 0.5, 0.9, 0.5, 0.1]);
    expect(rankOf(s, 1)).toBe(2); // only id 2 (0.9) is strictly above; the tie with id 3 does not count
    expect(rankOf(s, 3)).toBe(2);
    expect(rankOf(s, 4)).toBe(4);
    expect(rankOf(s, 4, new Set([2]))).toBe(3);
    expect(rankOf(Float32Array.from([0, NaN, 1]), 1)).toBe(Infinity);
  });
});

describe('metrics on a hand-computed 4-user case', () => {
  // ranks of the target for four users: 1, 3, 12, 25
  const ranks = [1, 3, 12, 25];
  it('per-user terms', () => {
    expect(ndcgAt(1, 10)).toBe(1); // 1/log2(2)
    expect(ndcgAt(3, 10)).toBeCloseTo(1 / Math.log2(4), 12); // 0.5
    expect(ndcgAt(12, 10)).toBe(0);
    expect(ndcgAt(12, 20)).toBeCloseTo(1 / Math.log2(13), 12); // 0.270238…
    expect(recallAt(12, 10)).toBe(0);
    expect(recallAt(12, 20)).toBe(1);
    expect(reciprocalRank(25)).toBe(0.04);
  });
  it('means', () => {
    const acc = new MetricAccumulator([10, 20]);
    for (const r of ranks) acc.add(r);
    const m = acc.means();
    expect(m['ndcg@10']).toBeCloseTo((1 / Math.log2(2) + 1 / Math.log2(4) + 0 + 0) / 4, 12); // 0.375
    expect(m['ndcg@10']).toBeCloseTo(0.375, 12);
    expect(m['ndcg@20']).toBeCloseTo((1 + 0.5 + 1 / Math.log2(13) + 0) / 4, 12); // 0.4425595…
    expect(m['recall@10']).toBe(0.5);
    expect(m['recall@20']).toBe(0.75);
    expect(m.mrr).toBeCloseTo((1 + 1 / 3 + 1 / 12 + 1 / 25) / 4, 12);
    expect(acc.count).toBe(4);
  });
});

describe('evaluate', () => {
  // 5 items; user 0: 1 2 3 | valid 4 | test 5 ; user 1: too short (skipped)
  const sequences = [Int32Array.from([1, 2, 3, 4, 5]), Int32Array.from([1, 2])];
  const split = leaveOneOut(sequences);
  // a scorer preferring low ids: score(i) = -i, so ranks are the ids themselves
  const lowIds = async (h: Int32Array[]) => h.map(() => Float32Array.from({ length: 6 }, (_, i) => (i === 0 ? 1e9 : -i)));

  it('test split with filterSeen: history 1..4 removed, target 5 ranks 1st', async () => {
    const seenHistories: number[][] = [];
    const scorer = async (h: Int32Array[]) => {
      seenHistories.push(...h.map((x) => [...x]));
      return lowIds(h);
    };
    const r = await evaluate({ score: scorer }, split, sequences, { split: 'test', ks: [1, 2] });
    expect(seenHistories).toEqual([[1, 2, 3, 4]]);
    expect(r).toMatchObject({ split: 'test', filterSeen: true, users: 1, ks: [1, 2] });
    expect(r.metrics['ndcg@1']).toBe(1);
  });
  it('test split keeping seen items: target 5 ranks 5th', async () => {
    const r = await evaluate({ score: lowIds }, split, sequences, { split: 'test', ks: [5], filterSeen: false });
    expect(r.filterSeen).toBe(false);
    expect(r.metrics['ndcg@5']).toBeCloseTo(1 / Math.log2(6), 12);
    expect(r.metrics.mrr).toBeCloseTo(0.2, 12);
  });
  it('valid split uses the train prefix: target 4 ranks 1st after removing 1..3', async () => {
    const r = await evaluate({ score: lowIds }, split, sequences, { split: 'valid', ks: [1] });
    expect(r.metrics['recall@1']).toBe(1);
    const kept = await evaluate({ score: lowIds }, split, sequences, { split: 'valid', ks: [3], filterSeen: false });
    expect(kept.metrics['recall@3']).toBe(0);
  });
  it('maxUsers spreads the subset over the whole user list, not the first n', async () => {
    // 10 users; user u's history starts with item u+1, so the scorer can tell who it was given
    const seqs = Array.from({ length: 10 }, (_, u) => Int32Array.from([u + 1, 20, 21, 22]));
    const seen: number[] = [];
    const scorer = async (h: Int32Array[]) => h.map((x) => (seen.push(x[0] - 1), new Float32Array(23)));
    const r = await evaluate({ score: scorer }, leaveOneOut(seqs), seqs, { split: 'test', ks: [1], maxUsers: 4 });
    expect(r.users).toBe(4);
    expect(seen).toEqual([0, 2, 5, 7]);
    seen.length = 0;
    await evaluate({ score: scorer }, leaveOneOut(seqs), seqs, { split: 'test', ks: [1], maxUsers: 50 });
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
  it('scores users in batches of similar history length, with the same figures as one user at a time', async () => {
    // lengths 8, 3, 8, 3, 5, 3: a batch pads to its longest, so mixing lengths wastes the short rows' work
    const lens = [8, 3, 8, 3, 5, 3];
    const seqs = lens.map((n, u) => Int32Array.from({ length: n }, (_, t) => 1 + ((u * 7 + t * 3) % 29)));
    const batchLens: number[][] = [];
    const scorer = async (h: Int32Array[]) => (batchLens.push(h.map((x) => x.length)), h.map((x) => Float32Array.from({ length: 30 }, (_, i) => (i === 0 ? -Infinity : Math.sin(i * x.length + x[0])))));
    const batched = await evaluate({ score: scorer }, leaveOneOut(seqs), seqs, { split: 'test', ks: [5, 10], batchSize: 2 });
    expect(batchLens).toEqual([[2, 2], [2, 4], [7, 7]]);
    const single = await evaluate({ score: scorer }, leaveOneOut(seqs), seqs, { split: 'test', ks: [5, 10], batchSize: 1 });
    for (const [k, v] of Object.entries(single.metrics)) expect(batched.metrics[k]).toBeCloseTo(v, 12);
    expect(batched.users).toBe(6);
  });
  it('a target inside the history is a miss under filterSeen', async () => {
    const seqs = [Int32Array.from([1, 2, 1])];
    const r = await evaluate({ score: lowIds }, leaveOneOut(seqs), seqs, { ks: [10] });
    expect(r.metrics['recall@10']).toBe(0);
  });
});
