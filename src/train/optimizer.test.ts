import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { GroupedAdam, setRate } from './optimizer.js';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('GroupedAdam', () => {
  it('steps the listed variables at their factor times the rate, follows the schedule, and leaks nothing', () => {
    const slow = tf.variable(tf.scalar(0), true, 'grouped-slow');
    const fast = tf.variable(tf.scalar(0), true, 'grouped-fast');
    const opt = new GroupedAdam(0.01, new Map([[fast.name, 30]]));
    // Adam's first step is lr · sign(gradient): -0.01 and -0.3 for a loss rising in both
    opt.minimize(() => slow.add(fast).mul(2) as tf.Scalar, false, [slow, fast]);
    expect(slow.dataSync()[0]).toBeCloseTo(-0.01, 5);
    expect(fast.dataSync()[0]).toBeCloseTo(-0.3, 4);
    setRate(opt, 0.001);
    expect(opt.learningRate).toBe(0.001);
    const before = [slow.dataSync()[0], fast.dataSync()[0]];
    const n = tf.memory().numTensors;
    opt.minimize(() => slow.add(fast).mul(2) as tf.Scalar, false, [slow, fast]);
    expect(tf.memory().numTensors).toBe(n);
    expect(before[0] - slow.dataSync()[0]).toBeCloseTo(0.001, 5);
    expect(before[1] - fast.dataSync()[0]).toBeCloseTo(0.03, 4);
    opt.dispose();
    tf.dispose([slow, fast]);
  });

  it('keeps one Adam state per factor: two groups step at their own rates, a factor of 1 is the main group', () => {
    const v = [0, 1, 2].map((i) => tf.variable(tf.scalar(0), true, `grouped-multi-${i}`));
    const opt = new GroupedAdam(0.01, new Map([[v[1].name, 8], [v[2].name, 1]]));
    opt.minimize(() => tf.addN(v).mul(2) as tf.Scalar, false, v);
    expect(v.map((x) => x.dataSync()[0])).toEqual([expect.closeTo(-0.01, 5), expect.closeTo(-0.08, 5), expect.closeTo(-0.01, 5)]);
    expect(() => new GroupedAdam(0.01, new Map([['x', 0]]))).toThrow(/positive/);
    opt.dispose();
    tf.dispose(v);
  });
});
