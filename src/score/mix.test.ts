import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { logSoftmax, mixLogProbs, mixScores } from './mix.js';

describe('mixScores', () => {
  it('mixes log-probabilities, not raw logits, and leaves padding out', () => {
    const content = Float32Array.from([-Infinity, 0, Math.log(3)]); // p = 1/4, 3/4
    const id = Float32Array.from([-Infinity, 100, 100 + Math.log(1 / 3)]); // p = 3/4, 1/4, on a far larger scale
    const m = mixScores(content, id, 0.5);
    expect(m[0]).toBe(-Infinity);
    expect(m[1]).toBeCloseTo(0.5 * Math.log(1 / 4) + 0.5 * Math.log(3 / 4), 5);
    expect(m[2]).toBeCloseTo(m[1], 5); // equal evidence each way: a tie, whatever the logit scales
    expect(Array.from(mixScores(content, id, 1))).toEqual(Array.from(logSoftmax(content)));
    expect(mixScores(content, id, 0)[1]).toBeCloseTo(Math.log(3 / 4), 5);
  });

  it('ranks items the ID model does not know by content alone', () => {
    const content = Float32Array.from([-Infinity, 1, 2, 3]);
    const id = Float32Array.from([-Infinity, 5, 0]); // knows ids 1, 2 only
    const m = mixScores(content, id, 0.3);
    expect(m[3]).toBeCloseTo(logSoftmax(content)[3], 6);
  });

  it('equals the mix of the two log-softmaxed rows exactly (what validation chose the weight on, train/molar.ts)', () => {
    const rnd = mulberry32(5);
    const row = (n: number, scale: number) => Float32Array.from({ length: n }, (_, i) => (i === 0 ? -Infinity : (rnd() - 0.5) * scale));
    for (const [w, n, m] of [[0.25, 1000, 1000], [0.7, 500, 480], [0, 64, 64]] as const) {
      const content = row(n, 20);
      const id = row(m, 300);
      expect(Array.from(mixScores(content, id, w))).toEqual(Array.from(mixLogProbs(logSoftmax(content), logSoftmax(id), w)));
    }
  });
});
