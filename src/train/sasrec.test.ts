import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { leaveOneOut } from '../data/split.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { mulberry32 } from '../random.js';
import { BatchSampler } from './batches.js';
import { useNodeBackend } from './backend-node.js';
import { sasrecObjective } from './losses.js';
import { trainSasrec, trainStep } from './sasrec.js';

/** 60 users walking a ring of 30 items with small jumps: learnable next-item structure. */
function tinyData(): Int32Array[] {
  const rnd = mulberry32(11);
  return Array.from({ length: 60 }, () => {
    let it = 1 + Math.floor(rnd() * 30);
    return Int32Array.from({ length: 12 }, () => (it = 1 + ((it + (rnd() < 0.8 ? 0 : 1)) % 30)));
  });
}
const base = { maxLen: 10, hidden: 16, blocks: 1, heads: 1, dropout: 0.1, batchSize: 16, learningRate: 5e-3 };

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('trainSasrec', () => {
  it('same seed, same loss curve (and a different seed differs)', async () => {
    const sequences = tinyData();
    const split = leaveOneOut(sequences);
    const run = (seed: number) => trainSasrec({ split, sequences, numItems: 30, noValidation: true, config: { ...base, loss: 'gbce', numNegatives: 8, maxEpochs: 2, seed } });
    const a = await run(1);
    const b = await run(1);
    const c = await run(2);
    const curve = (r: Awaited<ReturnType<typeof run>>) => r.history.flatMap((e) => e.stepLosses);
    expect(curve(a)).toEqual(curve(b));
    expect(curve(a)).not.toEqual(curve(c));
    expect(Array.from(a.weights.data)).toEqual(Array.from(b.weights.data));
  });

  it('trains: loss falls, valid NDCG@10 beats chance, best checkpoint kept and loadable', async () => {
    const sequences = tinyData();
    const split = leaveOneOut(sequences);
    const r = await trainSasrec({ split, sequences, numItems: 30, filterSeen: false, config: { ...base, loss: 'sampled-ce', numNegatives: 20, maxEpochs: 8, patience: 8 } });
    const losses = r.history.map((e) => e.loss);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0]);
    const best = Math.max(...r.history.map((e) => e.validNdcg10!));
    expect(r.bestValid!['ndcg@10']).toBe(best);
    expect(best).toBeGreaterThan(0.15); // chance is ~0.1 with 30 items
    const m = SasrecModel.fromEntry({ config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs }, r.weights.data);
    m.dispose();
  }, 30_000);

  it('leaks no tensor per training step', async () => {
    const sequences = tinyData();
    // ce and sampled-ce go through the history mask (excludeHistory defaults on)
    for (const loss of ['bce', 'ce', 'gbce', 'sampled-ce'] as const) {
      const m = new SasrecModel({ ...base, numItems: 30, loss, numNegatives: loss === 'gbce' || loss === 'sampled-ce' ? 8 : undefined });
      m.setObjective(sasrecObjective(m.config));
      const s = new BatchSampler(sequences, 30, 10, 1);
      const opt = tf.train.adam(1e-3);
      const users = [0, 1, 2, 3];
      await trainStep(m, opt, s, users, m.config); // creates Adam slots
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) await trainStep(m, opt, s, users, m.config);
      expect(tf.memory().numTensors).toBe(before);
      opt.dispose();
      m.dispose();
    }
  });
});

describe('repeat bias', () => {
  it('learns to push down items already seen when users never come back to them (and leaks no tensor per step)', async () => {
    // every user walks 12 distinct items: a seen item is never the next one
    const sequences = Array.from({ length: 60 }, (_, u) => Int32Array.from({ length: 12 }, (_, t) => 1 + ((u + 3 * t) % 30)));
    const split = leaveOneOut(sequences);
    for (const loss of ['ce', 'sampled-ce'] as const) {
      const r = await trainSasrec({ split, sequences, numItems: 30, filterSeen: false, noValidation: true, config: { ...base, loss, numNegatives: loss === 'ce' ? undefined : 12, excludeHistory: false, repeatBias: true, maxEpochs: 6 } });
      const bias = r.weights.data[r.weights.data.length - 1];
      expect(r.weights.specs[r.weights.specs.length - 1].name).toBe('repeat_bias');
      expect(bias, loss).toBeLessThan(-0.05);
    }
    const m = new SasrecModel({ ...base, numItems: 30, loss: 'ce', excludeHistory: false, repeatBias: true });
    m.setObjective(sasrecObjective(m.config));
    const s = new BatchSampler(sequences, 30, 10, 1);
    const opt = tf.train.adam(1e-3);
    await trainStep(m, opt, s, [0, 1, 2, 3], m.config);
    const before = tf.memory().numTensors;
    await trainStep(m, opt, s, [0, 1, 2, 3], m.config);
    expect(tf.memory().numTensors).toBe(before);
    opt.dispose();
    m.dispose();
  }, 30_000);
});

describe('position weighting', () => {
  it('scales each step by its targets over the average batch: the same first loss, a different curve after', async () => {
    const sequences = tinyData().map((s, u) => s.subarray(0, 3 + (u % 10))); // lengths 3..12
    const split = leaveOneOut(sequences);
    const s = new BatchSampler(split.train, 30, 10, 1);
    const lens = split.train.filter((t) => t.length >= 2).map((t) => Math.min(10, t.length - 1));
    expect(s.meanTargetsPerUser).toBeCloseTo(lens.reduce((a, b) => a + b, 0) / lens.length, 12);
    const run = (positionWeighting: boolean) => trainSasrec({ split, sequences, numItems: 30, noValidation: true, positionWeighting, config: { ...base, loss: 'sampled-ce', numNegatives: 8, maxEpochs: 1 } });
    const [a, b] = [(await run(false)).history[0].stepLosses, (await run(true)).history[0].stepLosses];
    expect(b[0]).toBeCloseTo(a[0], 5); // the reported loss is the batch mean either way
    expect(b.slice(1)).not.toEqual(a.slice(1));
  }, 30_000);

  it("positions 'from-oldest' trains its table where items sit in each window, and the result carries it", async () => {
    const sequences = tinyData();
    const split = leaveOneOut(sequences);
    const run = (positions: 'from-newest' | 'from-oldest') => trainSasrec({ split, sequences, numItems: 30, noValidation: true, config: { ...base, positions, loss: 'ce', maxEpochs: 1 } });
    const [newest, oldest] = [await run('from-newest'), await run('from-oldest')];
    expect(oldest.config.positions).toBe('from-oldest');
    // same seed, init and batches: only the rows each position reads differ, from the first step on
    expect(oldest.history[0].stepLosses[0]).not.toBe(newest.history[0].stepLosses[0]);
    expect(oldest.weights.data).not.toEqual(newest.weights.data);
    expect(oldest.history[0].stepLosses.every(Number.isFinite)).toBe(true);
  }, 30_000);

  it('weightAverage validates and keeps the averaged weights without changing the training path', async () => {
    const sequences = tinyData();
    const split = leaveOneOut(sequences);
    const run = (weightAverage?: number) => trainSasrec({ split, sequences, numItems: 30, filterSeen: false, weightAverage, config: { ...base, loss: 'sampled-ce', numNegatives: 8, maxEpochs: 3, patience: 3 } });
    const plain = await run();
    const before = tf.memory().numTensors;
    const averaged = await run(0.9);
    expect(tf.memory().numTensors).toBe(before);
    const curve = (r: typeof plain) => r.history.flatMap((e) => e.stepLosses);
    expect(curve(averaged)).toEqual(curve(plain)); // the swap for validation puts the trained weights back
    expect(averaged.history.map((e) => e.validNdcg10)).not.toEqual(plain.history.map((e) => e.validNdcg10));
    expect(Array.from(averaged.weights.data)).not.toEqual(Array.from(plain.weights.data));
  }, 30_000);
});

describe('cosine-time schedule', () => {
  it('decays over the time budget and stops there (mid-epoch), keeping the best checkpoint; refuses to run without a budget', async () => {
    const sequences = tinyData();
    const split = leaveOneOut(sequences);
    const config = { ...base, loss: 'sampled-ce' as const, numNegatives: 8, maxEpochs: 10_000, patience: 10_000, lrSchedule: 'cosine-time' as const, batchSize: 4 };
    const r = await trainSasrec({ split, sequences, numItems: 30, config, timeBudgetMs: 2_000 });
    expect(r.stoppedBy).toBe('timeBudget');
    expect(r.history.length).toBeGreaterThan(0);
    expect(r.history.length).toBeLessThan(10_000);
    // the budget ends training: one validation pass may follow, not another whole epoch
    expect(r.wallMs).toBeLessThan(2_000 + 2 * Math.max(...r.history.map((e) => e.epochMs)) + 1_000);
    await expect(trainSasrec({ split, sequences, numItems: 30, config })).rejects.toThrow(/time budget/);
  }, 30_000);
});

describe('trainForBuild', () => {
  it('--keep-seen keeps history among the negatives and learns a repeat bias; the default leaves history out', async () => {
    const { trainForBuild } = await import('./build-step.js');
    const sequences = tinyData();
    const ctx = { split: leaveOneOut(sequences), dataset: { sequences, numItems: 30 } as never, progress: () => {} };
    const run = (keepSeen?: boolean, config = {}) => trainForBuild(ctx, { config: { ...base, maxEpochs: 1, ...config }, workers: 1, progress: false, keepSeen });
    const plain = (await run()).config;
    expect([plain.excludeHistory, plain.repeatBias]).toEqual([true, false]);
    const kept = (await run(true)).config;
    expect([kept.excludeHistory, kept.repeatBias]).toEqual([false, true]);
    // bce cannot carry the bias, and an explicit false wins
    expect((await run(true, { loss: 'bce' })).config.repeatBias).toBe(false);
    expect((await run(true, { repeatBias: false })).config.repeatBias).toBe(false);
  }, 30_000);
});

describe('learning-rate schedule', () => {
  it('cosine falls from learningRate to 0 over maxEpochs; constant stays', async () => {
    const { learningRateAt } = await import('./sasrec.js');
    const cos = { learningRate: 0.01, lrSchedule: 'cosine' as const };
    expect(learningRateAt(cos, 0)).toBeCloseTo(0.01, 12);
    expect(learningRateAt(cos, 0.5)).toBeCloseTo(0.005, 12);
    expect(learningRateAt(cos, 1)).toBeCloseTo(0, 12);
    expect(learningRateAt(cos, 0.25)).toBeGreaterThan(learningRateAt(cos, 0.75));
    expect(learningRateAt({ learningRate: 0.01, lrSchedule: 'constant' }, 0.9)).toBe(0.01);
  });

  it('warmupSteps ramps the first steps linearly up to the schedule, then follows it', async () => {
    const { learningRateAt } = await import('./sasrec.js');
    const warm = { learningRate: 0.01, lrSchedule: 'cosine' as const, warmupSteps: 4 };
    expect([0, 1, 2, 3].map((s) => learningRateAt(warm, 0, s))).toEqual([0.0025, 0.005, 0.0075, 0.01]);
    expect(learningRateAt(warm, 0.5, 2)).toBeCloseTo(0.00375, 12); // 3/4 of the cosine's 0.005
    expect(learningRateAt(warm, 0.5, 4)).toBeCloseTo(0.005, 12);
    expect(learningRateAt({ ...warm, warmupSteps: 0 }, 0, 0)).toBe(0.01);
  });

  it('warmupSteps changes the first steps of a run and is range-checked', async () => {
    const sequences = tinyData();
    const split = leaveOneOut(sequences);
    const run = (warmupSteps: number) => trainSasrec({ split, sequences, numItems: 30, noValidation: true, config: { ...base, loss: 'sampled-ce', numNegatives: 8, maxEpochs: 1, warmupSteps } });
    const [a, b] = [(await run(0)).history[0].stepLosses, (await run(3)).history[0].stepLosses];
    expect(b[0]).toBeCloseTo(a[0], 5); // same init, same first batch
    expect(b[1]).not.toBeCloseTo(a[1], 6); // a third of the first step
    await expect(run(-1)).rejects.toThrow(/warmupSteps/);
  }, 30_000);
});
