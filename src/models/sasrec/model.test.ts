import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMolarError } from '../../errors.js';
import { padLeft } from '../types.js';
import { architectureOf, resolveSasrecConfig, SASREC_BLOCKS, SASREC_POSITIONS } from './config.js';
import { SasrecModel } from './model.js';

const cfg = { numItems: 20, maxLen: 8, hidden: 16, blocks: 2, heads: 2, dropout: 0.3, loss: 'ce' as const, seed: 3 };
const seq2d = (rows: number[][], L: number) => tf.tensor2d(Int32Array.from(rows.flatMap((r) => [...padLeft(r, L)])), [rows.length, L], 'int32');

/** what the bundle's sasrec entry holds for a model (train/build-step.ts writes it) */
const savedEntry = (m: SasrecModel) => ({ config: architectureOf(m.config), weights: m.specs });
const offsetOf = (specs: { shape: number[] }[], i: number) => specs.slice(0, i).reduce((n, sp) => n + sp.shape.reduce((a, b) => a * b, 1), 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('SasrecConfig', () => {
  it('fills defaults and names the bad field with its range', () => {
    expect(resolveSasrecConfig({ numItems: 10, loss: 'gbce', numNegatives: 5 }).hidden).toBe(64);
    const bad = (p: object, field: string) => {
      try {
        resolveSasrecConfig({ numItems: 10, ...p });
        throw new Error('no throw');
      } catch (e) {
        expect(isMolarError(e, 'BAD_CONFIG')).toBe(true);
        expect((e as { field: string }).field).toBe(field);
      }
    };
    bad({ dropout: 1 }, 'dropout');
    bad({ hidden: 10, heads: 3 }, 'heads');
    bad({ loss: 'mse' }, 'loss');
    bad({ loss: 'gbce', numNegatives: 11 }, 'numNegatives');
    bad({ maxLen: 0 }, 'maxLen');
  });
});

describe('SasrecModel forward', () => {
  it('has the contract shapes', () => {
    const m = new SasrecModel(cfg);
    const s = seq2d([[1, 2, 3], [4, 5]], 8);
    const h = m.forward(s);
    expect(h.shape).toEqual([2, 8, 16]);
    const full = m.fullSortPredict(s);
    expect(full.shape).toEqual([2, 21]);
    const cand = m.predict(s, tf.tensor2d([[1, 2, 3], [7, 8, 9]], [2, 3], 'int32'));
    expect(cand.shape).toEqual([2, 3]);
    // predict agrees with the matching columns of fullSortPredict
    const f = full.arraySync();
    const c = cand.arraySync();
    expect(c[1][2]).toBeCloseTo(f[1][9], 4);
    tf.dispose([s, h, full, cand]);
    m.dispose();
  });

  it.each(SASREC_BLOCKS)('is causal: a later item never changes earlier positions (%s block)', (block) => {
    const m = new SasrecModel({ ...cfg, block });
    const a = m.forward(seq2d([[1, 2, 3, 4, 5, 6, 7, 8]], 8)).arraySync()[0];
    const b = m.forward(seq2d([[1, 2, 3, 4, 5, 19, 7, 8]], 8)).arraySync()[0];
    for (let t = 0; t < 5; t++) for (let d = 0; d < 16; d++) expect(b[t][d]).toBeCloseTo(a[t][d], 5);
    expect(Math.abs(b[5][0] - a[5][0]) + Math.abs(b[7][1] - a[7][1])).toBeGreaterThan(1e-4);
    m.dispose();
  });

  it.each(SASREC_BLOCKS)('ignores left padding: same last-position scores at any padded length (%s block)', (block) => {
    const m = new SasrecModel({ ...cfg, block });
    const short = m.fullSortPredict(seq2d([[3, 9, 4]], 3)).arraySync()[0];
    const long = m.fullSortPredict(seq2d([[3, 9, 4]], 8)).arraySync()[0];
    for (let i = 0; i < short.length; i++) expect(long[i]).toBeCloseTo(short[i], 4);
    m.dispose();
  });

  it("positions 'from-oldest': causal, padding-blind, and row i of the table is the window's i-th oldest item", async () => {
    const m = new SasrecModel({ ...cfg, positions: 'from-oldest' });
    const a = m.forward(seq2d([[1, 2, 3, 4, 5, 6, 7, 8]], 8)).arraySync()[0];
    const b = m.forward(seq2d([[1, 2, 3, 4, 5, 19, 7, 8]], 8)).arraySync()[0];
    for (let t = 0; t < 5; t++) for (let d = 0; d < 16; d++) expect(b[t][d]).toBeCloseTo(a[t][d], 5);
    const short = m.fullSortPredict(seq2d([[3, 9, 4]], 3)).dataSync();
    const long = m.fullSortPredict(seq2d([[3, 9, 4]], 8)).dataSync();
    for (let i = 0; i < short.length; i++) expect(long[i]).toBeCloseTo(short[i], 4);
    // the same weights read from-newest, with the first n table rows reversed, give the same scores for an n-item history
    const { data } = await m.getWeights();
    const i = m.specs.findIndex((sp) => sp.name === 'position_embedding');
    const table = data.slice(offsetOf(m.specs, i), offsetOf(m.specs, i + 1));
    const flipped = data.slice();
    const n = 3;
    for (let r = 0; r < n; r++) flipped.set(table.subarray((n - 1 - r) * 16, (n - r) * 16), offsetOf(m.specs, i) + r * 16);
    const newest = SasrecModel.fromEntry({ config: { ...architectureOf(m.config), positions: 'from-newest' }, weights: m.specs }, flipped);
    const same = newest.fullSortPredict(seq2d([[3, 9, 4]], 5)).dataSync();
    for (let k = 0; k < short.length; k++) expect(same[k]).toBeCloseTo(short[k], 4);
    // and unflipped, the other counting gives other scores
    const other = SasrecModel.fromEntry({ config: { ...architectureOf(m.config), positions: 'from-newest' }, weights: m.specs }, data).fullSortPredict(seq2d([[3, 9, 4]], 5)).dataSync();
    expect(Math.max(...Array.from(other, (x, k) => Math.abs(x - short[k])))).toBeGreaterThan(1e-3);
    expect(architectureOf(m.config).positions).toBe('from-oldest');
    const { positions: _dropped, ...older } = architectureOf(m.config);
    expect(SasrecModel.fromEntry({ config: older, weights: m.specs }, data).config.positions).toBe('from-newest');
    expect(() => new SasrecModel({ ...cfg, positions: 'from-middle' as never })).toThrow(/positions/);
    m.dispose();
    newest.dispose();
  });

  it('leaks no tensors across forward / predict', () => {
    const m = new SasrecModel(cfg);
    const s = seq2d([[1, 2, 3]], 8);
    m.fullSortPredict(s).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) m.fullSortPredict(s).dispose();
    expect(tf.memory().numTensors).toBe(before);
    s.dispose();
    m.dispose();
  });
});

describe('SasrecModel weights', () => {
  it('ffnInner sets the feed-forward width, is carried in the entry, and defaults to hidden for older entries', () => {
    const wide = new SasrecModel({ ...cfg, ffnInner: 40 });
    const spec = (m: SasrecModel, name: string) => m.specs.find((s) => s.name === name)!.shape;
    expect(spec(wide, 'blocks.1.ffn.w1')).toEqual([16, 40]);
    expect(spec(wide, 'blocks.1.ffn.w2')).toEqual([40, 16]);
    const entry = savedEntry(wide);
    expect(entry.config.ffnInner).toBe(40);
    // an entry written before the field existed (no ffnInner) still loads with the SASRec width
    const plain = new SasrecModel(cfg);
    const { ffnInner: _dropped, ...older } = architectureOf(plain.config);
    const data = new Float32Array(plain.specs.reduce((n, s) => n + s.shape.reduce((a, b) => a * b, 1), 0));
    const loaded = SasrecModel.fromEntry({ config: older, weights: plain.specs }, data);
    expect(spec(loaded, 'blocks.0.ffn.w1')).toEqual([16, 16]);
    expect(() => new SasrecModel({ ...cfg, ffnInner: 0 })).toThrow(/ffnInner/);
    for (const m of [wide, plain, loaded]) m.dispose();
  });

  it("block is carried in the entry, changes the scores, and entries written before it existed load as 'pre-ln'", async () => {
    const pre = new SasrecModel({ ...cfg, block: 'pre-ln' });
    const { data } = await pre.getWeights();
    const original = SasrecModel.fromEntry({ config: { ...architectureOf(pre.config), block: 'sasrec' }, weights: pre.specs }, data);
    expect(architectureOf(original.config).block).toBe('sasrec');
    const { block: _dropped, ...older } = architectureOf(pre.config);
    const legacy = SasrecModel.fromEntry({ config: older, weights: pre.specs }, data);
    expect(legacy.config.block).toBe('pre-ln');
    const s = seq2d([[3, 9, 4, 7]], 8);
    const a = pre.fullSortPredict(s).dataSync();
    const b = legacy.fullSortPredict(s).dataSync();
    const c = original.fullSortPredict(s).dataSync();
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 5);
    // same weights, other wiring: other scores
    expect(Math.max(...Array.from(a, (x, i) => Math.abs(x - c[i])))).toBeGreaterThan(1e-3);
    expect(() => new SasrecModel({ ...cfg, block: 'post-ln' as never })).toThrow(/block/);
    s.dispose();
    for (const m of [pre, original, legacy]) m.dispose();
  });

  it("init 'normal' draws matrices and embeddings from N(0, 0.02²), 'xavier' wider; padding row stays 0", () => {
    const std = (m: SasrecModel, name: string) => {
      const v = Array.from(m.trainable[m.specs.findIndex((s) => s.name === name)].dataSync());
      return Math.sqrt(v.reduce((a, x) => a + x * x, 0) / v.length);
    };
    const n = new SasrecModel({ ...cfg, numItems: 400, hidden: 32, heads: 1, init: 'normal' });
    const x = new SasrecModel({ ...cfg, numItems: 400, hidden: 32, heads: 1, init: 'xavier' });
    expect(std(n, 'blocks.0.attn.qkv.weight')).toBeCloseTo(0.02, 2);
    expect(std(x, 'blocks.0.attn.qkv.weight')).toBeCloseTo(Math.sqrt(2 / (32 + 96)), 2);
    expect(Array.from(n.itemEmbedding.dataSync().subarray(0, 32)).every((v) => v === 0)).toBe(true);
    n.dispose();
    x.dispose();
  });

  it('round-trips through the bundle form and rejects bad checkpoints', async () => {
    const m = new SasrecModel(cfg);
    const w = await m.getWeights();
    const entry = savedEntry(m);
    const m2 = SasrecModel.fromEntry(entry, w.data.slice().buffer);
    const s = seq2d([[5, 6, 7]], 8);
    const a = m.fullSortPredict(s).dataSync();
    const b = m2.fullSortPredict(s).dataSync();
    expect(Array.from(b)).toEqual(Array.from(a));
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return isMolarError(e) ? e.code + ':' + (e.field ?? '') : 'other';
      }
      return 'none';
    };
    const missing = { ...entry, weights: entry.weights.slice(1) };
    expect(code(() => SasrecModel.fromEntry(missing, w.data.subarray(21 * 16)))).toBe('BUNDLE_INVALID:item_embedding');
    const extra = { ...entry, weights: [...entry.weights, { name: 'bogus', shape: [1], dtype: 'float32' as const }] };
    expect(code(() => SasrecModel.fromEntry(extra, w.data))).toBe('BUNDLE_INVALID:bogus');
    const shaped = { ...entry, weights: entry.weights.map((s) => (s.name === 'final_ln.beta' ? { ...s, shape: [15] } : s)) };
    expect(code(() => SasrecModel.fromEntry(shaped, w.data))).toBe('BUNDLE_INVALID:final_ln.beta');
    expect(code(() => SasrecModel.fromEntry(entry, w.data.subarray(1)))).toBe('BUNDLE_INVALID:');
    s.dispose();
    m.dispose();
    m2.dispose();
  });

  it('repeatBias adds its scalar to the scores of the items a row has read, in fullSortPredict and predict; carried in the entry', async () => {
    const withBias = new SasrecModel({ ...cfg, excludeHistory: false, repeatBias: true });
    const w = await withBias.getWeights();
    expect(w.specs[w.specs.length - 1]).toEqual({ name: 'repeat_bias', shape: [1], dtype: 'float32' });
    expect(w.data[w.data.length - 1]).toBe(0); // starts neutral
    w.data[w.data.length - 1] = -2.5;
    withBias.setWeights(w.specs, w.data);
    const plain = new SasrecModel({ ...cfg }, new Map(w.specs.slice(0, -1).map((sp, i) => [sp.name, w.data.subarray(offsetOf(w.specs, i), offsetOf(w.specs, i + 1))])));
    const rows = [[1, 2, 3, 2], [9, 8]];
    const s = seq2d(rows, 5);
    const a = withBias.fullSortPredict(s).arraySync();
    const b = plain.fullSortPredict(s).arraySync();
    rows.forEach((r, i) => {
      for (let item = 1; item <= cfg.numItems; item++) expect(a[i][item] - b[i][item]).toBeCloseTo(r.includes(item) ? -2.5 : 0, 4);
    });
    const cands = tf.tensor2d([[2, 4, 9], [9, 1, 8]], [2, 3], 'int32');
    const p = withBias.predict(s, cands).arraySync();
    [[2, 4, 9], [9, 1, 8]].forEach((c, i) => c.forEach((item, j) => expect(p[i][j]).toBeCloseTo(a[i][item], 4)));
    const entry = savedEntry(withBias);
    expect(entry.config.repeatBias).toBe(true);
    const back = SasrecModel.fromEntry(entry, w.data);
    expect(back.fullSortPredict(s).arraySync()).toEqual(a);
    expect(() => new SasrecModel({ ...cfg, repeatBias: true })).toThrow(/repeatBias/); // excludeHistory defaults on
    expect(() => new SasrecModel({ ...cfg, loss: 'bce', excludeHistory: false, repeatBias: true })).toThrow(/repeatBias/);
    tf.dispose([s, cands]);
    [withBias, plain, back].forEach((m) => m.dispose());
  });

  it.each(SASREC_POSITIONS)('scores the same on the cpu and wasm backends (1e-4), positions %s', async (positions) => {
    const m = new SasrecModel({ ...cfg, heads: 1, positions });
    const w = await m.getWeights();
    const entry = savedEntry(m);
    const s = seq2d([[1, 2, 3, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1]], 8);
    const onCpu = m.fullSortPredict(s).dataSync().slice();
    s.dispose();
    m.dispose();
    expect(await tf.setBackend('wasm')).toBe(true);
    try {
      const mw = SasrecModel.fromEntry(entry, w.data);
      const sw = seq2d([[1, 2, 3, 4], [9, 8, 7, 6, 5, 4, 3, 2, 1]], 8);
      const onWasm = mw.fullSortPredict(sw).dataSync();
      for (let i = 0; i < onCpu.length; i++) expect(Math.abs(onWasm[i] - onCpu[i])).toBeLessThan(1e-4);
      sw.dispose();
      mw.dispose();
    } finally {
      await tf.setBackend('cpu');
    }
  });
});
