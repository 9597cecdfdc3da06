import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { infoNce } from './molar-losses.js';

describe('infoNce', () => {
  it('matches the value written out by hand for two pairs', () => {
    // unit rows: a0 = b0 = e1, a1 = e2, b1 = (e1 + e2)/√2; τ = 0.5
    const a = tf.tensor2d([[1, 0], [0, 1]]);
    const b = tf.tensor2d([[1, 0], [Math.SQRT1_2, Math.SQRT1_2]]);
    const s = [[1, Math.SQRT1_2], [0, Math.SQRT1_2]].map((r) => r.map((x) => x / 0.5)); // cos(a_i, b_j) / τ
    const ce = (row: number[], i: number) => Math.log(row.reduce((t, x) => t + Math.exp(x), 0)) - row[i];
    const ab = (ce(s[0], 0) + ce(s[1], 1)) / 2;
    const ba = (ce([s[0][0], s[1][0]], 0) + ce([s[0][1], s[1][1]], 1)) / 2;
    expect(infoNce(a, b, 0.5).dataSync()[0]).toBeCloseTo((ab + ba) / 2, 5);
    tf.dispose([a, b]);
  });

  it('a masked row is neither anchor nor negative', () => {
    const a = tf.tensor2d([[1, 0], [0, 1], [5, 5]]);
    const b = tf.tensor2d([[1, 0], [0.6, 0.8], [-3, 1]]);
    const full = infoNce(a.slice([0, 0], [2, 2]), b.slice([0, 0], [2, 2]), 0.2).dataSync()[0];
    expect(infoNce(a, b, 0.2, tf.tensor1d([1, 1, 0])).dataSync()[0]).toBeCloseTo(full, 5);
  });

  it('its gradient pulls each pair together: one step raises the positive cosines', () => {
    const a = tf.variable(tf.tensor2d([[1, 0.2], [0.1, 1], [0.5, -1]]));
    const b = tf.tensor2d([[0.3, 1], [1, 0.1], [-1, 0.4]]);
    const cos = () => tf.tidy(() => tf.sum(a.div(tf.norm(a, 2, 1, true)).mul(b.div(tf.norm(b, 2, 1, true))), 1).arraySync() as number[]);
    const before = cos();
    const before0 = infoNce(a, b, 0.1).dataSync()[0];
    const opt = tf.train.sgd(0.05);
    const mem = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) opt.minimize(() => infoNce(a, b, 0.1), false, [a]);
    expect(tf.memory().numTensors).toBe(mem);
    const after = cos();
    after.forEach((c, i) => expect(c).toBeGreaterThan(before[i]));
    expect(infoNce(a, b, 0.1).dataSync()[0]).toBeLessThan(before0);
  });
});
