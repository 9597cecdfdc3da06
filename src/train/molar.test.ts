import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { leaveOneOut } from '../data/split.js';
import { featuresFromVectors } from '../models/fusion/features.js';
import { mulberry32 } from '../random.js';
import { useNodeBackend } from './backend-node.js';
import { DEFAULT_MIX_GRID, trainMolar } from './molar.js';
import { contentBatchTensors } from './molar-task.js';
import { trainSasrec } from './sasrec.js';

const N = 30;
/** 60 users walking a ring of 30 items with small steps; item i's text vector is its angle on the ring, its image a noisy copy. */
function data() {
  const rnd = mulberry32(5);
  const sequences = Array.from({ length: 60 }, () => {
    let it = 1 + Math.floor(rnd() * N);
    return Int32Array.from({ length: 12 }, () => (it = 1 + ((it + (rnd() < 0.7 ? 0 : 1)) % N)));
  });
  const dim = 4 + 3;
  const vec = new Float32Array((N + 1) * dim);
  for (let i = 1; i <= N; i++) {
    const a = (2 * Math.PI * i) / N;
    vec.set([Math.cos(a), Math.sin(a), Math.cos(2 * a), Math.sin(2 * a), Math.cos(a) + 0.1 * rnd(), Math.sin(a), rnd() * 0.1], i * dim);
  }
  vec.fill(0, 7 * dim + 4, 8 * dim); // item 7 has no image
  const ptr = Int32Array.from({ length: N + 2 }, (_, r) => Math.max(0, r - 1));
  const ids = Int32Array.from({ length: N }, (_, i) => Math.floor(((i + 1) * 4) / N) % 4); // 4 arcs of the ring
  return { sequences, split: leaveOneOut(sequences), features: featuresFromVectors(vec, N + 1, { textDim: 4, imageDim: 3 }, { ptr, ids, count: 4 }) };
}
const arch = { maxLen: 10, hidden: 16, blocks: 1, heads: 1, dropout: 0.1 };

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('trainMolar', () => {
  it('trains the content model on ub + align + it + sa, reports each part, beats chance and picks the mix on validation', async () => {
    const { sequences, split, features } = data();
    const id = await trainSasrec({ split, sequences, numItems: N, noValidation: true, config: { ...arch, loss: 'ce', maxEpochs: 4, learningRate: 5e-3 } });
    const before = tf.memory().numTensors;
    const r = await trainMolar({
      split, sequences, numItems: N, features,
      idModel: { config: id.config as unknown as Record<string, unknown>, weights: id.weights.specs, data: id.weights.data },
      config: arch,
      train: { maxEpochs: 8, patience: 8, batchSize: 16, learningRate: 5e-3 },
      filterSeen: false,
    });
    expect(tf.memory().numTensors).toBe(before);
    for (const e of r.history) {
      expect(Object.keys(e.parts!).sort()).toEqual(['align', 'it', 'sa', 'ub']);
      expect(e.loss).toBeCloseTo(Object.values(e.parts!).reduce((a, b) => a + b, 0), 4);
    }
    const first = r.history[0].parts!;
    const last = r.history.at(-1)!.parts!;
    expect(last.ub).toBeLessThan(first.ub);
    expect(last.align).toBeLessThan(first.align);
    expect(r.bestValid!['ndcg@10']).toBeGreaterThan(0.15); // chance is ~0.1 with 30 items
    expect(Object.keys(r.mix.valid).sort()).toEqual(DEFAULT_MIX_GRID.map(String).sort());
    expect(r.mix.valid[String(r.mix.content)]).toBe(Math.max(...Object.values(r.mix.valid)));
  }, 60_000);

  it('switches a part off at weight 0, and trains content-only without an ID model', async () => {
    const { sequences, split, features } = data();
    const r = await trainMolar({ split, sequences, numItems: N, features, config: arch, train: { maxEpochs: 1, batchSize: 16, itWeight: 0 }, maxStepsPerEpoch: 2, filterSeen: false });
    expect(Object.keys(r.history[0].parts!).sort()).toEqual(['sa', 'ub']);
    expect(r.mix).toEqual({ content: 1, valid: {} });
  }, 60_000);

  it('gives the same gradients on 2 worker threads as on one (replicas built from the content factory)', async () => {
    const { sequences, split, features } = data();
    const run = (workers: number) => trainMolar({ split, sequences, numItems: N, features, config: { ...arch, dropout: 0, modalityDropout: 0 }, train: { maxEpochs: 1, batchSize: 16 }, maxStepsPerEpoch: 3, workers, filterSeen: false });
    const [one, two] = [await run(1), await run(2)];
    one.history[0].stepLosses.forEach((l, i) => expect(two.history[0].stepLosses[i]).toBeCloseTo(l, 4));
  }, 60_000);

  it('keeps each row history among the negatives under the history-kept protocol, and never the padding or held-out items', () => {
    const batch = { B: 1, L: 3, seq: Int32Array.from([0, 4, 5]), targets: Int32Array.from([0, 5, 6]) };
    const mask = (s: Parameters<typeof contentBatchTensors>[1]) => {
      const t = contentBatchTensors(8, s, 4);
      const m = Array.from(t.historyMask!.dataSync(), (v) => (v < 0 ? 1 : 0));
      tf.dispose(Object.values(t).filter((x): x is tf.Tensor => x instanceof tf.Tensor));
      return m;
    };
    expect(mask({ batch })).toEqual([1, 0, 0, 0, 1, 1, 1, 0, 0]);
    expect(mask({ batch, excludeHistory: false })).toEqual([1, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(mask({ batch, excludeHistory: false, exclude: Int32Array.from([2, 8]) })).toEqual([1, 0, 1, 0, 0, 0, 0, 0, 1]);
  });
});
