import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { mulberry32 } from '../../random.js';
import { attentionMask, BLOCK_WIRINGS, CausalTransformer, MASKED } from './transformer.js';
import { initialWeights, Params } from './weights.js';

const cfg = { hidden: 8, ffnInner: 12, blocks: 2, heads: 2 };
const rnd = mulberry32(9);
/** [1, 6, 8] inputs: left padding (zeros) in the first `pad` positions */
const input = (pad: number, change?: number) => {
  const x = Array.from({ length: 6 }, (_, t) => Array.from({ length: 8 }, (_, d) => (t < pad ? 0 : Math.sin(t * 8 + d) + (t === change ? d / 4 : 0))));
  return { x: tf.tensor3d([x]), valid: tf.tensor2d([Array.from({ length: 6 }, (_, t) => (t < pad ? 0 : 1))]) };
};

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('CausalTransformer: the block stack a second model reuses over [B, L, D] inputs', () => {
  it('names its weights under its own prefix, SASRec\'s names with prefix ""', () => {
    const own = new CausalTransformer({ ...cfg, block: 'sasrec' }, 'content.');
    expect(own.specs).toHaveLength(2 * 12 + 2);
    expect(own.specs.every((s) => s.name.startsWith('content.'))).toBe(true);
    expect(new CausalTransformer({ ...cfg, block: 'sasrec' }).specs.map((s) => s.name).slice(-2)).toEqual(['final_ln.gamma', 'final_ln.beta']);
    expect(own.specs.find((s) => s.name === 'content.blocks.1.ffn.w1')!.shape).toEqual([8, 12]);
  });

  it.each(BLOCK_WIRINGS)('is causal and blind to left padding (%s wiring), and leaks nothing', (block) => {
    const stack = new CausalTransformer({ ...cfg, block }, 'u.');
    const params = new Params(stack.specs, initialWeights(stack.specs, Math.floor(rnd() * 1000), 'xavier'), 'test');
    const run = (pad: number, change?: number) => {
      const { x, valid } = input(pad, change);
      const out = stack.apply(x, valid, (n) => params.get(n), (t) => t).arraySync()[0];
      tf.dispose([x, valid]);
      return out;
    };
    const a = run(0);
    const changed = run(0, 4);
    for (let t = 0; t < 4; t++) for (let d = 0; d < 8; d++) expect(changed[t][d]).toBeCloseTo(a[t][d], 5);
    expect(Math.abs(changed[5][0] - a[5][0])).toBeGreaterThan(1e-4);
    // the same last three inputs behind three padding positions: their outputs do not see the padding
    const padded = run(3);
    const { x, valid } = input(3);
    const tail = stack.apply(x.slice([0, 3, 0], [1, 3, 8]) as tf.Tensor3D, valid.slice([0, 3], [1, 3]) as tf.Tensor2D, (n) => params.get(n), (t) => t).arraySync()[0];
    for (let t = 0; t < 3; t++) for (let d = 0; d < 8; d++) expect(padded[t + 3][d]).toBeCloseTo(tail[t][d], 5);
    const before = tf.memory().numTensors;
    stack.apply(x, valid, (n) => params.get(n), (t) => t).dispose();
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([x, valid]);
    params.dispose();
  });

  it.each(BLOCK_WIRINGS.flatMap((block) => [1, 2].map((heads) => [block, heads] as const)))('lastOnly gives the full stack\'s last position (%s wiring, %i heads), padded or not', (block, heads) => {
    const stack = new CausalTransformer({ ...cfg, heads, block }, 'u.');
    const params = new Params(stack.specs, initialWeights(stack.specs, 17, 'xavier'), 'test');
    for (const pad of [0, 2]) {
      const { x, valid } = input(pad);
      const full = stack.apply(x, valid, (n) => params.get(n), (t) => t).arraySync()[0][5];
      const before = tf.memory().numTensors;
      const lastT = stack.apply(x, valid, (n) => params.get(n), (t) => t, { lastOnly: true });
      expect(lastT.shape).toEqual([1, 1, 8]);
      const last = lastT.arraySync()[0][0];
      lastT.dispose();
      expect(tf.memory().numTensors).toBe(before);
      for (let d = 0; d < 8; d++) expect(last[d]).toBeCloseTo(full[d], 5);
      tf.dispose([x, valid]);
    }
    params.dispose();
  });

  it('attentionMask allows exactly the causal, non-padded keys (as bandPart(ones, -1, 0) did)', () => {
    for (const L of [1, 2, 5]) {
      const valid = tf.tensor2d([Array.from({ length: L }, (_, t) => (t === 0 && L > 1 ? 0 : 1))]);
      const got = attentionMask(valid, L).arraySync()[0];
      const band = tf.linalg.bandPart(tf.ones([L, L]), -1, 0).arraySync() as number[][];
      for (let q = 0; q < L; q++) for (let k = 0; k < L; k++) expect(got[q][k] + 0, `L ${L} q ${q} k ${k}`).toBe(band[q][k] && !(k === 0 && L > 1) ? 0 : MASKED);
      valid.dispose();
    }
  });
});
