import type { LeaveOneOutSplit } from '../data/types.js';
import { evaluateVariants } from '../eval/evaluate.js';
import { MolarError } from '../errors.js';
import { resolveContentConfig, resolveMolarTrainConfig, type ContentConfig, type MolarOrder, type MolarTrainConfig } from '../models/content/config.js';
import { ContentModel, ID_TABLE } from '../models/content/model.js';
import type { SasrecConfig } from '../models/sasrec/config.js';
import type { ItemFeatures } from '../models/fusion/features.js';
import type { WeightBlob, WeightSpec } from '../models/nn/weights.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { logSoftmax, mixLogProbs } from '../score/mix.js';
import { sequentialScorer, type ScorableModel } from '../score/scorer.js';
import { BatchSampler } from './batches.js';
import { trainLoop, type EpochReport, type TrainLoopResult } from './loop.js';
import { alignItemsToIdTable } from './molar-item-align.js';
import { startAsIdModel } from './molar-user-warm-start.js';
import type { MolarObjectiveConfig } from './molar-losses.js';
import { jointBatches, jointReplica, jointTrainable, mixedModel, splitJoint } from './molar-joint.js';
import { attachMolarObjective, contentBatches, contentReplica, contentTrainable } from './molar-task.js';
import { GroupedAdam } from './optimizer.js';
import { repeatBiasFactor } from './sasrec.js';

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
  /** train.order 'teacher': the frozen teacher for post-alignment and the ID side of the mix (without it: content only); 'joint': the warm start */
  idModel?: IdModel;
  /** train.order 'joint' without idModel: SASRec's config (hidden and maxLen default to the content model's, seed to its + 1) */
  idConfig?: Partial<SasrecConfig>;
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
  order: MolarOrder;
  config: ContentConfig;
  train: MolarTrainConfig;
  /** the content model's weights (fusion head + content user model) */
  weights: WeightBlob;
  /** order 'joint': the jointly trained SASRec, the mix's ID side from then on (replaces the teacher) */
  id?: { config: SasrecConfig; weights: WeightBlob };
  /** the content weight chosen on validation, and valid NDCG@10 at each weight tried */
  mix: { content: number; valid: Record<string, number> };
  /** item-level alignment (when run): MSE of its first and last step, mean cosine to the ID rows, seconds */
  itemAlign?: { first: number; last: number; cosine: number; seconds: number };
}

// finer near 0: a content model weaker than the ID model still helps at a small weight
export const DEFAULT_MIX_GRID = [0, 0.1, 0.2, 0.3, 0.5, 0.75, 1];

/** Joint training validates (and keeps the checkpoint of) the mix at this content weight; the served weight is chosen after. */
export const JOINT_VALID_MIX = 0.5;

/**
 * Molar's content stage, in one of two orders (`train.order`), then the mix weight chosen on the validation split.
 * - 'teacher' (default): the ID model (`idModel`, trained first by `trainSasrec`) is frozen; the
 *   fusion head and the content user model train on UB + α·align + IT + SA with the shared loop,
 *   early stopping on the content model's own valid NDCG@10.
 * - 'joint': SASRec (warm-started from `idModel`, or from scratch with `idConfig`) and the content
 *   model train as one Trainable (molar-joint.ts) on SASRec's loss + UB + α·align + IT + SA, align's
 *   gradient reaching both; early stopping on the valid NDCG@10 of the mix at JOINT_VALID_MIX. The
 *   result carries the jointly trained SASRec (`id`), which the mix then uses.
 */
export async function trainMolar(opts: TrainMolarOptions): Promise<TrainMolarResult> {
  const f = opts.features;
  const config = resolveContentConfig({ ...opts.config, numItems: opts.numItems, textDim: f.textDim, imageDim: f.imageDim, numAttributes: f.numAttributes });
  const train = resolveMolarTrainConfig(opts.train);
  const order = train.order;
  if (order === 'teacher' && opts.idConfig) throw new MolarError('BAD_CONFIG', "idConfig configures a SASRec trained from scratch with the content model: order 'joint' only", { field: 'idConfig' });
  if (order === 'joint' && opts.excludeItems) throw new MolarError('BAD_CONFIG', "a cold-start run (excludeItems) trains the ID model on its own: order 'teacher'", { field: 'order' });
  // a scratch SASRec draws its initial weights from the seed after the content model's: one seed for both would start its item table as a copy of the head's first weights
  const id = opts.idModel ? SasrecModel.fromEntry(opts.idModel, opts.idModel.data) : order === 'joint' ? new SasrecModel({ hidden: config.hidden, maxLen: config.maxLen, seed: config.seed + 1, ...opts.idConfig, numItems: opts.numItems }) : undefined;
  const objective: MolarObjectiveConfig = { numItems: opts.numItems, alignWeight: id ? train.alignWeight : 0, alignTau: train.alignTau, itWeight: train.itWeight, itTau: train.itTau, saWeight: train.saWeight, ubToHead: train.ubToHead, ...(config.idResidual ? { knownItems: knownItems(opts.split.train, opts.excludeItems) } : {}) };
  const model = new ContentModel(config, f);
  // the repeat bias (when the ID model has one) keeps its faster rate in joint training, and the ID residual steps at idLrFactor (optimizer.ts)
  const factors = new Map([...(order === 'joint' && id ? repeatBiasFactor(id) : []), ...model.specs.flatMap((s, i) => (s.name === ID_TABLE ? [[model.trainable[i].name, train.idLrFactor] as const] : []))]);
  const optimizer = new GroupedAdam(train.learningRate, factors);
  try {
    if (id && id.config.hidden !== config.hidden) throw new MolarError('BAD_CONFIG', `the content model's width (${config.hidden}) must equal the ID model's (${id.config.hidden}) for alignment`, { field: 'hidden' });
    if (id && id.numItems !== opts.numItems) throw new MolarError('BAD_INPUT', `the ID model scores ${id.numItems} items, the data has ${opts.numItems}`, { field: 'numItems' });
    if (order === 'joint' && id!.maxLen !== config.maxLen) throw new MolarError('BAD_CONFIG', `joint training feeds both models the same rows: the content model's maxLen (${config.maxLen}) must equal SASRec's (${id!.maxLen})`, { field: 'maxLen' });
    attachMolarObjective(model, objective);
    let itemAlign: TrainMolarResult['itemAlign'];
    if (opts.idModel && train.itemAlignSteps > 0) {
      const t0 = Date.now();
      const a = alignItemsToIdTable(model, id!.itemEmbedding, { steps: train.itemAlignSteps, seed: config.seed, exclude: opts.excludeItems, residualRows: objective.knownItems });
      itemAlign = { ...a, seconds: (Date.now() - t0) / 1000 };
      if (opts.progress) process.stderr.write(`item-level alignment: ${train.itemAlignSteps} steps, MSE ${a.first.toFixed(3)} -> ${a.last.toFixed(3)}, mean cosine to the ID rows ${a.cosine.toFixed(3)}, ${itemAlign.seconds.toFixed(0)} s\n`);
    }
    if (train.userWarmStart) {
      if (!opts.idModel) throw new MolarError('BAD_CONFIG', 'the user-level warm start (userWarmStart) starts the content model as the ID model: give one', { field: 'userWarmStart' });
      startAsIdModel(model, id!, objective.knownItems ?? new Int32Array());
    }
    const sampler = new BatchSampler(opts.split.train, opts.numItems, config.maxLen, config.seed);
    if (sampler.trainableUsers === 0) throw new MolarError('BAD_INPUT', 'no user has two or more training events', { field: 'interactions' });
    const batches = { batchSize: train.batchSize, numItems: opts.numItems, seed: config.seed, itemTasks: objective.itWeight > 0 || objective.saWeight > 0, exclude: opts.excludeItems, excludeHistory: opts.filterSeen ?? true };
    const contentReplicaConfig = { config, features: f, objective };
    const common = {
      optimizer,
      schedule: train,
      maxEpochs: train.maxEpochs,
      patience: train.patience,
      seed: config.seed,
      maxStepsPerEpoch: opts.maxStepsPerEpoch,
      timeBudgetMs: opts.timeBudgetMs,
      progress: opts.progress,
      onEpoch: opts.onEpoch,
    };
    const validation = (m: ScorableModel) => ({ model: m, split: opts.split, sequences: opts.sequences, filterSeen: opts.filterSeen, maxUsers: opts.validUsers });
    let r: TrainLoopResult;
    let jointId: TrainMolarResult['id'];
    if (order === 'joint') {
      const joint = jointTrainable(id!, model);
      r = await trainLoop({
        ...common,
        model: joint,
        data: jointBatches(sampler, id!.config, batches),
        validation: validation(mixedModel(model, id!, JOINT_VALID_MIX)),
        workers: { count: opts.workers ?? 1, replica: jointReplica({ id: id!.config, content: contentReplicaConfig }) },
      });
      const parts = splitJoint(r.weights, id!.specs.length);
      id!.setWeights(parts.id.specs, parts.id.data);
      jointId = { config: id!.config, weights: parts.id };
      r = { ...r, weights: parts.content };
    } else {
      r = await trainLoop({
        ...common,
        model: contentTrainable(model),
        data: contentBatches(sampler, { ...batches, teacher: id }),
        validation: validation(model),
        workers: { count: opts.workers ?? 1, replica: contentReplica(contentReplicaConfig) },
      });
    }
    model.setWeights(r.weights.specs, r.weights.data);
    const mix = id ? await chooseMix(model, id, opts) : { content: 1, valid: {} };
    return { ...r, order, config, train, ...(jointId ? { id: jointId } : {}), mix, ...(itemAlign ? { itemAlign } : {}) };
  } finally {
    optimizer.dispose();
    model.dispose();
    id?.dispose();
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

/** Item ids in the training sequences, less the held-out ones: those the ID residual may learn (ContentConfig.idResidual). */
export function knownItems(train: readonly Int32Array[], exclude?: Int32Array): Int32Array {
  const seen = new Set<number>();
  for (const s of train) for (const i of s) if (i > 0) seen.add(i);
  for (const i of exclude ?? []) seen.delete(i);
  return Int32Array.from(seen).sort();
}
