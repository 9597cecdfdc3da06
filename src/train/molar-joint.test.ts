import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evaluateVariants } from '../eval/evaluate.js';
import { ContentModel } from '../models/content/model.js';
import { resolveContentConfig } from '../models/content/config.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { logSoftmax, mixLogProbs } from '../score/mix.js';
import { sequentialScorer } from '../score/scorer.js';
import { BatchSampler } from './batches.js';
import { useNodeBackend } from './backend-node.js';
import { DataParallel, shardGradients } from './data-parallel.js';
import { RING_ARCH, RING_ITEMS, ringData } from './fixtures/molar-ring.js';
import { localStep } from './loop.js';
import type { MolarObjectiveConfig } from './molar-losses.js';
import { jointBatches, jointReplica, jointTrainable, type JointReplicaConfig, type JointShard } from './molar-joint.js';
import { attachMolarObjective } from './molar-task.js';
import { DEFAULT_MIX_GRID, trainMolar } from './molar.js';
import type { Trainable } from './trainable.js';

const N = RING_ITEMS;
const { sequences, split, features } = ringData();
// no dropout anywhere: a training forward is then the serving one, and shards repeat across threads
const still = { ...RING_ARCH, dropout: 0 };
const contentCfg = resolveContentConfig({ ...still, modalityDropout: 0, numItems: N, textDim: 4, imageDim: 3, numAttributes: 4, seed: 9 });
const idCfg = new SasrecModel({ ...still, numItems: N, loss: 'ce', seed: 4 }).config;
const objective = (o: Partial<MolarObjectiveConfig> = {}): MolarObjectiveConfig => ({ numItems: N, alignWeight: 0.5, alignTau: 0.2, itWeight: 0.1, itTau: 0.07, saWeight: 0.1, ...o });

function joint(o: Partial<MolarObjectiveConfig> = {}): { trainable: Trainable<JointShard>; sasrec: SasrecModel; content: ContentModel } {
  const sasrec = new SasrecModel(idCfg);
  const content = new ContentModel(contentCfg, features);
  attachMolarObjective(content, objective(o));
  return { trainable: jointTrainable(sasrec, content), sasrec, content };
}
function shards(count: number, seed = 1): JointShard[] {
  const sampler = new BatchSampler(split.train, N, still.maxLen, seed);
  return jointBatches(sampler, idCfg, { batchSize: 24, numItems: N, seed, itemTasks: true }).shards(sampler.epoch(24, true)[0], count);
}
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
/** mean cosine between the content and the SASRec user vector of the same rows */
function meanCosine(content: ContentModel, sasrec: SasrecModel, s: JointShard): number {
  return tf.tidy(() => {
    const seq = tf.tensor2d(s.id.batch.seq, [s.id.batch.B, s.id.batch.L], 'int32');
    const unit = (x: tf.Tensor2D) => x.div(tf.norm(x, 2, 1, true));
    return tf.sum(unit(content.userVector(seq)).mul(unit(sasrec.userVector(seq))), 1).mean().dataSync()[0];
  });
}

beforeAll(async () => {
  await useNodeBackend('wasm');
});

describe('joint training (molar-joint.ts)', () => {
  it('one step on the joint loss changes both models, reports id + ub + align + it + sa, and leaves no tensor behind', async () => {
    const { trainable, sasrec, content } = joint();
    const [s] = shards(1);
    const [id0, c0] = [(await sasrec.getWeights()).data, (await content.getWeights()).data];
    const adam = tf.train.adam(1e-2);
    await localStep(trainable, adam, s); // Adam's moments are made on the first step
    const before = tf.memory().numTensors;
    const r = await localStep(trainable, adam, s);
    expect(tf.memory().numTensors).toBe(before);
    expect(Object.keys(r.parts!).sort()).toEqual(['align', 'id', 'it', 'sa', 'ub']);
    expect(r.loss).toBeCloseTo(Object.values(r.parts!).reduce((a, b) => a + b, 0), 4);
    expect(maxDiff((await sasrec.getWeights()).data, id0)).toBeGreaterThan(1e-3);
    expect(maxDiff((await content.getWeights()).data, c0)).toBeGreaterThan(1e-3);
    adam.dispose();
    trainable.dispose();
  });

  it("align's gradient alone pulls the paired user vectors closer, through SASRec's weights and through the content model's", async () => {
    const [s] = shards(1);
    for (const side of ['sasrec', 'content'] as const) {
      const { trainable, sasrec, content } = joint();
      const vars = side === 'sasrec' ? sasrec.trainable : content.trainable;
      const before = meanCosine(content, sasrec, s);
      const sgd = tf.train.sgd(0.05);
      sgd.minimize(() => (trainable.loss(s) as Record<string, tf.Scalar>).align, false, vars);
      const after = meanCosine(content, sasrec, s);
      expect(after, side).toBeGreaterThan(before + 1e-3);
      sgd.dispose();
      trainable.dispose();
    }
  });

  describe('on 2 threads', () => {
    const cfg: JointReplicaConfig = { id: idCfg, content: { config: contentCfg, features, objective: objective() } };
    let dp: DataParallel;
    beforeAll(async () => {
      dp = await DataParallel.start(jointReplica(cfg), 2);
    }, 60_000);
    afterAll(async () => {
      await dp?.close();
    });

    it('the worker replica computes what the main thread does: a 2-thread step = both shards on one thread (1e-5)', async () => {
      const two = shards(2, 3);
      const a = joint();
      const sgd = tf.train.sgd(0.5);
      await dp.step(a.trainable, sgd, two, 7);
      // the same two shards on this thread, weighted by target count as DataParallel does
      const b = joint();
      const grads = [await shardGradients(b.trainable, two[0], 7 * 31), await shardGradients(b.trainable, two[1], 7 * 31 + 1)];
      const counts = two.map((s) => b.trainable.targetCount(s));
      const total = counts[0] + counts[1];
      const named: tf.NamedTensorMap = {};
      let off = 0;
      for (const v of b.trainable.trainable) {
        const g = new Float32Array(v.size);
        for (let j = 0; j < v.size; j++) g[j] = (grads[0].grads[off + j] * counts[0] + grads[1].grads[off + j] * counts[1]) / total;
        named[v.name] = tf.tensor(g, v.shape);
        off += v.size;
      }
      const sgd2 = tf.train.sgd(0.5);
      sgd2.applyGradients(named);
      tf.dispose(named);
      const [wa, wb] = [(await a.trainable.getWeights()).data, (await b.trainable.getWeights()).data];
      const init = (await joint().trainable.getWeights()).data;
      expect(maxDiff(wa, wb)).toBeLessThan(1e-5);
      expect(maxDiff(wa, init)).toBeGreaterThan(1e-3);
      for (const x of [a, b]) x.trainable.dispose();
      sgd.dispose();
      sgd2.dispose();
    }, 60_000);

    it('with only per-position losses on (SASRec + UB), a 2-thread step = the whole batch on one thread (1e-5)', async () => {
      const off = { alignWeight: 0, itWeight: 0, saWeight: 0 };
      const only = await DataParallel.start(jointReplica({ ...cfg, content: { ...cfg.content, objective: objective(off) } }), 2);
      try {
        const users = new BatchSampler(split.train, N, still.maxLen, 5).epoch(24, true)[0];
        const sampler = () => new BatchSampler(split.train, N, still.maxLen, 5);
        const data = (count: number) => jointBatches(sampler(), idCfg, { batchSize: 24, numItems: N, seed: 5, itemTasks: false }).shards(users, count);
        const [a, b] = [joint(off), joint(off)];
        const [s1, s2] = [tf.train.sgd(0.5), tf.train.sgd(0.5)];
        await only.step(a.trainable, s1, data(2), 1);
        s2.minimize(() => { const p = b.trainable.loss(data(1)[0]) as Record<string, tf.Scalar>; return p.id.add(p.ub) as tf.Scalar; }, false, b.trainable.trainable);
        expect(maxDiff((await a.trainable.getWeights()).data, (await b.trainable.getWeights()).data)).toBeLessThan(1e-5);
        for (const x of [a, b]) x.trainable.dispose();
        s1.dispose();
        s2.dispose();
      } finally {
        await only.close();
      }
    }, 60_000);
  });

  it("trainMolar order 'joint' (warm start): returns both models' weights, which load back and score the chosen mix as validation saw it", async () => {
    const warm = new SasrecModel(idCfg);
    const w0 = await warm.getWeights();
    warm.dispose();
    const r = await trainMolar({
      split, sequences, numItems: N, features,
      idModel: { config: idCfg as unknown as Record<string, unknown>, weights: w0.specs, data: w0.data },
      config: { ...RING_ARCH, seed: 9 },
      train: { order: 'joint', maxEpochs: 3, patience: 3, batchSize: 16, learningRate: 5e-3 },
      filterSeen: false,
    });
    expect(r.order).toBe('joint');
    expect(Object.keys(r.history[0].parts!).sort()).toEqual(['align', 'id', 'it', 'sa', 'ub']);
    expect(r.id).toBeDefined();
    expect(maxDiff(r.id!.weights.data, w0.data)).toBeGreaterThan(1e-3); // SASRec trained, not frozen
    // load both as a bundle reader would: SASRec from its entry, the content model from its saved form
    const id = SasrecModel.fromEntry({ config: r.id!.config as unknown as Record<string, unknown>, weights: r.id!.weights.specs }, r.id!.weights.data.slice().buffer);
    const content = ContentModel.fromSaved({ config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs }, r.weights.data.slice().buffer, features);
    content.freeze();
    const [c, d] = [sequentialScorer(content), sequentialScorer(id)];
    const w = r.mix.content;
    const v = await evaluateVariants(
      { async score(h) { const [cs, ds] = [await c.score(h), await d.score(h)]; return { mix: cs.map((row, i) => mixLogProbs(logSoftmax(row), logSoftmax(ds[i]), w)) }; } },
      split, sequences, { split: 'valid', ks: [10], filterSeen: false, batchSize: 128 },
    );
    expect(v.mix.metrics['ndcg@10']).toBeCloseTo(r.mix.valid[String(w)], 6);
    expect(r.mix.valid[String(w)]).toBe(Math.max(...Object.values(r.mix.valid)));
    id.dispose();
    content.dispose();
  }, 60_000);

  it("trains from scratch without an ID model, and refuses what the joint order cannot do", async () => {
    const r = await trainMolar({ split, sequences, numItems: N, features, config: RING_ARCH, idConfig: { loss: 'ce' }, train: { order: 'joint', maxEpochs: 1, batchSize: 16 }, maxStepsPerEpoch: 2, filterSeen: false });
    expect(r.id!.config.hidden).toBe(RING_ARCH.hidden);
    expect(Object.keys(r.mix.valid)).toHaveLength(DEFAULT_MIX_GRID.length);
    const base = { split, sequences, numItems: N, features, config: RING_ARCH, maxStepsPerEpoch: 1 };
    const joint1 = { order: 'joint' as const, maxEpochs: 1 };
    await expect(trainMolar({ ...base, train: { order: 'sideways' as 'joint' } })).rejects.toThrow(/molar order must be teacher or joint, got "sideways"/);
    await expect(trainMolar({ ...base, train: joint1, idConfig: { loss: 'ce', maxLen: 8 } })).rejects.toThrow(/maxLen/);
    await expect(trainMolar({ ...base, train: joint1, excludeItems: Int32Array.of(3) })).rejects.toThrow(/cold-start/);
    await expect(trainMolar({ ...base, idConfig: { loss: 'ce' } })).rejects.toThrow(/order 'joint' only/);
  }, 60_000);
});
