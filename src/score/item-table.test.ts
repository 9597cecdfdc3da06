import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { int8Kernel } from './int8-kernel.js';
import { itemTable } from './item-table.js';
import { selectTopK } from './select.js';

const rnd = mulberry32(3);
const rows = 1000;
const table = (dim: number) => Float32Array.from({ length: rows * dim }, (_, i) => (i < dim ? 0 : (rnd() - 0.5) * (1 + (i % 7))));

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('item tables', () => {
  it('WebAssembly SIMD is there in Node (so the kernel path is what these tests run at D 32)', () => {
    expect(int8Kernel()).not.toBeNull();
  });

  // D 32: the SIMD kernel; D 24 (not a multiple of 16): the plain-JS path
  it.each([32, 24])('int8 (D %i) scores every row as its own dequantised row · the user vector, within the int16 user rounding', async (dim) => {
    const data = table(dim);
    const t = itemTable('int8', data, rows, dim, 300);
    const u = Float32Array.from({ length: 2 * dim }, () => rnd() - 0.5);
    const [a, b] = await t.score(u, 2);
    const deq = t.gather(Int32Array.from({ length: rows }, (_, i) => i));
    for (const [row, off] of [[a, 0], [b, dim]] as const) {
      for (let r = 0; r < rows; r++) {
        let want = 0;
        for (let j = 0; j < dim; j++) want += deq[r * dim + j] * u[off + j];
        expect(Math.abs(row[r] - want), `row ${r}`).toBeLessThan(1e-3 * (1 + Math.abs(want)));
        // and close to the fp32 table: int8 rounding is at most half a step (scale) per value
        let exact = 0;
        for (let j = 0; j < dim; j++) exact += data[r * dim + j] * u[off + j];
        expect(Math.abs(row[r] - exact)).toBeLessThan(0.05 * (1 + Math.abs(exact)));
      }
    }
    const ex = new Set([0, 5, 299, 300, 301]);
    const top = await t.topK(u.subarray(0, dim), 25, ex);
    expect(Array.from(top.ids)).toEqual(Array.from(selectTopK(a, 25, ex).ids));
    t.dispose();
  });

  it('float32 shards give the exact product and leak nothing', async () => {
    const dim = 16;
    const data = table(dim);
    const t = itemTable('float32', data, rows, dim, 128);
    const u = Float32Array.from({ length: dim }, () => rnd() - 0.5);
    const before = tf.memory().numTensors;
    const [row] = await t.score(u, 1);
    await t.topK(u, 10, new Set([0]));
    expect(tf.memory().numTensors).toBe(before);
    for (let r = 0; r < rows; r += 37) {
      let want = 0;
      for (let j = 0; j < dim; j++) want += data[r * dim + j] * u[j];
      expect(row[r]).toBeCloseTo(want, 4);
    }
    t.dispose();
    expect(tf.memory().numTensors).toBe(before - Math.ceil(rows / 128));
  });

  it('an int8 table of 1M items at D 64 holds at most 64 MiB (codes + bf16 scales)', () => {
    const t = itemTable('int8', new Float32Array(64 * 1000), 1000, 64);
    expect((t.bytes / 1000) * 1_000_001).toBeLessThanOrEqual(64 * 2 ** 20);
    t.dispose();
  });
});
