import { describe, expect, it } from 'vitest';
import { selectTopK } from './select.js';

/** The reference: sort every eligible id by (score desc, id asc) and keep k. */
function bySort(scores: Float32Array, k: number, excluded: Set<number>) {
  const ids = Array.from(scores.keys()).filter((i) => !excluded.has(i) && !Number.isNaN(scores[i]));
  ids.sort((a, b) => scores[b] - scores[a] || a - b);
  return ids.slice(0, k);
}

describe('score/select', () => {
  it('matches a full sort on random rows with many ties and exclusions, for k from 1 past N', () => {
    let seed = 11;
    const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
    for (const n of [1, 7, 100, 5000]) {
      // scores on a coarse grid, so ties are common and the id order among them is tested
      const scores = Float32Array.from({ length: n }, () => Math.floor(rnd() * 20) - 10);
      const excluded = new Set([0, ...Array.from({ length: Math.ceil(n / 10) }, () => Math.floor(rnd() * n))]);
      for (const k of [1, 3, 10, 50, n + 5]) {
        const got = selectTopK(scores, k, excluded);
        const want = bySort(scores, k, excluded);
        expect(Array.from(got.ids), `n=${n} k=${k}`).toEqual(want);
        expect(Array.from(got.scores)).toEqual(want.map((i) => scores[i]));
      }
    }
  });

  it('skips NaN and keeps -Infinity last', () => {
    const got = selectTopK(Float32Array.from([-Infinity, NaN, 2, -Infinity, 5]), 4, new Set([0]));
    expect(Array.from(got.ids)).toEqual([4, 2, 3]);
  });
});
