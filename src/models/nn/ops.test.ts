import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, describe, expect, it } from 'vitest';
import { logSumExpRows, mm } from './ops.js';

// rows: ordinary, large (overflow in a naive exp), masked entries (-1e9) and one dominant logit
const X = [
  [0.3, -1.2, 2.5, 0],
  [900, 901, 899.5, 880],
  [1, -1e9, -1e9, 0.5],
  [40, -3, -2, -1],
];
const refLse = X.map((r) => {
  const m = Math.max(...r);
  return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
});

for (const backend of ['cpu', 'wasm']) {
  describe(`ops on ${backend}`, () => {
    it('logSumExpRows matches log Σ exp and its gradient is the softmax times dy', async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      const x = tf.tensor2d(X);
      const lse = logSumExpRows(x).arraySync() as number[];
      lse.forEach((v, i) => expect(v).toBeCloseTo(refLse[i], 4));
      const w = tf.tensor1d([1, -2, 0.5, 3]);
      const g = tf.grad((t: tf.Tensor) => logSumExpRows(t as tf.Tensor2D).mul(w).sum())(x).arraySync() as number[][];
      const wv = [1, -2, 0.5, 3];
      g.forEach((row, i) => row.forEach((gv, j) => expect(gv).toBeCloseTo(Math.exp(X[i][j] - refLse[i]) * wv[i], 5)));
      tf.dispose([x, w]);
    });
    it('mm gives tf.matMul\'s products and gradients with either operand transposed', async () => {
      expect(await tf.setBackend(backend)).toBe(true);
      const a = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
      const b = tf.tensor2d([[1, 0, -1], [2, 1, 0]]);
      const f = (p: tf.Tensor, q: tf.Tensor) => mm(p as tf.Tensor2D, q as tf.Tensor2D, false, true).square().sum();
      const r = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(p as tf.Tensor2D, q as tf.Tensor2D, false, true).square().sum();
      const [ga, gb] = tf.grads(f)([a, b]);
      const [ra, rb] = tf.grads(r)([a, b]);
      expect(Array.from(ga.dataSync())).toEqual(Array.from(ra.dataSync()));
      expect(Array.from(gb.dataSync())).toEqual(Array.from(rb.dataSync()));
      tf.dispose([a, b, ga, gb, ra, rb]);
    });
  });
}

afterAll(async () => {
  await tf.setBackend('cpu');
});
