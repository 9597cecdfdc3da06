/**
 * Molar's content model as the training loop sees it (the counterpart of sasrec-task.ts): its
 * shards (a SeqBatch, the frozen ID model's user vectors for those rows, the items the item-model
 * tasks sample), the Trainable over a ContentModel, and the worker replica.
 */
import * as tf from '@tensorflow/tfjs';
import type { ContentConfig } from '../models/content/config.js';
import { ContentModel, type ContentBatch } from '../models/content/model.js';
import type { ItemFeatures } from '../models/fusion/features.js';
import type { SasrecModel } from '../models/sasrec/model.js';
import { mulberry32 } from '../random.js';
import { BatchSampler, dealUsers, historyMask, MASKED, type SeqBatch } from './batches.js';
import { molarObjective, type MolarObjectiveConfig } from './molar-losses.js';
import { countTargets } from './sasrec-task.js';
import type { BatchSource, ReplicaSpec, Trainable } from './trainable.js';

export interface ContentShard {
  batch: SeqBatch;
  /** [B * D] the frozen ID model's last-position user vector of each row */
  teacher?: Float32Array;
  /** item ids for the IT / SA tasks this step */
  sample?: Int32Array;
  /** item ids left out of every row's softmax (a cold-start experiment's held-out items) */
  exclude?: Int32Array;
  /**
   * false: the row's own history stays among its negatives (the history-kept protocol, as SASRec's
   * excludeHistory); default true
   */
  excludeHistory?: boolean;
}

/** Items the item-model tasks read per step: the batch's targets, topped up at random to this many. */
export const ITEM_SAMPLE = 256;

/** A shard as the tensors ContentModel.calculateLoss takes (freed by the loop's tape). */
export function contentBatchTensors(numItems: number, s: ContentShard, hidden: number): ContentBatch {
  const { batch: b } = s;
  const mask = s.excludeHistory === false ? paddingMask(b.B, numItems) : historyMask(b, numItems);
  if (s.exclude) for (let r = 0; r < b.B; r++) for (const i of s.exclude) mask[r * (numItems + 1) + i] = MASKED;
  return {
    seq: tf.tensor2d(b.seq, [b.B, b.L], 'int32'),
    targets: tf.tensor2d(b.targets, [b.B, b.L], 'int32'),
    historyMask: tf.tensor2d(mask, [b.B, numItems + 1]),
    ...(s.teacher ? { teacher: tf.tensor2d(s.teacher, [b.B, hidden]) } : {}),
    ...(s.sample ? { itemSample: tf.tensor1d(s.sample, 'int32') } : {}),
  };
}

/** [B, N+1] additive mask that takes only the padding column out of every row's softmax. */
function paddingMask(B: number, numItems: number): Float32Array {
  const out = new Float32Array(B * (numItems + 1));
  for (let r = 0; r < B; r++) out[r * (numItems + 1)] = MASKED;
  return out;
}

export function contentTrainable(model: ContentModel): Trainable<ContentShard> {
  return {
    specs: model.specs,
    get trainable() {
      return model.trainable;
    },
    loss: (s) => model.calculateLoss(contentBatchTensors(model.numItems, s, model.config.hidden)),
    targetCount: ({ batch }) => countTargets(batch),
    seedDropout: (seed) => model.seedDropout(seed),
    getWeights: () => model.getWeights(),
    setWeights: (specs, data) => model.setWeights(specs, data),
    dispose: () => model.dispose(),
  };
}

/**
 * Batches from the sampler, each with the teacher's user vectors (computed here, on the main
 * thread, once per batch: workers need no copy of the ID model) and the item sample.
 */
export function contentBatches(sampler: BatchSampler, opts: { batchSize: number; numItems: number; seed: number; teacher?: SasrecModel; itemTasks: boolean; exclude?: Int32Array; excludeHistory?: boolean }): BatchSource<ContentShard> {
  const rnd = mulberry32(opts.seed ^ 0x17e4);
  const excluded = new Set(opts.exclude ?? []);
  return {
    epoch: () => sampler.epoch(opts.batchSize, true),
    shards(users, count) {
      return dealUsers(users, count).map((u) => {
        const batch = sampler.batch(u);
        const shard: ContentShard = { batch, ...(opts.exclude ? { exclude: opts.exclude } : {}), ...(opts.excludeHistory === false ? { excludeHistory: false } : {}) };
        if (opts.teacher) {
          shard.teacher = tf.tidy(() => opts.teacher!.userVector(tf.tensor2d(batch.seq, [batch.B, batch.L], 'int32')).dataSync() as Float32Array);
        }
        if (opts.itemTasks) shard.sample = itemSample(batch.targets, opts.numItems, rnd, excluded);
        return shard;
      });
    },
    meanTargetsPerUser: sampler.meanTargetsPerUser,
  };
}

/** The batch's distinct targets, then random items (none of `excluded`), up to ITEM_SAMPLE distinct ids. */
function itemSample(targets: Int32Array, numItems: number, rnd: () => number, excluded: Set<number>): Int32Array {
  const want = Math.min(ITEM_SAMPLE, numItems - excluded.size);
  const ids = new Set<number>();
  for (const t of targets) if (t > 0 && ids.size < want) ids.add(t);
  while (ids.size < want) {
    const i = 1 + Math.floor(rnd() * numItems);
    if (!excluded.has(i)) ids.add(i);
  }
  return Int32Array.from(ids);
}

/** What a worker needs to build its replica (structured-cloneable). */
export interface ContentReplicaConfig {
  config: ContentConfig;
  features: ItemFeatures;
  objective: MolarObjectiveConfig;
}

/** Attaches Molar's objective to a content model, with whether UB's gradient reaches the head. */
export function attachMolarObjective(model: ContentModel, objective: MolarObjectiveConfig): void {
  model.setObjective(molarObjective(objective), { ubToHead: objective.ubToHead ?? true, knownItems: objective.knownItems });
}

export function createContentReplica({ config, features, objective }: ContentReplicaConfig): Trainable<ContentShard> {
  const model = new ContentModel(config, features);
  attachMolarObjective(model, objective);
  return contentTrainable(model);
}

export const contentReplica = (config: ContentReplicaConfig): ReplicaSpec => ({ module: new URL('./molar-task.ts', import.meta.url).href, exportName: 'createContentReplica', config });
