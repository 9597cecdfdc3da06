import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../random.js';
import { featuresFromVectors, sliceFeatures, type ItemFeatures } from '../fusion/features.js';
import { contentArchitecture } from './config.js';
import { ContentModel } from './model.js';
import { unpackWeights, type WeightBlob } from '../nn/weights.js';

const N = 12;
const TEXT = 6;
const IMAGE = 4;

/** ids 0..N: random text and image rows (row 0 zero), item 5 without an image; attributes a, b, c. */
function features(seed = 3): ItemFeatures {
  const rnd = mulberry32(seed);
  const dim = TEXT + IMAGE;
  const data = new Float32Array((N + 1) * dim);
  for (let r = 1; r <= N; r++) for (let j = 0; j < dim; j++) data[r * dim + j] = rnd() * 2 - 1;
  data.fill(0, 5 * dim + TEXT, 6 * dim); // no image for item 5
  const ptr = new Int32Array(N + 2);
  const ids: number[] = [];
  for (let r = 0; r <= N; r++) {
    if (r > 0) ids.push(r % 3, ...(r % 4 === 0 ? [(r + 1) % 3] : []));
    ptr[r + 1] = ids.length;
  }
  return featuresFromVectors(data, N + 1, { textDim: TEXT, imageDim: IMAGE }, { ptr, ids: Int32Array.from(ids), count: 3 });
}
const cfg = { numItems: N, maxLen: 8, hidden: 8, blocks: 1, heads: 2, dropout: 0, textDim: TEXT, imageDim: IMAGE, numAttributes: 3 };
/** the values of weight `name` inside the blob (a view: writing them edits the blob) */
const weightIn = (w: WeightBlob, name: string) => unpackWeights(w.specs, w.specs, w.data).get(name)!;
const seq = (rows: number[][], L: number) => tf.tensor2d(rows.map((r) => [...Array(L - r.length).fill(0), ...r]), [rows.length, L], 'int32');

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('ContentModel', () => {
  it('is causal and blind to left padding: scores depend only on the history, not on later items or pad length', () => {
    const m = new ContentModel(cfg, features());
    const a = m.fullSortPredict(seq([[3, 7, 1]], 3)).arraySync() as number[][];
    const padded = m.fullSortPredict(seq([[3, 7, 1]], 8)).arraySync() as number[][];
    padded[0].forEach((v, i) => expect(v).toBeCloseTo(a[0][i], 4));
    // outputs at positions 0..2 ignore what comes at position 3
    const at = (last: number) => m.forward(seq([[3, 7, 1, last]], 4)).slice([0, 0, 0], [1, 3, -1]).arraySync() as number[][][];
    const x = at(9);
    const y = at(11);
    x[0].forEach((row, p) => row.forEach((v, i) => expect(v).toBeCloseTo(y[0][p][i], 5)));
    m.dispose();
  });

  it('models a missing image with the learned missing embedding, not a zero vector', async () => {
    const m = new ContentModel(cfg, features());
    const before = (m.itemMatrix().arraySync() as number[][])[5];
    // move only the missing-image embedding: item 5 (no image) changes, item 4 (has one) does not
    const w = await m.getWeights();
    weightIn(w, 'fusion.missing.image').forEach((v, i, a) => (a[i] = v + 0.5 + i));
    const items4 = (m.itemMatrix().arraySync() as number[][])[4];
    m.setWeights(w.specs, w.data);
    const after = m.itemMatrix().arraySync() as number[][];
    expect(after[5].some((v, i) => Math.abs(v - before[i]) > 1e-3)).toBe(true);
    after[4].forEach((v, i) => expect(v).toBeCloseTo(items4[i], 6));
    expect(after[0].every((v) => v === 0)).toBe(true); // padding row
    m.dispose();
  });

  it('scores an item added after training natively: a copy of item 4 ranks as item 4 does', () => {
    const f = features();
    const m = new ContentModel(cfg, f);
    m.freeze();
    const before = m.fullSortPredict(seq([[2, 9]], 2)).arraySync() as number[][];
    m.addItems(sliceFeatures(f, 4, 5)); // becomes id N+1
    const after = m.fullSortPredict(seq([[2, 9]], 2)).arraySync() as number[][];
    expect(after[0]).toHaveLength(N + 2);
    expect(after[0][N + 1]).toBeCloseTo(before[0][4], 4);
    after[0].slice(0, N + 1).forEach((v, i) => expect(v).toBeCloseTo(before[0][i], 4));
    m.dispose();
  });

  it('replaces an added item in place: given item 7\'s content, id N+1 ranks as item 7 does; catalog rows refuse', () => {
    const f = features();
    const m = new ContentModel(cfg, f);
    m.freeze();
    const before = m.fullSortPredict(seq([[2, 9]], 2)).arraySync() as number[][];
    m.addItems(sliceFeatures(f, 4, 5)); // id N+1: item 4's content
    m.addItems(sliceFeatures(f, 3, 4)); // id N+2: item 3's
    const live = tf.memory().numTensors;
    m.addItems(sliceFeatures(f, 7, 8), N + 1); // new content for N+1
    expect(tf.memory().numTensors).toBe(live);
    const after = m.fullSortPredict(seq([[2, 9]], 2)).arraySync() as number[][];
    expect(after[0]).toHaveLength(N + 3);
    expect(after[0][N + 1]).toBeCloseTo(before[0][7], 4);
    expect(after[0][N + 2]).toBeCloseTo(before[0][3], 4); // its neighbour untouched
    after[0].slice(0, N + 1).forEach((v, i) => expect(v).toBeCloseTo(before[0][i], 4));
    expect(() => m.addItems(sliceFeatures(f, 7, 8), 4)).toThrow(/not items added after training/);
    expect(() => m.addItems(sliceFeatures(f, 7, 8), N + 3)).toThrow(/not items added after training/);
    m.dispose();
  });

  it('round-trips its weights, and leaks no tensor per call or after dispose', async () => {
    const baseline = tf.memory().numTensors;
    const f = features();
    const m = new ContentModel({ ...cfg, seed: 9 }, f);
    const w = await m.getWeights();
    const copy = ContentModel.fromSaved({ config: contentArchitecture(m.config), weights: w.specs }, w.data, f);
    const s = seq([[1, 2, 3], [4, 5]], 3);
    const [p, q] = [copy.fullSortPredict(s), m.fullSortPredict(s)];
    expect(Array.from(p.dataSync())).toEqual(Array.from(q.dataSync()));
    tf.dispose([p, q]);
    const live = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) m.fullSortPredict(s).dispose();
    expect(tf.memory().numTensors).toBe(live);
    s.dispose();
    m.dispose();
    copy.dispose();
    expect(tf.memory().numTensors).toBe(baseline);
  });

  it('serves from the frozen table without copying it per call (a clone is a full copy on wasm), with the same scores', async () => {
    const m = new ContentModel(cfg, features());
    const before = m.fullSortPredict(seq([[3, 7, 1]], 3)).arraySync() as number[][];
    m.freeze();
    const input = seq([[3, 7, 1]], 3);
    const tensors = tf.memory().numTensors;
    const p = await tf.profile(() => m.fullSortPredict(input));
    expect(p.kernels.map((k) => k.name)).not.toContain('Identity');
    const after = (p.result as tf.Tensor).arraySync() as number[][];
    after[0].forEach((v, i) => expect(v).toBeCloseTo(before[0][i], 4));
    tf.dispose(p.result as tf.Tensor);
    expect(tf.memory().numTensors).toBe(tensors);
    input.dispose();
    m.dispose();
  });

  it('freezes a table larger than one fusion block (8192 rows) to the table fused at once', () => {
    const rows = 9001;
    const rnd = mulberry32(4);
    const data = Float32Array.from({ length: rows * (TEXT + IMAGE) }, (_, i) => (i < TEXT + IMAGE ? 0 : rnd() * 2 - 1));
    const f = featuresFromVectors(data, rows, { textDim: TEXT, imageDim: IMAGE });
    const m = new ContentModel({ ...cfg, numItems: rows - 1, numAttributes: 0 }, f);
    const whole = m.itemMatrix();
    m.freeze();
    const frozen = m.itemMatrix();
    expect(frozen.shape).toEqual([rows, cfg.hidden]);
    expect(tf.max(tf.abs(tf.sub(whole, frozen))).dataSync()[0]).toBeLessThan(1e-5);
    expect((frozen.arraySync() as number[][])[0]).toEqual(new Array(cfg.hidden).fill(0)); // the padding row
    tf.dispose([whole, frozen]);
    m.dispose();
  });

  describe('with an ID residual (idResidual)', () => {
    const withId = { ...cfg, idResidual: true, modalityDropout: 0 };
    /** the model's weights with the ID table's rows `rows` set to distinct non-zero values */
    async function setIdRows(m: ContentModel, rows: number[]): Promise<void> {
      const w = await m.getWeights();
      const table = weightIn(w, 'content.id_embedding');
      const D = table.length / (N + 1);
      for (const r of rows) for (let j = 0; j < D; j++) table[r * D + j] = 0.3 * Math.sin(r * 7 + j);
      m.setWeights(w.specs, w.data);
    }

    it('starts as the same config without it: the table is zero and every other weight draws as before', () => {
      const [a, b] = [new ContentModel(withId, features()), new ContentModel({ ...cfg, modalityDropout: 0 }, features())];
      expect(a.specs.find((s) => s.name === 'content.id_embedding')?.shape).toEqual([N + 1, cfg.hidden]);
      const s = seq([[3, 7, 1]], 4);
      const [p, q] = [a.fullSortPredict(s), b.fullSortPredict(s)];
      expect(Array.from(p.dataSync())).toEqual(Array.from(q.dataSync()));
      tf.dispose([s, p, q]);
      a.dispose();
      b.dispose();
    });

    it('trains ID vectors of known items only: an unknown item gets no gradient and stays content alone', () => {
      const m = new ContentModel(withId, features());
      m.setObjective((x) => ({ ub: tf.sum(tf.square(x.items)) as tf.Scalar }), { knownItems: Int32Array.from([1, 2, 3, 9]) });
      const batch = { seq: seq([[3, 7, 1]], 4), targets: seq([[7, 1, 2]], 4) };
      const idVar = m.trainable[m.specs.findIndex((s) => s.name === 'content.id_embedding')];
      const { value, grads } = tf.variableGrads(() => tf.addN(Object.values(m.calculateLoss(batch))) as tf.Scalar, [idVar]);
      const g = grads[idVar.name].arraySync() as number[][];
      const moved = g.map((row) => row.some((v) => v !== 0));
      expect(moved.flatMap((x, i) => (x ? [i] : []))).toEqual([1, 2, 3, 9]);
      tf.dispose([value, ...Object.values(grads), batch.seq, batch.targets]);
      m.dispose();
    });

    it('adds the ID vector to the fused one; an item added later has none, and round-trips through its saved form', async () => {
      const f = features();
      const m = new ContentModel(withId, f);
      await setIdRows(m, [4]);
      m.freeze();
      m.addItems(sliceFeatures(f, 4, 5)); // id N+1: item 4's content, no ID vector
      const plain = new ContentModel({ ...cfg, modalityDropout: 0 }, f);
      const [mine, theirs] = [m.itemMatrix().arraySync() as number[][], plain.itemMatrix().arraySync() as number[][]];
      mine[N + 1].forEach((v, j) => expect(v).toBeCloseTo(theirs[4][j], 5));
      mine[4].forEach((v, j) => expect(v - theirs[4][j]).toBeCloseTo(0.3 * Math.sin(28 + j), 5));
      mine[5].forEach((v, j) => expect(v).toBeCloseTo(theirs[5][j], 5)); // a zero row adds nothing
      const arch = contentArchitecture(m.config);
      expect(arch.idResidual).toBe(true);
      expect(contentArchitecture(plain.config)).not.toHaveProperty('idResidual');
      const w = await m.getWeights();
      const copy = ContentModel.fromSaved({ config: arch, weights: w.specs }, w.data, f);
      const s = seq([[4, 2]], 3);
      const [a, b] = [copy.fullSortPredict(s).arraySync() as number[][], new ContentModel(withId, f)];
      await setIdRows(b, [4]);
      const c = b.fullSortPredict(s).arraySync() as number[][];
      a[0].forEach((v, i) => expect(v).toBeCloseTo(c[0][i], 5));
      s.dispose();
      [m, plain, copy, b].forEach((x) => x.dispose());
    });
  });
});
