import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useNodeBackend } from './backend-node.js';

/** the same op on the cpu backend (the reference) and on wasm with our kernels */
async function both(f: () => tf.Tensor): Promise<[number[], number[]]> {
  await tf.setBackend('cpu');
  const ref = f();
  const a = Array.from(await ref.data());
  ref.dispose();
  await tf.setBackend('wasm');
  const y = f();
  const b = Array.from(await y.data());
  y.dispose();
  return [a, b];
}

describe('wasm training kernels', () => {
  beforeAll(async () => {
    await useNodeBackend('wasm');
  });

  it('gather equals the cpu backend on every axis, for float32 and int32, with repeated indices', async () => {
    const x = () => tf.tensor3d(Array.from({ length: 2 * 5 * 3 }, (_, i) => i * 0.5 - 3), [2, 5, 3]);
    const idx = () => tf.tensor1d([4, 0, 4, 2], 'int32');
    for (const axis of [0, 1, 2]) {
      const ids = axis === 0 ? tf.tensor1d([1, 0, 1], 'int32') : axis === 1 ? idx() : tf.tensor1d([2, 2, 0], 'int32');
      const [a, b] = await both(() => tf.gather(x(), ids, axis));
      expect(b).toEqual(a);
    }
    const [a, b] = await both(() => tf.gather(tf.tensor2d([[1, 2], [3, 4], [5, 6]], [3, 2], 'int32'), tf.tensor2d([[2, 0], [1, 1]], [2, 2], 'int32')));
    expect(b).toEqual(a);
    expect(() => tf.gather(x(), tf.tensor1d([5], 'int32'), 1)).toThrow(/not in \[0, 4\]/);
  });

  it('the gradient of a gathered embedding still flows (scatter-add back)', async () => {
    const g = () => tf.grad((e: tf.Tensor) => tf.gather(e, tf.tensor1d([1, 1, 3], 'int32')).sum())(tf.ones([4, 2]));
    const [a, b] = await both(g);
    expect(b).toEqual(a);
    expect(b).toEqual([0, 0, 2, 2, 0, 0, 1, 1]);
  });
});
