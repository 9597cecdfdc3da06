import * as tf from '@tensorflow/tfjs';
import type { LeaveOneOutSplit } from '../data/types.js';
import { MolarError } from '../errors.js';
import { resolveSasrecConfig, type SasrecConfig } from '../models/sasrec/config.js';
import { SasrecModel } from '../models/sasrec/model.js';
import type { WeightBlob } from '../models/nn/weights.js';
import { BatchSampler } from './batches.js';
import { localStep, trainLoop, type EpochReport, type TrainLoopResult } from './loop.js';
import { sasrecObjective } from './losses.js';
import { GroupedAdam } from './optimizer.js';
import { describeMemory, estimateSasrecMemory, planSasrecMemory, type ItemUpdates, type MemoryEstimate } from './memory.js';
import { sasrecBatches, sasrecReplica, sasrecTrainable } from './sasrec-task.js';
import { sparseSasrecTrainable } from './sparse-items.js';

export { learningRateAt, type EpochReport } from './loop.js';

/** How many times the learning rate the repeat bias steps at (see GroupedAdam). */
export const REPEAT_BIAS_LR_FACTOR = 30;

/** GroupedAdam's factors for a SASRec model: its repeat bias (when it has one) at REPEAT_BIAS_LR_FACTOR. */
export function repeatBiasFactor(model: SasrecModel): Map<string, number> {
  return new Map(model.specs.flatMap((s, i) => (s.name === 'repeat_bias' ? [[model.trainable[i].name, REPEAT_BIAS_LR_FACTOR] as const] : [])));
}

export interface TrainSasrecOptions {
  /** model + training hyperparameters; numItems comes from the data */
  config?: Partial<SasrecConfig>;
  /** leave-one-out split of `sequences`; training reads only split.train */
  split: LeaveOneOutSplit;
  sequences: Int32Array[];
  numItems: number;
  /** remove seen items when ranking for validation (true for ML-1M's published protocol) */
  filterSeen?: boolean;
  /** validate on at most this many users (all by default) */
  validUsers?: number;
  /** stop an epoch after this many steps (smoke tests / benchmarks) */
  maxStepsPerEpoch?: number;
  /** stop (keeping the best checkpoint) once this much wall time has passed */
  timeBudgetMs?: number;
  /** skip validation and early stopping; keeps the last weights */
  noValidation?: boolean;
  /**
   * threads computing gradients in parallel (Node; data-parallel.ts). 1 = this thread only. Each
   * count is its own reproducible run: the shards' dropout masks depend on it.
   */
  workers?: number;
  /** sort users by length within pools before batching (batches.ts); default true */
  lengthBuckets?: boolean;
  /**
   * Weigh every training position the same, whichever batch it lands in: each step's gradient is
   * scaled by its target count over the average batch's. Length buckets otherwise give a batch of
   * short histories (few targets) as large a step as a batch of long ones, so a short history's
   * positions weigh up to maxLen/length times more than under random batching (SASRec, SASRec+).
   * Default true: in 30 minutes on ML-1M it lifted test NDCG@10 from 0.1733 to 0.1805, and on
   * Amazon Scientific it helped too (BENCHMARKS.md). false = the plain batch mean.
   */
  positionWeighting?: boolean;
  /**
   * Validate and keep an exponential moving average of the weights with this decay per step
   * (weight-average.ts) instead of the raw weights; undefined = off. 0.99 averages about the
   * last 100 steps.
   */
  weightAverage?: number;
  /** show a progress bar on stderr */
  progress?: boolean;
  onEpoch?: (e: EpochReport) => void;
  /** `workers` was the caller's choice (a flag), not a default: a plan that needs one thread then refuses it */
  workersGiven?: boolean;
  /**
   * how the item table trains: 'auto' (default) by the memory plan (memory.ts: dense while it fits
   * the wasm heap, else by rows, sparse-items.ts); 'dense' / 'sparse' force one (`--item-updates`)
   */
  itemUpdates?: 'auto' | ItemUpdates;
  /** hears the memory estimate, once, before training starts */
  log?: (line: string) => void;
}

export interface TrainSasrecResult {
  config: SasrecConfig;
  /** weights of the kept (best valid NDCG@10) checkpoint, bundle form */
  weights: WeightBlob;
  bestEpoch: number;
  bestValid?: Record<string, number>;
  history: EpochReport[];
  backend: string;
  wallMs: number;
  stoppedBy: TrainLoopResult['stoppedBy'];
  /** the memory plan training ran under (memory.ts) */
  memory: MemoryEstimate & { workers: number };
}

/**
 * Trains SASRec with Adam over shuffled batches of users, validating on NDCG@10 (the shared
 * full-ranking evaluator) after every epoch and keeping the best checkpoint; stops after
 * `patience` epochs without improvement. Seeded: one seed gives one loss curve on one backend.
 * Runs on whatever tfjs backend is active (see train/backend-node.ts for the Node choice).
 * The epochs, schedule, workers and checkpointing are loop.ts's; this sets up SASRec's parts.
 */
export async function trainSasrec(opts: TrainSasrecOptions): Promise<TrainSasrecResult> {
  const cfg = resolveSasrecConfig({ ...opts.config, numItems: opts.numItems });
  const plan = planSasrecMemory(cfg, opts.workers ?? 1, opts.workersGiven);
  const itemUpdates = !opts.itemUpdates || opts.itemUpdates === 'auto' ? plan.itemUpdates : opts.itemUpdates;
  const memory = itemUpdates === plan.itemUpdates ? plan : { ...estimateSasrecMemory(cfg, itemUpdates, opts.workers ?? 1), workers: itemUpdates === 'sparse' ? 1 : (opts.workers ?? 1) };
  if (itemUpdates === 'sparse' && opts.workersGiven && (opts.workers ?? 1) > 1) throw new MolarError('BAD_CONFIG', 'item rows trained sparsely live in one thread; pass --workers 1', { field: '--workers' });
  if (itemUpdates === 'sparse' && opts.weightAverage !== undefined) throw new MolarError('BAD_CONFIG', 'the weight average reads every weight each step; item rows trained sparsely (a catalog this large) cannot have one', { field: '--weight-average' });
  if (itemUpdates === 'sparse' && cfg.loss === 'ce') throw new MolarError('BAD_CONFIG', 'full-softmax ce scores every item, so its item table cannot train by rows; use sampled-ce', { field: '--loss' });
  opts.log?.(describeMemory(memory));
  const model = new SasrecModel(cfg);
  model.setObjective(sasrecObjective(cfg));
  const sampler = new BatchSampler(opts.split.train, cfg.numItems, cfg.maxLen, cfg.seed);
  // the repeat bias is one scalar that must travel several units: it steps faster (optimizer.ts)
  const optimizer = new GroupedAdam(cfg.learningRate, repeatBiasFactor(model));
  try {
    if (sampler.trainableUsers === 0) throw new MolarError('BAD_INPUT', 'no user has two or more training events', { field: 'interactions' });
    const r: TrainLoopResult = await trainLoop({
      model: itemUpdates === 'sparse' ? sparseSasrecTrainable(model) : sasrecTrainable(model),
      data: sasrecBatches(sampler, cfg, opts.lengthBuckets ?? true),
      optimizer,
      schedule: cfg,
      maxEpochs: cfg.maxEpochs,
      patience: cfg.patience,
      seed: cfg.seed,
      validation: opts.noValidation ? undefined : { model, split: opts.split, sequences: opts.sequences, filterSeen: opts.filterSeen, maxUsers: opts.validUsers },
      maxStepsPerEpoch: opts.maxStepsPerEpoch,
      timeBudgetMs: opts.timeBudgetMs,
      workers: { count: memory.workers, replica: sasrecReplica(cfg) },
      validationBatch: memory.validationBatch,
      positionWeighting: opts.positionWeighting,
      weightAverage: opts.weightAverage,
      progress: opts.progress,
      onEpoch: opts.onEpoch,
    });
    return { config: cfg, ...r, backend: tf.getBackend(), memory };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** One Adam step on one batch of users (loop.ts's localStep over SASRec's batch); returns the batch loss. Leaves no tensor behind. */
export async function trainStep(model: SasrecModel, optimizer: tf.Optimizer, sampler: BatchSampler, users: number[], cfg: SasrecConfig, gradScale: (targets: number) => number = () => 1): Promise<number> {
  const [shard] = sasrecBatches(sampler, cfg).shards(users, 1);
  const trainable = sasrecTrainable(model);
  return (await localStep(trainable, optimizer, shard, gradScale(trainable.targetCount(shard)))).loss;
}
