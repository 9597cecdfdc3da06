import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { featuresFromVectors } from '../models/fusion/features.js';
import { ContentModel } from '../models/content/model.js';
import { mulberry32 } from '../random.js';
import { alignItemsToIdTable, standardiseRows } from './molar-item-align.js';

const N = 40;
const TEXT = 16;
const D = 8;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** N random text rows (row 0 padding) and an "ID table" that is a fixed linear map of them: learnable from content. */
function setup(idResidual = false) {
  const rnd = mulberry32(5);
  const text = new Float32Array((N + 1) * TEXT).map((_, i) => (i < TEXT ? 0 : rnd() * 2 - 1));
  const map = tf.randomNormal([TEXT, D], 0, 1, 'float32', 9);
  const idTable = tf.tidy(() => tf.matMul(tf.tensor2d(text, [N + 1, TEXT]), map) as tf.Tensor2D);
  map.dispose();
  const features = featuresFromVectors(text, N + 1, { textDim: TEXT, imageDim: 0 });
  const model = new ContentModel({ numItems: N, maxLen: 4, hidden: D, blocks: 1, heads: 1, dropout: 0, textDim: TEXT, imageDim: 0, numAttributes: 0, fusionInner: 0, idResidual }, features);
  return { model, idTable };
}

describe('item-level alignment', () => {
  it('fits the fusion head so fused rows point where the ID rows do, and moves no user-model weight', async () => {
    const { model, idTable } = setup();
    const before = await model.getWeights();
    const tensors = tf.memory().numTensors;
    const r = alignItemsToIdTable(model, idTable, { steps: 300, batch: 16, learningRate: 0.02 });
    expect(tf.memory().numTensors).toBe(tensors);
    expect(r.last).toBeLessThan(r.first * 0.2);
    expect(r.cosine).toBeGreaterThan(0.9);
    const after = await model.getWeights();
    let off = 0;
    let headMoved = false;
    for (const s of before.specs) {
      const size = s.shape.reduce((x, y) => x * y, 1);
      const changed = before.data.subarray(off, off + size).some((v, i) => v !== after.data[off + i]);
      if (s.name.startsWith('fusion.')) headMoved ||= changed;
      else expect(changed, s.name).toBe(false);
      off += size;
    }
    expect(headMoved).toBe(true);
    model.dispose();
    idTable.dispose();
  });

  it('never fits held-out items: their fused rows stay what the warm mapping makes of them', () => {
    const { model, idTable } = setup();
    // corrupt the held-out rows' targets: excluded, they must not pull the head
    const exclude = Int32Array.from([3, 7, 11]);
    const poisoned = tf.tidy(() => idTable.mul(tf.tensor2d(Array.from({ length: N + 1 }, (_, i) => [exclude.includes(i) ? -50 : 1]))) as tf.Tensor2D);
    const a = alignItemsToIdTable(model, poisoned, { steps: 300, batch: 16, learningRate: 0.02, exclude });
    expect(a.cosine).toBeGreaterThan(0.9);
    // the held-out items are mapped like the warm ones: their fused rows follow the clean table
    const cos = tf.tidy(() => {
      const ids = tf.tensor1d(exclude, 'int32');
      const f = model.fusedRows(ids);
      const t = tf.gather(standardiseRows(idTable), ids) as tf.Tensor2D;
      return tf.sum(f.mul(t), 1).div(tf.norm(f, 'euclidean', 1).mul(tf.norm(t, 'euclidean', 1))).min().dataSync()[0];
    });
    expect(cos).toBeGreaterThan(0.8);
    model.dispose();
    idTable.dispose();
    poisoned.dispose();
  });

  it('standardises each row to zero mean and unit variance', () => {
    const t = tf.tensor2d([[1, 2, 3, 4], [10, 10, 10, 30]]);
    const s = standardiseRows(t);
    const { mean, variance } = tf.moments(s, 1);
    (mean.arraySync() as number[]).forEach((m) => expect(Math.abs(m)).toBeLessThan(1e-5));
    (variance.arraySync() as number[]).forEach((v) => expect(v).toBeCloseTo(1, 3));
    tf.dispose([t, s, mean, variance]);
  });

  it('with an ID residual, sets the given items\' ID vectors so their item vectors are the standardised ID rows; the rest keep content alone', () => {
    const { model, idTable } = setup(true);
    // a target the linear head cannot reach: noise on every row
    const noisy = tf.tidy(() => idTable.add(tf.randomNormal(idTable.shape, 0, 3, 'float32', 4)) as tf.Tensor2D);
    const rows = Int32Array.from({ length: N - 5 }, (_, i) => i + 1); // items N-4..N: no ID vector
    const tensors = tf.memory().numTensors;
    alignItemsToIdTable(model, noisy, { steps: 50, batch: 16, learningRate: 0.02, residualRows: rows });
    expect(tf.memory().numTensors).toBe(tensors);
    const [items, target] = [model.itemMatrix().arraySync() as number[][], standardiseRows(noisy).arraySync() as number[][]];
    const head = tf.tidy(() => model.fusedRows(tf.tensor1d(Int32Array.from({ length: N }, (_, i) => i + 1), 'int32')).arraySync() as number[][]);
    for (const r of rows) items[r].forEach((v, j) => expect(v).toBeCloseTo(target[r][j], 4));
    for (let r = N - 4; r <= N; r++) items[r].forEach((v, j) => expect(v).toBeCloseTo(head[r - 1][j], 5));
    expect(items[N].some((v, j) => Math.abs(v - target[N][j]) > 0.1)).toBe(true);
    model.dispose();
    idTable.dispose();
    noisy.dispose();
  });
});
