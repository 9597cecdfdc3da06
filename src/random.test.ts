import { describe, expect, it } from 'vitest';
import { mulberry32, shuffleInPlace } from './random.js';

describe('shuffleInPlace', () => {
  it('permutes in place, the same order for the same seed, arrays and typed arrays alike', () => {
    const a = Array.from({ length: 50 }, (_, i) => i);
    const t = Int32Array.from(a);
    expect(shuffleInPlace(a, mulberry32(7))).toBe(a);
    shuffleInPlace(t, mulberry32(7));
    expect(Array.from(t)).toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(a).not.toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect(shuffleInPlace(Array.from({ length: 50 }, (_, i) => i), mulberry32(8))).not.toEqual(a);
  });

  it('draws once per position from the end: two items swap exactly when the one draw is below 1/2', () => {
    const draws = [0.49, 0.5];
    expect(shuffleInPlace(['a', 'b'], () => draws[0])).toEqual(['b', 'a']);
    expect(shuffleInPlace(['a', 'b'], () => draws[1])).toEqual(['a', 'b']);
    let n = 0;
    shuffleInPlace([1, 2, 3, 4], () => (n++, 0.3));
    expect(n).toBe(3);
  });
});
