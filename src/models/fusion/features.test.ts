import { describe, expect, it } from 'vitest';
import { ItemVectorStore } from '../../items/store.js';
import { mulberry32 } from '../../random.js';
import { featuresFromStore, featuresFromVectors } from './features.js';

describe('featuresFromStore', () => {
  it('equals featuresFromVectors over the dequantised table, attributes included', () => {
    const rnd = mulberry32(9);
    const rows = 7;
    const dims = { textDim: 5, imageDim: 3 };
    const data = Float32Array.from({ length: rows * 8 }, () => rnd() * 2 - 1);
    data.fill(0, 2 * 8 + 5, 3 * 8); // item 3 has no image
    const store = ItemVectorStore.fromItems({ data, rows, dim: 8 });
    const attrs = { ptr: Int32Array.from([0, 0, 1, 1, 2, 2, 3, 4, 4]), ids: Int32Array.from([0, 1, 0, 1]), count: 2 };
    const want = featuresFromVectors(store.dequantize().data, rows + 1, dims, attrs);
    const got = featuresFromStore(store, dims, attrs);
    expect(got).toEqual(want);
    expect(() => featuresFromStore(store, { textDim: 4, imageDim: 3 })).toThrow(/7-wide item vectors, got 8/);
  });
});

describe('ItemVectorStore.fork', () => {
  it('appends into arrays of its own: the store it came from keeps its rows and values', () => {
    const base = ItemVectorStore.fromItems({ data: Float32Array.from([1, 2, 3, 4]), rows: 2, dim: 2 });
    const before = base.dequantize().data.slice();
    const f = base.fork();
    f.append({ data: Float32Array.from([-5, 6]), rows: 1, dim: 2 });
    expect(f.numItems).toBe(3);
    expect(base.numItems).toBe(2);
    expect(base.dequantize().data).toEqual(before);
    expect(Array.from(f.row(3))).toEqual([expect.closeTo(-5, 1), expect.closeTo(6, 1)]);
  });
});
