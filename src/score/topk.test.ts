import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { dotTopK, vectorTopK } from './topk.js';

function bruteForce(items: number[][], user: number[], k: number, exclude: number[]) {
  return items
    .map((row, id) => [id, row.reduce((s, v, j) => s + v * user[j], 0)] as [number, number])
    .filter(([id]) => id !== 0 && !exclude.includes(id))
    .sort((a, b) => b[1] - a[1] || a[0] - b[0])
    .slice(0, k);
}

describe('score/topk', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('matches a brute-force ranking across several tiles, with exclusions', async () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 2 - 1;
    const items = Array.from({ length: 53 }, () => Array.from({ length: 8 }, rnd));
    const user = Array.from({ length: 8 }, rnd);
    const exclude = [3, 17, 40];
    const expected = bruteForce(items, user, 10, exclude);
    const t = tf.tensor2d(items);
    const got = await dotTopK(t, Float32Array.from(user), 10, exclude, { tileSize: 16 });
    t.dispose();
    expect(Array.from(got.ids)).toEqual(expected.map((e) => e[0]));
    got.scores.forEach((s, i) => expect(s).toBeCloseTo(expected[i][1], 5));
  });

  it('never returns padding id 0 even when it scores best', async () => {
    const got = await vectorTopK(Float32Array.from([100, 1, 3, 2]), 2);
    expect(Array.from(got.ids)).toEqual([2, 3]);
  });

  it('returns fewer than k when exclusions leave fewer items', async () => {
    const got = await vectorTopK(Float32Array.from([0, 1, 3, 2]), 5, [2]);
    expect(Array.from(got.ids)).toEqual([3, 1]);
  });

  it('leaks no tensors', async () => {
    const t = tf.randomNormal([100, 4]) as tf.Tensor2D;
    await dotTopK(t, new Float32Array(4).fill(1), 5, [], { tileSize: 32 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await dotTopK(t, new Float32Array(4).fill(1), 5, [1], { tileSize: 32 });
    await vectorTopK(new Float32Array(50).fill(1), 5);
    expect(tf.memory().numTensors).toBe(before);
    t.dispose();
  });
});
