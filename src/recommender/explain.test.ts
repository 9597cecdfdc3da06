import { describe, expect, it } from 'vitest';
import { contributions, EXPLAIN_BATCH, leaveOneOut } from './explain.js';

describe('leave-one-out explanations', () => {
  it('tries the newest distinct items, each left out wherever it occurs', () => {
    const { dropped, histories } = leaveOneOut(Int32Array.from([5, 1, 2, 1, 3]), 3);
    expect(dropped).toEqual([3, 1, 2]);
    expect(histories.map((h) => Array.from(h))).toEqual([
      [5, 1, 2, 1, 3],
      [5, 1, 2, 1],
      [5, 2, 3],
      [5, 1, 1, 3],
    ]);
    expect(leaveOneOut(new Int32Array(0)).histories).toHaveLength(1);
  });

  it('ranks contributors by how much the score drops without them, keeps only positive ones, top 3, ties to the newer item', async () => {
    // a score that is a sum over the history: item 30 pulls target 100 down, items 10 and 11 push it up alike
    const weight: Record<number, number> = { 10: 2, 11: 2, 12: 0.5, 13: 1, 30: -3, 31: 0 };
    const passes: number[] = [];
    const served = async (histories: Int32Array[], targets: number[]) => {
      passes.push(histories.length);
      return histories.map((h) => Float32Array.from(targets, (t) => (t === 100 ? h.reduce((a, i) => a + (weight[i] ?? 0), 0) : 7)));
    };
    const history = Int32Array.from([10, 30, 11, 12, 31, 13, 1, 2, 3, 4, 5, 6, 7]);
    const [a, b] = await contributions(history, [100, 200], served);
    expect(a.score).toBeCloseTo(2.5);
    expect(a.top.map((c) => c.id)).toEqual([11, 10, 13]); // 11 is newer than 10
    expect(a.top.map((c) => c.delta)).toEqual([2, 2, 1]);
    expect(b).toEqual({ score: 7, top: [] }); // a score no history item moves
    // the full history and 13 distinct items, in passes of EXPLAIN_BATCH
    expect(passes.reduce((x, y) => x + y, 0)).toBe(14);
    expect(Math.max(...passes)).toBeLessThanOrEqual(EXPLAIN_BATCH);
  });
});
