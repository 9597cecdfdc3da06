import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { contentArchitecture } from '../models/content/config.js';
import { ContentModel } from '../models/content/model.js';
import { featuresFromVectors } from '../models/fusion/features.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { mulberry32 } from '../random.js';
import { startAsIdModel } from './molar-user-warm-start.js';

const N = 30;
const TEXT = 12;
const D = 8;
const L = 6;

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function setup(content: Partial<ConstructorParameters<typeof ContentModel>[0]> = {}) {
  const rnd = mulberry32(3);
  const text = new Float32Array((N + 1) * TEXT).map((_, i) => (i < TEXT ? 0 : rnd() * 2 - 1));
  const features = featuresFromVectors(text, N + 1, { textDim: TEXT, imageDim: 0 });
  const shape = { maxLen: L, hidden: D, blocks: 2, heads: 2, block: 'sasrec' as const, positions: 'from-oldest' as const };
  const id = new SasrecModel({ ...shape, numItems: N, dropout: 0, seed: 11 });
  const model = new ContentModel({ ...shape, numItems: N, dropout: 0, textDim: TEXT, imageDim: 0, numAttributes: 0, fusionInner: 4, idResidual: true, seed: 12, ...content }, features);
  return { id, model };
}

const seq = (rows: number[][]) => tf.tensor2d(rows.map((r) => [...new Array(L - r.length).fill(0), ...r]), [rows.length, L], 'int32');

describe('user-level warm start', () => {
  it('makes the content model score known items as the ID model does; unknown items keep content alone', () => {
    const { id, model } = setup();
    const known = Int32Array.from({ length: 20 }, (_, i) => i + 1);
    const before = tf.tidy(() => model.fullSortPredict(seq([[3, 5, 9]])).arraySync() as number[][]);
    const tensors = tf.memory().numTensors;
    startAsIdModel(model, id, known);
    expect(tf.memory().numTensors).toBe(tensors);
    const s = seq([[3, 5, 9], [1, 2, 4, 8, 16, 20], [7]]);
    const [mine, theirs] = tf.tidy(() => [model.fullSortPredict(s).arraySync() as number[][], id.fullSortPredict(s).arraySync() as number[][]]);
    for (let u = 0; u < 3; u++) for (const i of known) expect(mine[u][i]).toBeCloseTo(theirs[u][i], 4);
    // it changed something (the blocks were random and different before)
    expect(Math.abs(before[0][3] - mine[0][3])).toBeGreaterThan(1e-3);
    // an unknown item's vector is still the head's: its score is not SASRec's
    expect(Math.abs(mine[0][25] - theirs[0][25])).toBeGreaterThan(1e-3);
    const fusedUnknown = tf.tidy(() => model.fusedRows(tf.tensor1d([25], 'int32')).arraySync());
    const table = tf.tidy(() => model.itemMatrix().slice([25, 0], [1, D]).arraySync());
    expect(table[0][0]).toBeCloseTo(fusedUnknown[0][0], 5);
    id.dispose();
    model.dispose();
  });

  it('survives a save/load round trip with from-oldest positions', async () => {
    const { id, model } = setup();
    startAsIdModel(model, id, Int32Array.from([1, 2, 3, 4, 5]));
    const w = await model.getWeights();
    const arch = contentArchitecture(model.config);
    expect(arch.positions).toBe('from-oldest');
    const back = ContentModel.fromSaved({ config: arch, weights: w.specs }, w.data, featuresFromVectors(new Float32Array((N + 1) * TEXT), N + 1, { textDim: TEXT, imageDim: 0 }));
    expect(back.config.positions).toBe('from-oldest');
    // bundles written before the field read from-newest
    const { positions: _p, ...older } = arch;
    expect(ContentModel.fromSaved({ config: older, weights: w.specs }, w.data, featuresFromVectors(new Float32Array((N + 1) * TEXT), N + 1, { textDim: TEXT, imageDim: 0 })).config.positions).toBe('from-newest');
    for (const m of [id, model, back]) m.dispose();
  });

  it('refuses a content model of another shape or without an ID residual, naming the field', () => {
    for (const [over, field] of [[{ positions: 'from-newest' }, 'positions'], [{ heads: 1 }, 'heads'], [{ blocks: 1 }, 'blocks'], [{ idResidual: false }, 'idResidual']] as const) {
      const { id, model } = setup(over);
      expect(() => startAsIdModel(model, id, Int32Array.from([1]))).toThrow(new RegExp(field));
      id.dispose();
      model.dispose();
    }
  });
});
