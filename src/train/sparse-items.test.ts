import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { leaveOneOut } from '../data/split.js';
import { SasrecModel } from '../models/sasrec/model.js';
import type { SasrecConfig } from '../models/sasrec/config.js';
import { mulberry32 } from '../random.js';
import { BatchSampler } from './batches.js';
import { useNodeBackend } from './backend-node.js';
import { localStep } from './loop.js';
import { sasrecObjective } from './losses.js';
import { GroupedAdam } from './optimizer.js';
import { trainSasrec } from './sasrec.js';
import { sasrecBatches, sasrecTrainable } from './sasrec-task.js';
import { SparseItemTable, sparseSasrecTrainable } from './sparse-items.js';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

/** `users` histories of `len` items drawn from `numItems` (a seeded walk with jumps). */
function walks(users: number, len: number, numItems: number, seed = 3): Int32Array[] {
  const rnd = mulberry32(seed);
  return Array.from({ length: users }, () => {
    let it = 1 + Math.floor(rnd() * numItems);
    return Int32Array.from({ length: len }, () => (it = rnd() < 0.7 ? 1 + (it % numItems) : 1 + Math.floor(rnd() * numItems)));
  });
}

describe('SparseItemTable', () => {
  it('lists each id once, padding first, and rewrites arrays as indices into the list', () => {
    const t = new SparseItemTable(new Float32Array(10 * 2), 10, 2);
    const { ids, remapped } = t.batchIds([Int32Array.from([0, 7, 3, 7]), Int32Array.from([3, 9])]);
    expect(Array.from(ids)).toEqual([0, 7, 3, 9]);
    expect(remapped.map((a) => Array.from(a))).toEqual([[0, 1, 2, 1], [2, 3]]);
    // the lookup is reset: a second batch starts afresh
    expect(Array.from(t.batchIds([Int32Array.from([9])]).ids)).toEqual([0, 9]);
  });
});

describe('sparse item updates', () => {
  const base = { numItems: 40, maxLen: 8, hidden: 8, blocks: 1, heads: 1, dropout: 0, batchSize: 6, seed: 5 };
  const variants: [string, Partial<SasrecConfig>][] = [
    ['sampled-ce with history masks', { loss: 'sampled-ce', numNegatives: 12, excludeHistory: true }],
    ['gbce', { loss: 'gbce', numNegatives: 12, excludeHistory: false }],
    ['bce (negatives per position)', { loss: 'bce', excludeHistory: false }],
    ['sampled-ce with a repeat bias', { loss: 'sampled-ce', numNegatives: 12, excludeHistory: false, repeatBias: true }],
  ];
  for (const [name, extra] of variants) {
    it(`${name}: the first step gives the loss and the weights dense Adam gives (1e-5)`, async () => {
      const seqs = walks(12, 10, 40);
      const step = async (sparse: boolean) => {
        const model = new SasrecModel({ ...base, ...extra });
        model.setObjective(sasrecObjective(model.config));
        const [shard] = sasrecBatches(new BatchSampler(seqs, 40, 8, 9), model.config).shards([0, 1, 2, 3, 4, 5], 1);
        const opt = new GroupedAdam(1e-2);
        const trainable = sparse ? sparseSasrecTrainable(model) : sasrecTrainable(model);
        const { loss } = await localStep(trainable, opt, shard, 1.3);
        const w = await trainable.getWeights();
        opt.dispose();
        trainable.dispose();
        return { loss, w: w.data };
      };
      const dense = await step(false);
      const sparse = await step(true);
      expect(Math.abs(sparse.loss - dense.loss)).toBeLessThan(1e-5);
      let maxDiff = 0;
      dense.w.forEach((x, i) => (maxDiff = Math.max(maxDiff, Math.abs(x - sparse.w[i]))));
      expect(maxDiff).toBeLessThan(1e-5);
      // and the step moved something, so the comparison tested an update
      const init = new SasrecModel({ ...base, ...extra });
      const w0 = (await init.getWeights()).data;
      init.dispose();
      expect(w0.some((x, i) => Math.abs(x - sparse.w[i]) > 1e-4)).toBe(true);
    });
  }

  it('a 200k-item catalog with a tiny D trains a step without allocating [positions × catalog] or a dense table gradient', async () => {
    const numItems = 200_000;
    const D = 4;
    const sequences = walks(40, 12, numItems, 7);
    const split = leaveOneOut(sequences);
    const before = tf.memory().numTensors;
    let maxOut = 0;
    const info = await tf.profile(async () => {
      const r = await trainSasrec({
        split, sequences, numItems, noValidation: true, maxStepsPerEpoch: 3, itemUpdates: 'sparse',
        config: { maxLen: 10, hidden: D, blocks: 1, heads: 1, dropout: 0.1, batchSize: 16, loss: 'sampled-ce', numNegatives: 64, maxEpochs: 1 },
      });
      expect(r.memory.itemUpdates).toBe('sparse');
      expect(r.history[0].stepLosses).toHaveLength(3);
      expect(r.history[0].stepLosses.every(Number.isFinite)).toBe(true);
      return tf.scalar(0);
    });
    for (const k of info.kernels) for (const s of k.outputShapes) maxOut = Math.max(maxOut, (s as number[]).reduce((a, b) => a * b, 1));
    const table = (numItems + 1) * D;
    // positions × catalog would be ≥ 16 × 200k; the largest tensor is the table itself (its variable, and the checkpoint's copy)
    expect(maxOut).toBeLessThanOrEqual(table);
    // dense updates hold the table, two Adam moments and its dense gradients at once (≥ 4 tables)
    expect(info.peakBytes).toBeLessThan(3 * table * 4);
    expect(tf.memory().numTensors).toBe(before + 1); // the profile's own scalar
  }, 60_000);
});
