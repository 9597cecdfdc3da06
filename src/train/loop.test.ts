import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { leaveOneOut } from '../data/split.js';
import type { ScorableModel } from '../score/scorer.js';
import { BatchSampler, dealUsers, type SeqBatch } from './batches.js';
import { useNodeBackend } from './backend-node.js';
import { DataParallel } from './data-parallel.js';
import { ToyModel, type ToyConfig } from './fixtures/toy-model.js';
import { localStep, partsText, trainLoop, type EpochReport } from './loop.js';
import type { BatchSource } from './trainable.js';

const N = 20;
const config: ToyConfig = { numItems: N, maxLen: 8, hidden: 8, seed: 4 };
/** 40 users walking a ring of N items one step at a time: the next item is always last + 1 */
const sequences = Array.from({ length: 40 }, (_, u) => Int32Array.from({ length: 8 }, (_, t) => 1 + ((u + t) % N)));
const split = leaveOneOut(sequences);

function source(seed = 1): BatchSource<SeqBatch> & { epochs: number } {
  const sampler = new BatchSampler(split.train, N, config.maxLen, seed);
  const s = {
    epochs: 0,
    epoch: () => (s.epochs++, sampler.epoch(8)),
    shards: (users: number[], count: number) => dealUsers(users, count).map((u) => sampler.batch(u)),
    meanTargetsPerUser: sampler.meanTargetsPerUser,
  };
  return s;
}

/**
 * Validation by script: in epoch e the valid target ranks ranks[e-1] (NDCG@10 = 1/log2(rank+1)),
 * whatever the weights, so the test decides when validation improves.
 */
function scripted(data: { epochs: number }, ranks: number[]): ScorableModel {
  return {
    numItems: N,
    maxLen: config.maxLen,
    dispose() {},
    fullSortPredict(seq) {
      const last = tf.tidy(() => seq.slice([0, seq.shape[1] - 1], [-1, 1]).dataSync());
      const rank = ranks[data.epochs - 1];
      const rows = Array.from(last, (item) => {
        const target = 1 + (item % N);
        // rank - 1 other items score above the target, the rest below
        return Array.from({ length: N + 1 }, (_, i) => (i === target ? 0 : i > 0 && (i - target + N) % N < rank ? 1 : -1));
      });
      return tf.tensor2d(rows);
    },
  };
}

const flat = (m: ToyModel) => Float32Array.from(m.trainable.flatMap((v) => Array.from(v.dataSync())));

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('trainLoop on a model that is not SASRec', () => {
  it('reports each loss part per epoch, stops on patience, and keeps the best epoch\'s weights', async () => {
    const model = new ToyModel(config);
    const data = source();
    const optimizer = tf.train.adam(0.02);
    const snaps: Float32Array[] = [];
    const before = tf.memory().numTensors;
    const r = await trainLoop({
      model, data, optimizer, schedule: { learningRate: 0.02, lrSchedule: 'constant' }, maxEpochs: 50, patience: 3, seed: 1,
      validation: { model: scripted(data, [3, 1, 2, 4, 5, 1, 1]), split, sequences, filterSeen: false },
      onEpoch: () => snaps.push(flat(model)),
    });
    expect(tf.memory().numTensors - before).toBe(model.trainable.length * 2); // Adam's two slots per weight, nothing else
    expect(r.stoppedBy).toBe('patience');
    expect(r.history.map((e) => e.epoch)).toEqual([1, 2, 3, 4, 5]);
    expect(r.bestEpoch).toBe(2);
    expect(r.bestValid!['ndcg@10']).toBe(1);
    expect(r.history[0].validNdcg10).toBeCloseTo(0.5, 6);
    expect(Array.from(r.weights.data)).toEqual(Array.from(snaps[1]));
    expect(Array.from(r.weights.data)).not.toEqual(Array.from(snaps[4]));
    for (const e of r.history as EpochReport[]) {
      expect(Object.keys(e.parts!)).toEqual(['rec', 'align']);
      expect(e.loss).toBeCloseTo(e.parts!.rec + e.parts!.align, 5);
    }
    // the parts are each the epoch's own: rec falls as the bigram is learnt, align is not rec
    expect(r.history[4].parts!.rec).toBeLessThan(r.history[0].parts!.rec);
    expect(r.history[0].parts!.align).not.toBeCloseTo(r.history[0].parts!.rec, 2);
    expect(partsText(r.history[0].parts)).toBe(` (rec ${r.history[0].parts!.rec.toFixed(4)} align ${r.history[0].parts!.align.toFixed(4)})`);
    expect(partsText(undefined)).toBe('');
    optimizer.dispose();
    model.dispose();
  }, 60_000);

  it('leaks no tensor per step', async () => {
    const model = new ToyModel(config);
    const data = source();
    const optimizer = tf.train.adam(1e-3);
    const [shard] = data.shards([0, 1, 2, 3], 1);
    await localStep(model, optimizer, shard); // creates Adam's slots
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      const r = await localStep(model, optimizer, shard, 0.5);
      expect(Object.keys(r.parts!)).toEqual(['rec', 'align']);
    }
    expect(tf.memory().numTensors).toBe(before);
    optimizer.dispose();
    model.dispose();
  });
});

describe('trainLoop progress off a terminal', () => {
  it('prints one plain line per epoch (loss, its parts, valid NDCG@10, minutes) when stderr is not a TTY', async () => {
    const model = new ToyModel(config);
    const data = source();
    const optimizer = tf.train.adam(0.02);
    const tty = Object.getOwnPropertyDescriptor(process.stderr, 'isTTY');
    Object.defineProperty(process.stderr, 'isTTY', { value: false, configurable: true });
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    let lines: string[] = [];
    try {
      await trainLoop({
        model, data, optimizer, schedule: { learningRate: 0.02, lrSchedule: 'constant' }, maxEpochs: 2, patience: 5, seed: 1, progress: true,
        validation: { model: scripted(data, [2, 1]), split, sequences, filterSeen: false },
      });
      lines = spy.mock.calls.map((c) => String(c[0]));
    } finally {
      spy.mockRestore();
      if (tty) Object.defineProperty(process.stderr, 'isTTY', tty);
      else delete (process.stderr as { isTTY?: boolean }).isTTY;
    }
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^epoch 1: loss \d+\.\d{4} \(rec \d+\.\d{4} align \d+\.\d{4}\) \| valid NDCG@10 0\.6309 \| \d+\.\d\d min\n$/);
    expect(lines[1]).toMatch(/^epoch 2: .* valid NDCG@10 1\.0000 /);
    optimizer.dispose();
    model.dispose();
  });
});

/** A validation model that spends `ms` scoring all users (in proportion for fewer), as a big catalog's does. */
function slowValidation(data: { epochs: number }, ms: number): ScorableModel {
  const fast = scripted(data, Array(100).fill(1));
  return { ...fast, fullSortPredict(seq) {
    const until = Date.now() + (ms * seq.shape[0]) / sequences.length;
    while (Date.now() < until);
    return fast.fullSortPredict(seq);
  } };
}

describe('trainLoop time budget', () => {
  async function run(budget: number, validMs: number, stepMs = 0) {
    const model = new ToyModel(config);
    const data = source();
    // slow steps: each shard takes stepMs to cut
    const slow = { ...data, shards: (users: number[], count: number) => {
      const until = Date.now() + stepMs;
      while (Date.now() < until);
      return data.shards(users, count);
    } };
    const optimizer = tf.train.adam(0.02);
    const t = Date.now();
    const r = await trainLoop({
      model, data: slow, optimizer, schedule: { learningRate: 0.02, lrSchedule: 'constant' }, maxEpochs: 100, patience: 100, seed: 1,
      validation: { model: slowValidation(data, validMs), split, sequences, filterSeen: false }, timeBudgetMs: budget,
    });
    const wall = Date.now() - t;
    optimizer.dispose();
    model.dispose();
    return { r, wall };
  }

  it('ends within the budget, validation included: it stops an epoch when the next step and a validation pass would not fit', async () => {
    // checked only after each validation, the loop ran a third epoch and ended ~3 validations in
    const { r, wall } = await run(2000, 800);
    expect(wall).toBeLessThanOrEqual(2000 + 200); // the old loop: ~2460
    expect(r.stoppedBy).toBe('timeBudget');
    expect(r.history.length).toBe(2);
  }, 60_000);

  it('knows the first validation\'s length before it runs (a probe), so a first epoch longer than the budget stops in time', async () => {
    // 5 steps of 200 ms and a 1000 ms validation: without the probe the whole first epoch ran, then validated, 2000 ms in
    const { r, wall } = await run(1500, 1000, 200);
    expect(wall).toBeLessThanOrEqual(1500 * 1.05);
    expect(r.history.length).toBe(1);
    expect(r.history[0].stepLosses.length).toBeLessThan(5);
  }, 60_000);
});

describe('DataParallel with a replica from another model\'s factory', () => {
  let dp: DataParallel;
  beforeAll(async () => {
    dp = await DataParallel.start({ module: new URL('./fixtures/toy-model.ts', import.meta.url).href, exportName: 'createToyReplica', config }, 2);
  }, 60_000);
  afterAll(async () => {
    await dp?.close();
  });

  it('two shards in two threads give the whole batch gradient and its loss parts', async () => {
    const data = source(3);
    const users = Array.from({ length: 16 }, (_, u) => u);
    const [whole, split2] = [new ToyModel(config), new ToyModel(config)];
    const [sgd1, sgd2] = [tf.train.sgd(0.5), tf.train.sgd(0.5)];
    const a = await localStep(whole, sgd1, data.shards(users, 1)[0]);
    const b = await dp.step(split2, sgd2, data.shards(users, 2), 1);
    expect(b.loss).toBeCloseTo(a.loss, 5);
    expect(b.parts!.rec).toBeCloseTo(a.parts!.rec, 5);
    expect(b.parts!.align).toBeCloseTo(a.parts!.align, 5);
    const [wa, wb, init] = [flat(whole), flat(split2), flat(new ToyModel(config))];
    let moved = 0;
    for (let i = 0; i < wa.length; i++) {
      expect(Math.abs(wa[i] - wb[i])).toBeLessThan(1e-5);
      moved = Math.max(moved, Math.abs(wa[i] - init[i]));
    }
    expect(moved).toBeGreaterThan(1e-3);
    for (const x of [whole, split2]) x.dispose();
    sgd1.dispose();
    sgd2.dispose();
  }, 60_000);
});
