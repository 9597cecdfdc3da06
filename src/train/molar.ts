import * as tf from '@tensorflow/tfjs';
import type { LeaveOneOutSplit } from '../data/types.js';
import { evaluateVariants } from '../eval/evaluate.js';
import { MolarError } from '../errors.js';
import { resolveContentConfig, resolveMolarTrainConfig, type ContentConfig, type MolarTrainConfig } from '../models/content/config.js';
import { ContentModel } from '../models/content/model.js';
import type { ItemFeatures } from '../models/fusion/features.js';
import type { WeightBlob, WeightSpec } from '../models/nn/weights.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { logSoftmax, mixLogProbs } from '../score/mix.js';
import { sequentialScorer } from '../score/scorer.js';
import { BatchSampler } from './batches.js';
import { trainLoop, type EpochReport, type TrainLoopResult } from './loop.js';
import { alignItemsToIdTable } from './molar-item-align.js';
import { molarObjective, type MolarObjectiveConfig } from './molar-losses.js';
import { contentBatches, contentReplica, contentTrainable } from './molar-task.js';

/** The trained ID model a content model aligns to and mixes with (a SASRec checkpoint). */
export interface IdModel {
  config: Record<string, unknown>;
  weights: WeightSpec[];
  data: Float32Array;
}

export interface TrainMolarOptions {
  split: LeaveOneOutSplit;
  sequences: Int32Array[];
  numItems: number;
  /** the fusion head's inputs for ids 0..numItems */
  features: ItemFeatures;
  /** frozen teacher for post-alignment and the ID side of the mix; without it: content only */
  idModel?: IdModel;
  /** architecture overrides (numItems and the feature dims come from the data) */
  config?: Partial<ContentConfig>;
  train?: Partial<MolarTrainConfig>;
  /** the ML-1M protocol (default): seen items out of validation and out of the softmax; false: RecBole, both kept */
  filterSeen?: boolean;
  validUsers?: number;
  timeBudgetMs?: number;
  maxStepsPerEpoch?: number;
  workers?: number;
  /**
   * items never trained on, not even as negatives (a cold-start experiment): their events must
   * already be out of `split.train`; here they also leave every softmax
   */
  excludeItems?: Int32Array;
  /** content weights w tried for the mix w·log p_content + (1-w)·log p_id (score/mix.ts) */
  mixGrid?: number[];
  progress?: boolean;
  onEpoch?: (e: EpochReport) => void;
}

export interface TrainMolarResult extends Omit<TrainLoopResult, 'weights'> {
  config: ContentConfig;
  train: MolarTrainConfig;
  weights: WeightBlob;
  /** the content weight chosen on validation, and valid NDCG@10 at each weight tried */
  mix: { content: number; valid: Record<string, number> };
  /** item-level alignment (when run): MSE of its first and last step, mean cosine to the ID rows, seconds */
  itemAlign?: { first: number; last: number; cosine: number; seconds: number };
}

// finer near 0: a content model weaker than the ID model still helps at a small weight
export const DEFAULT_MIX_GRID = [0, 0.1, 0.2, 0.3, 0.5, 0.75, 1];

/**
 * Molar's second stage (the ID model is trained first, `trainSasrec`, and frozen as teacher):
 * trains the fusion head and the content user model on UB + α·align + IT + SA with the shared loop
 * (early stopping on the content model's own valid NDCG@10), then chooses the mix weight on the
 * validation split. Joint training of both user models is not here yet.
 */
export async function trainMolar(opts: TrainMolarOptions): Promise<TrainMolarResult> {
  const f = opts.features;
  const config = resolveContentConfig({ ...opts.config, numItems: opts.numItems, textDim: f.textDim, imageDim: f.imageDim, numAttributes: f.numAttributes });
  const train = resolveMolarTrainConfig(opts.train);
  const teacher = opts.idModel ? SasrecModel.fromEntry(opts.idModel, opts.idModel.data) : undefined;
  if (teacher && teacher.config.hidden !== config.hidden) throw new MolarError('BAD_CONFIG', `the content model's width (${config.hidden}) must equal the ID model's (${teacher.config.hidden}) for alignment`, { field: 'hidden' });
  if (teacher && teacher.numItems !== opts.numItems) throw new MolarError('BAD_INPUT', `the ID model scores ${teacher.numItems} items, the data has ${opts.numItems}`, { field: 'numItems' });
  const objective: MolarObjectiveConfig = { numItems: opts.numItems, alignWeight: teacher ? train.alignWeight : 0, alignTau: train.alignTau, itWeight: train.itWeight, itTau: train.itTau, saWeight: train.saWeight };
  const model = new ContentModel(config, f);
  model.setObjective(molarObjective(objective));
  let itemAlign: TrainMolarResult['itemAlign'];
  if (teacher && train.itemAlignSteps > 0) {
    const t0 = Date.now();
    const r = alignItemsToIdTable(model, teacher.itemEmbedding, { steps: train.itemAlignSteps, seed: config.seed, exclude: opts.excludeItems });
    itemAlign = { ...r, seconds: (Date.now() - t0) / 1000 };
    if (opts.progress) console.error(`item-level alignment: ${train.itemAlignSteps} steps, MSE ${r.first.toFixed(3)} -> ${r.last.toFixed(3)}, mean cosine to the ID rows ${r.cosine.toFixed(3)}, ${itemAlign.seconds.toFixed(0)} s`);
  }
  const sampler = new BatchSampler(opts.split.train, opts.numItems, config.maxLen, config.seed);
  const optimizer = tf.train.adam(train.learningRate, 0.9, 0.98);
  try {
    if (sampler.trainableUsers === 0) throw new MolarError('BAD_INPUT', 'no user has two or more training events', { field: 'interactions' });
    const r = await trainLoop({
      model: contentTrainable(model),
      data: contentBatches(sampler, { batchSize: train.batchSize, numItems: opts.numItems, seed: config.seed, teacher, itemTasks: objective.itWeight > 0 || objective.saWeight > 0, exclude: opts.excludeItems, excludeHistory: opts.filterSeen ?? true }),
      optimizer,
      schedule: train,
      maxEpochs: train.maxEpochs,
      patience: train.patience,
      seed: config.seed,
      validation: { model, split: opts.split, sequences: opts.sequences, filterSeen: opts.filterSeen, maxUsers: opts.validUsers },
      maxStepsPerEpoch: opts.maxStepsPerEpoch,
      timeBudgetMs: opts.timeBudgetMs,
      workers: { count: opts.workers ?? 1, replica: contentReplica({ config, features: f, objective }) },
      progress: opts.progress,
      onEpoch: opts.onEpoch,
    });
    model.setWeights(r.weights.specs, r.weights.data);
    const mix = teacher ? await chooseMix(model, teacher, opts) : { content: 1, valid: {} };
    return { ...r, config, train, mix, ...(itemAlign ? { itemAlign } : {}) };
  } finally {
    optimizer.dispose();
    model.dispose();
    teacher?.dispose();
  }
}

/** Valid NDCG@10 of the mix at each grid weight, from one pass of both models; the best weight wins (ties: more content). */
async function chooseMix(content: ContentModel, id: SasrecModel, opts: TrainMolarOptions): Promise<TrainMolarResult['mix']> {
  const grid = opts.mixGrid ?? DEFAULT_MIX_GRID;
  content.freeze();
  const c = sequentialScorer(content);
  const d = sequentialScorer(id);
  const r = await evaluateVariants(
    {
      names: grid.map(String),
      async score(h) {
        // each row normalised once, then mixed at every weight
        const [cs, ds] = [(await c.score(h)).map(logSoftmax), (await d.score(h)).map(logSoftmax)];
        return Object.fromEntries(grid.map((w) => [String(w), cs.map((row, i) => mixLogProbs(row, ds[i], w))]));
      },
    },
    opts.split,
    opts.sequences,
    { split: 'valid', ks: [10], filterSeen: opts.filterSeen ?? true, maxUsers: opts.validUsers, batchSize: 128 },
  );
  const valid = Object.fromEntries(grid.map((w) => [String(w), r[String(w)].metrics['ndcg@10']]));
  const best = grid.reduce((b, w) => (valid[String(w)] >= valid[String(b)] ? w : b), grid[0]);
  return { content: best, valid };
}
