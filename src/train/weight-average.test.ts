import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { WeightAverage } from './weight-average.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const set = (v: tf.Variable, x: number[]): void => tf.tidy(() => v.assign(tf.tensor1d(x)));

describe('WeightAverage', () => {
  it('is the bias-corrected EMA of the values after each step, swapped in only inside with()', async () => {
    const v = tf.variable(tf.tensor1d([0, 10]));
    const avg = new WeightAverage([v], 0.5);
    const before = tf.memory().numTensors;
    set(v, [2, 10]);
    avg.update();
    set(v, [4, 20]);
    avg.update();
    // sums: 0.5·(0.5·[2,10]) + 0.5·[4,20] = [2.5, 12.5]; correction 1/(1 - 0.25) → [10/3, 50/3]
    const inside = await avg.with(async () => Array.from(await v.data()));
    expect(inside[0]).toBeCloseTo(10 / 3, 5);
    expect(inside[1]).toBeCloseTo(50 / 3, 5);
    expect(Array.from(await v.data())).toEqual([4, 20]);
    expect(tf.memory().numTensors).toBe(before);
    avg.dispose();
    v.dispose();
  });

  it('puts the trained weights back when the callback throws, and rejects a decay outside (0, 1)', async () => {
    const v = tf.variable(tf.tensor1d([1]));
    const avg = new WeightAverage([v], 0.9);
    avg.update();
    set(v, [5]);
    await expect(avg.with(async () => { throw new Error('boom'); })).rejects.toThrow('boom');
    expect(Array.from(await v.data())).toEqual([5]);
    expect(() => new WeightAverage([v], 1)).toThrow(/decay/);
    avg.dispose();
    v.dispose();
  });
});
