import * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import type { LeaveOneOutSplit } from '../data/types.js';
import { evaluate } from '../eval/evaluate.js';
import { MolarError } from '../errors.js';
import { resolveSasrecConfig, type SasrecConfig } from '../models/sasrec/config.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { sequentialScorer } from '../score/scorer.js';
import type { WeightBlob } from '../models/sasrec/weights.js';
import { BatchSampler } from './batches.js';
import { batchTensors, countTargets, DataParallel, disposeBatch } from './data-parallel.js';
import { sasrecObjective } from './losses.js';
import { GroupedAdam, setRate } from './optimizer.js';
import { WeightAverage } from './weight-average.js';

/** How many times the learning rate the repeat bias steps at (see GroupedAdam). */
export const REPEAT_BIAS_LR_FACTOR = 30;

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
}

export interface EpochReport {
  epoch: number;
  /** mean training loss over the epoch's steps */
  loss: number;
  /** every step's loss, for reproducibility checks */
  stepLosses: number[];
  validNdcg10?: number;
  /** wall minutes since training began, at the end of this epoch (time-to-quality curve) */
  minutes: number;
  epochMs: number;
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
  stoppedBy: 'patience' | 'maxEpochs' | 'timeBudget';
}

/**
 * Trains SASRec with Adam over shuffled batches of users, validating on NDCG@10 (the shared
 * full-ranking evaluator) after every epoch and keeping the best checkpoint; stops after
 * `patience` epochs without improvement. Seeded: one seed gives one loss curve on one backend.
 * Runs on whatever tfjs backend is active (see train/backend-node.ts for the Node choice).
 */
export async function trainSasrec(opts: TrainSasrecOptions): Promise<TrainSasrecResult> {
  const cfg = resolveSasrecConfig({ ...opts.config, numItems: opts.numItems });
  if (cfg.lrSchedule === 'cosine-time' && opts.timeBudgetMs === undefined) throw new MolarError('BAD_CONFIG', "lrSchedule 'cosine-time' decays over the time budget: give one (--minutes)", { field: 'lrSchedule' });
  const model = new SasrecModel(cfg);
  model.setObjective(sasrecObjective(cfg));
  const sampler = new BatchSampler(opts.split.train, cfg.numItems, cfg.maxLen, cfg.seed);
  if (sampler.trainableUsers === 0) throw new MolarError('BAD_INPUT', 'no user has two or more training events', { field: 'interactions' });
  // the repeat bias is one scalar that must travel several units: it steps faster (optimizer.ts)
  const fast = new Set(model.specs.flatMap((s, i) => (s.name === 'repeat_bias' ? [model.trainable[i].name] : [])));
  const optimizer = new GroupedAdam(cfg.learningRate, fast, REPEAT_BIAS_LR_FACTOR);
  const workers = opts.workers ?? 1;
  const dp = workers > 1 ? await DataParallel.start(cfg, workers) : undefined;
  const average = opts.weightAverage !== undefined ? new WeightAverage(model.trainable, opts.weightAverage) : undefined;
  const t0 = Date.now();
  const history: EpochReport[] = [];
  let best: { ndcg: number; epoch: number; weights: WeightBlob; metrics?: Record<string, number> } | undefined;
  let bad = 0;
  const targetsPerUser = sampler.meanTargetsPerUser;
  let stoppedBy: TrainSasrecResult['stoppedBy'] = 'maxEpochs';
  let step = 0;
  const bar = opts.progress
    ? new cliProgress.SingleBar({ format: 'epoch {epoch} [{bar}] {value}/{total} | loss {loss} | valid ndcg@10 {ndcg} | {eta_formatted}', stream: process.stderr }, cliProgress.Presets.shades_classic)
    : undefined;
  try {
    for (let epoch = 1; epoch <= cfg.maxEpochs; epoch++) {
      const te = Date.now();
      let batches = sampler.epoch(cfg.batchSize, opts.lengthBuckets ?? true);
      if (opts.maxStepsPerEpoch !== undefined) batches = batches.slice(0, opts.maxStepsPerEpoch);
      model.seedDropout(cfg.seed * 7919 + epoch);
      bar?.start(batches.length, 0, { epoch, loss: '-', ndcg: best ? best.ndcg.toFixed(4) : '-' });
      const stepLosses: number[] = [];
      let outOfTime = false;
      for (const [i, users] of batches.entries()) {
        const scale: GradScale = (opts.positionWeighting ?? true) ? (targets) => targets / (users.length * targetsPerUser) : () => 1;
        const spent = opts.timeBudgetMs !== undefined ? (Date.now() - t0) / opts.timeBudgetMs : 0;
        if (cfg.lrSchedule === 'cosine-time' && spent >= 1) {
          outOfTime = true; // the schedule has reached 0: what is left of the epoch would not move the weights
          break;
        }
        setRate(optimizer, learningRateAt(cfg, cfg.lrSchedule === 'cosine-time' ? spent : (epoch - 1 + i / batches.length) / cfg.maxEpochs, step++));
        stepLosses.push(dp ? await parallelStep(dp, model, optimizer, sampler, users, cfg, (cfg.seed * 7919 + epoch) * 100_003 + i, scale) : await trainStep(model, optimizer, sampler, users, cfg, scale));
        average?.update();
        bar?.increment(1, { loss: stepLosses[stepLosses.length - 1].toFixed(4) });
      }
      if (outOfTime && stepLosses.length === 0) {
        bar?.stop();
        stoppedBy = 'timeBudget';
        break;
      }
      const report: EpochReport = { epoch, loss: mean(stepLosses), stepLosses, minutes: 0, epochMs: 0 };
      report.epochMs = Date.now() - te;
      if (!opts.noValidation) {
        const validate = async () => {
          const r = await evaluate(sequentialScorer(model), opts.split, opts.sequences, { split: 'valid', ks: [10, 20], filterSeen: opts.filterSeen ?? true, maxUsers: opts.validUsers, batchSize: 128 });
          const ndcg = r.metrics['ndcg@10'];
          return { r, ndcg, weights: !best || ndcg > best.ndcg ? await model.getWeights() : undefined };
        };
        const { r, ndcg, weights } = average ? await average.with(validate) : await validate();
        report.validNdcg10 = ndcg;
        if (weights) {
          best = { ndcg, epoch, weights, metrics: r.metrics };
          bad = 0;
        } else bad++;
      }
      report.minutes = (Date.now() - t0) / 60_000;
      history.push(report);
      bar?.update(batches.length, { loss: report.loss.toFixed(4), ndcg: report.validNdcg10?.toFixed(4) ?? '-' });
      bar?.stop();
      opts.onEpoch?.(report);
      if (!opts.noValidation && bad >= cfg.patience) {
        stoppedBy = 'patience';
        break;
      }
      if (outOfTime || (opts.timeBudgetMs !== undefined && Date.now() - t0 >= opts.timeBudgetMs)) {
        stoppedBy = 'timeBudget';
        break;
      }
    }
    const weights = best ? best.weights : average ? await average.with(() => model.getWeights()) : await model.getWeights();
    return { config: cfg, weights, bestEpoch: best?.epoch ?? history.length, bestValid: best?.metrics, history, backend: tf.getBackend(), wallMs: Date.now() - t0, stoppedBy };
  } finally {
    bar?.stop();
    await dp?.close();
    average?.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

/** The factor a step's gradient is multiplied by (positionWeighting), from its whole batch's target count. */
type GradScale = (targets: number) => number;

/** One Adam step on one batch of users; returns the batch loss. Leaves no tensor behind. */
export async function trainStep(model: SasrecModel, optimizer: tf.Optimizer, sampler: BatchSampler, users: number[], cfg: SasrecConfig, gradScale: GradScale = () => 1): Promise<number> {
  const b = sampler.batch(users);
  const negatives = cfg.loss === 'ce' ? undefined : cfg.loss === 'bce' ? sampler.perPosition(b.targets) : sampler.shared(cfg.numNegatives);
  const t = batchTensors(cfg, b, negatives);
  const k = gradScale(countTargets(b));
  try {
    const loss = optimizer.minimize(() => {
      const l = model.calculateLoss(t.seq, t.targets, t.negatives, t.historyMask);
      return k === 1 ? l : l.mul(k);
    }, true, model.trainable);
    const v = (await loss!.data())[0] / k;
    loss!.dispose();
    if (!Number.isFinite(v)) throw new MolarError('BAD_CONFIG', `training loss became ${v}; lower learningRate`, { field: 'learningRate' });
    return v;
  } finally {
    disposeBatch(t);
  }
}

/** trainStep across the replicas of `dp`: users dealt round-robin so shards get similar lengths. */
async function parallelStep(dp: DataParallel, model: SasrecModel, optimizer: tf.Optimizer, sampler: BatchSampler, users: number[], cfg: SasrecConfig, dropoutSeed: number, gradScale: GradScale): Promise<number> {
  const parts = Array.from({ length: Math.min(dp.size, users.length) }, (_, s) => users.filter((_, j) => j % dp.size === s));
  const shared = cfg.loss === 'gbce' || cfg.loss === 'sampled-ce' ? sampler.shared(cfg.numNegatives) : undefined;
  const shards = parts.map((u) => {
    const batch = sampler.batch(u);
    return { batch, negatives: cfg.loss === 'bce' ? sampler.perPosition(batch.targets) : shared };
  });
  return dp.step(model, optimizer, shards, dropoutSeed, gradScale(shards.reduce((n, s) => n + countTargets(s.batch), 0)));
}

/**
 * The schedule's learning rate at `progress` ∈ [0, 1] of maxEpochs ('cosine') or of the time budget
 * ('cosine-time'), scaled by (step + 1) / warmupSteps during the first warmupSteps steps (0-based `step`).
 */
export function learningRateAt(cfg: Pick<SasrecConfig, 'learningRate' | 'lrSchedule'> & { warmupSteps?: number }, progress: number, step = Infinity): number {
  const lr = cfg.lrSchedule !== 'constant' ? cfg.learningRate * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))) : cfg.learningRate;
  const w = cfg.warmupSteps ?? 0;
  return step < w ? (lr * (step + 1)) / w : lr;
}

const mean = (a: number[]): number => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN);
