/**
 * SASRec as the training loop sees it: its shards (a SeqBatch plus sampled negatives), the tensors
 * its calculateLoss takes, and the Trainable and worker replica over a SasrecModel.
 */
import * as tf from '@tensorflow/tfjs';
import type { SasrecConfig } from '../models/sasrec/config.js';
import { SasrecModel, type SasrecBatch } from '../models/sasrec/model.js';
import { BatchSampler, dealUsers, historyMask, seenAtPositions, type SeqBatch } from './batches.js';
import { sasrecObjective } from './losses.js';
import type { BatchSource, ReplicaSpec, Trainable } from './trainable.js';

/** One shard: users' inputs and targets, and bce's per-position [B*L] or the batch's shared [k] negatives. */
export interface SasrecShard {
  batch: SeqBatch;
  negatives?: Int32Array;
}

/** Target-bearing positions of a batch: each shard's mean loss is weighted by its share of these. */
export const countTargets = (b: SeqBatch): number => b.targets.reduce((n, t) => n + (t !== 0 ? 1 : 0), 0);

/**
 * A batch as the tensors calculateLoss takes; bce negatives are per position [B, L], others shared
 * [k]; with excludeHistory (ce, sampled-ce) also the [B, C] history mask (batches.ts), and with
 * repeatBias the seen indicators.
 */
export function batchTensors(cfg: Pick<SasrecConfig, 'loss' | 'numItems' | 'excludeHistory'> & { repeatBias?: boolean }, b: SeqBatch, negatives?: Int32Array): SasrecBatch {
  const seq = tf.tensor2d(b.seq, [b.B, b.L], 'int32');
  const targets = tf.tensor2d(b.targets, [b.B, b.L], 'int32');
  const out: SasrecBatch = { seq, targets };
  if (negatives !== undefined) out.negatives = cfg.loss === 'bce' ? tf.tensor2d(negatives, [b.B, b.L], 'int32') : tf.tensor1d(negatives, 'int32');
  if (cfg.excludeHistory && (cfg.loss === 'ce' || cfg.loss === 'sampled-ce')) {
    const cols = cfg.loss === 'ce' ? cfg.numItems + 1 : negatives!.length;
    out.historyMask = tf.tensor2d(historyMask(b, cfg.numItems, cfg.loss === 'ce' ? undefined : negatives), [b.B, cols]);
  }
  if (cfg.repeatBias) out.seen = seenAtPositions(b.seq, b.L, b.targets, cfg.loss === 'ce' ? undefined : negatives, cfg.numItems);
  return out;
}

export const disposeBatch = (t: SasrecBatch): void => tf.dispose([t.seq, t.targets, t.negatives, t.historyMask, t.seen?.pos, t.seen?.cols].filter((x): x is tf.Tensor => x !== undefined));

/** The loop's view of a SasrecModel (with its objective attached). Disposing it disposes the model. */
export function sasrecTrainable(model: SasrecModel): Trainable<SasrecShard> {
  return {
    specs: model.specs,
    get trainable() {
      return model.trainable;
    },
    loss: ({ batch, negatives }) => model.calculateLoss(batchTensors(model.config, batch, negatives)),
    targetCount: ({ batch }) => countTargets(batch),
    seedDropout: (seed) => model.seedDropout(seed),
    getWeights: () => model.getWeights(),
    setWeights: (specs, data) => model.setWeights(specs, data),
    dispose: () => model.dispose(),
  };
}

/**
 * Batches of users from the sampler. Negatives: bce one per position of each shard; gbce and
 * sampled-ce k shared by the whole batch (drawn once, before the shards); ce none.
 */
export function sasrecBatches(sampler: BatchSampler, cfg: SasrecConfig, lengthBuckets = true): BatchSource<SasrecShard> {
  return {
    epoch: () => sampler.epoch(cfg.batchSize, lengthBuckets),
    shards(users, count) {
      const shared = cfg.loss === 'gbce' || cfg.loss === 'sampled-ce' ? sampler.shared(cfg.numNegatives) : undefined;
      return dealUsers(users, count).map((u) => {
        const batch = sampler.batch(u);
        return { batch, negatives: cfg.loss === 'bce' ? sampler.perPosition(batch.targets) : shared };
      });
    },
    meanTargetsPerUser: sampler.meanTargetsPerUser,
  };
}

/** A SASRec model of `config` with its training objective attached (what each worker builds). */
export function createSasrecReplica(config: SasrecConfig): Trainable<SasrecShard> {
  const model = new SasrecModel(config);
  model.setObjective(sasrecObjective(model.config));
  return sasrecTrainable(model);
}

/** How a worker thread builds a SASRec replica (DataParallel.start). */
export const sasrecReplica = (config: SasrecConfig): ReplicaSpec => ({ module: new URL('./sasrec-task.ts', import.meta.url).href, exportName: 'createSasrecReplica', config });
