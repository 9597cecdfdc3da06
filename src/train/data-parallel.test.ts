import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leaveOneOut } from '../data/split.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { mulberry32 } from '../random.js';
import { BatchSampler } from './batches.js';
import { useNodeBackend } from './backend-node.js';
import { DataParallel } from './data-parallel.js';
import { batchTensors, sasrecReplica, sasrecTrainable } from './sasrec-task.js';
import { sasrecObjective } from './losses.js';
import { trainSasrec } from './sasrec.js';

/** users of different lengths, so shards pad to different L than the whole batch */
function data(): Int32Array[] {
  const rnd = mulberry32(5);
  return Array.from({ length: 24 }, (_, u) => Int32Array.from({ length: 4 + (u % 2) * 6 + (u % 3) }, () => 1 + Math.floor(rnd() * 40)));
}
const cfg = { numItems: 40, maxLen: 12, hidden: 16, blocks: 1, heads: 2, dropout: 0, loss: 'sampled-ce' as const, numNegatives: 10, seed: 3 };

let dp: DataParallel;
beforeAll(async () => {
  await useNodeBackend('wasm');
  dp = await DataParallel.start(sasrecReplica({ ...cfg, ...new SasrecModel(cfg).config }), 2);
}, 60_000);
afterAll(async () => {
  await dp?.close();
});

describe('DataParallel', () => {
  it('two shards in two threads give the whole batch gradient (SGD step, no dropout)', async () => {
    const seqs = data();
    const users = seqs.map((_, u) => u);
    const sampler = new BatchSampler(seqs, 40, 12, 1);
    const negatives = sampler.shared(10);
    const whole = new SasrecModel(cfg);
    const split = new SasrecModel(cfg);
    for (const m of [whole, split]) m.setObjective(sasrecObjective(m.config));
    const sgd1 = tf.train.sgd(1);
    const sgd2 = tf.train.sgd(1);
    const all = sampler.batch(users);
    // with the default history mask: each shard masks its own rows, so the union is the whole mask
    const t = batchTensors(whole.config, all, negatives);
    expect(t.historyMask).toBeDefined();
    sgd1.minimize(() => whole.calculateLoss(t), false, whole.trainable);
    const shards = [0, 1].map((s) => ({ batch: sampler.batch(users.filter((u) => u % 2 === s)), negatives }));
    expect(shards[0].batch.L).not.toBe(shards[1].batch.L);
    await dp.step(sasrecTrainable(split), sgd2, shards, 1);
    const a = (await whole.getWeights()).data;
    const b = (await split.getWeights()).data;
    const init = (await new SasrecModel(cfg).getWeights()).data;
    let moved = 0;
    for (let i = 0; i < a.length; i++) {
      expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
      moved = Math.max(moved, Math.abs(a[i] - init[i]));
    }
    expect(moved).toBeGreaterThan(1e-3); // the step did something
    for (const x of [whole, split]) x.dispose();
    sgd1.dispose();
    sgd2.dispose();
  }, 60_000);

  it('gradScale multiplies the averaged gradient (position weighting), as scaling the whole batch loss does', async () => {
    const seqs = data();
    const users = seqs.map((_, u) => u);
    const sampler = new BatchSampler(seqs, 40, 12, 2);
    const negatives = sampler.shared(10);
    const whole = new SasrecModel(cfg);
    const split = new SasrecModel(cfg);
    for (const m of [whole, split]) m.setObjective(sasrecObjective(m.config));
    const [sgd1, sgd2] = [tf.train.sgd(1), tf.train.sgd(1)];
    const t = batchTensors(whole.config, sampler.batch(users), negatives);
    sgd1.minimize(() => whole.calculateLoss(t).mul(0.25), false, whole.trainable);
    const shards = [0, 1].map((s) => ({ batch: sampler.batch(users.filter((u) => u % 2 === s)), negatives }));
    await dp.step(sasrecTrainable(split), sgd2, shards, 1, 0.25);
    const a = (await whole.getWeights()).data;
    const b = (await split.getWeights()).data;
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThan(1e-5);
    for (const x of [whole, split]) x.dispose();
    tf.dispose([t.seq, t.targets, t.negatives!, t.historyMask!]);
    sgd1.dispose();
    sgd2.dispose();
  }, 60_000);

  it('trainSasrec with 2 workers: seeded (same curve twice), loss falls, no tensor leak', async () => {
    const sequences = data();
    const split = leaveOneOut(sequences);
    const before = tf.memory().numTensors;
    const run = (workers = 2) => trainSasrec({ split, sequences, numItems: 40, noValidation: true, workers, config: { ...cfg, dropout: 0.2, batchSize: 8, maxEpochs: 4, learningRate: 1e-2 } });
    const r1 = await run();
    const r2 = await run();
    const curve = (r: typeof r1) => r.history.flatMap((e) => e.stepLosses);
    expect(curve(r1)).toEqual(curve(r2));
    expect(r1.history[3].loss).toBeLessThan(r1.history[0].loss);
    expect(tf.memory().numTensors).toBe(before);
  }, 120_000);
});
