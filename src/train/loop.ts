import * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import type { LeaveOneOutSplit } from '../data/types.js';
import { evaluate } from '../eval/evaluate.js';
import { MolarError } from '../errors.js';
import type { LrSchedule } from '../models/sasrec/config.js';
import type { WeightBlob } from '../models/nn/weights.js';
import { sequentialScorer, type ScorableModel } from '../score/scorer.js';
import { DataParallel } from './data-parallel.js';
import { setRate } from './optimizer.js';
import { checkFinite, readParts, totalKeepingParts, type BatchSource, type ReplicaSpec, type StepLoss, type Trainable } from './trainable.js';
import { WeightAverage } from './weight-average.js';
import type { LossParts } from '../models/types.js';

export interface TrainLoopOptions<Shard> {
  model: Trainable<Shard>;
  data: BatchSource<Shard>;
  /** stepped by the loop, owned (and disposed) by the caller */
  optimizer: tf.Optimizer;
  schedule: LrScheduleConfig;
  /** upper bound on epochs */
  maxEpochs: number;
  /** epochs without a better valid NDCG@10 before training stops */
  patience: number;
  /** seeds dropout, per epoch and per step */
  seed: number;
  /** validate on NDCG@10 after every epoch, keeping the best checkpoint; absent: keep the last weights, no early stopping */
  validation?: Validation;
  /** stop an epoch after this many steps (smoke tests / benchmarks) */
  maxStepsPerEpoch?: number;
  /** stop (keeping the best checkpoint) once this much wall time has passed */
  timeBudgetMs?: number;
  /** gradient threads (data-parallel.ts): count > 1 starts count - 1 workers, each building `replica` */
  workers?: { count: number; replica: ReplicaSpec };
  /**
   * Scale each step's gradient by its target count over the average batch's, so every position
   * weighs the same whichever batch it lands in (length buckets otherwise favour short histories).
   * Default true.
   */
  positionWeighting?: boolean;
  /** validate and keep an exponential moving average of the weights, this decay per step (weight-average.ts) */
  weightAverage?: number;
  /**
   * users scored at once in validation (default VALIDATION_BATCH): each holds a [users, numItems+1]
   * score block, so a catalog-scale run scores fewer at a time (train/memory.ts)
   */
  validationBatch?: number;
  /** show progress on stderr: a bar on a terminal, else (a log file, CI, a pipe) one plain line per epoch (epochLine) */
  progress?: boolean;
  onEpoch?: (e: EpochReport) => void;
}

/** users per validation scoring batch unless the caller says otherwise */
export const VALIDATION_BATCH = 128;

export interface LrScheduleConfig {
  learningRate: number;
  lrSchedule: LrSchedule;
  warmupSteps?: number;
}

export interface Validation {
  /** scores through sequentialScorer; shares its weights with the trained model */
  model: ScorableModel;
  split: LeaveOneOutSplit;
  sequences: Int32Array[];
  /** remove seen items when ranking (default true) */
  filterSeen?: boolean;
  /** validate on at most this many users */
  maxUsers?: number;
}

export interface EpochReport {
  epoch: number;
  /** mean training loss (the total, when the model has parts) over the epoch's steps */
  loss: number;
  /** each named loss part's mean over the epoch (models whose loss has parts) */
  parts?: Record<string, number>;
  /** every step's loss, for reproducibility checks */
  stepLosses: number[];
  validNdcg10?: number;
  /** wall minutes since training began, at the end of this epoch (time-to-quality curve) */
  minutes: number;
  epochMs: number;
}

export interface TrainLoopResult {
  /** the kept checkpoint: best valid NDCG@10, or the last (averaged, with weightAverage) weights without validation */
  weights: WeightBlob;
  bestEpoch: number;
  bestValid?: Record<string, number>;
  history: EpochReport[];
  wallMs: number;
  stoppedBy: 'patience' | 'maxEpochs' | 'timeBudget';
}

/**
 * Epochs of seeded batches over any Trainable: Adam (or whatever `optimizer` is) steps with the
 * learning-rate schedule and warm-up, optional data-parallel workers, position weighting and weight
 * averaging; after each epoch, validation through the shared evaluator, the best checkpoint kept,
 * early stopping after `patience` epochs without a better NDCG@10, and the time budget.
 */
export async function trainLoop<Shard>(o: TrainLoopOptions<Shard>): Promise<TrainLoopResult> {
  if (o.schedule.lrSchedule === 'cosine-time' && o.timeBudgetMs === undefined) throw new MolarError('BAD_CONFIG', "lrSchedule 'cosine-time' decays over the time budget: give one (--minutes)", { field: 'lrSchedule' });
  const { model, data, optimizer } = o;
  const workers = o.workers?.count ?? 1;
  // the budget counts from here: worker start-up is part of the wall time a caller gave
  const t0 = Date.now();
  const dp = workers > 1 ? await DataParallel.start(o.workers!.replica, workers) : undefined;
  const average = o.weightAverage !== undefined ? new WeightAverage(model.trainable, o.weightAverage) : undefined;
  // what a step and a validation pass last, so a budget stops the epoch early enough to validate in it;
  // the first epoch needs the validation's length before any has run: a probe on a tenth of the users
  let stepMs = 0;
  let validMs = o.timeBudgetMs !== undefined && o.validation ? await probeValidationMs(o.validation, o.validationBatch) : 0;
  const history: EpochReport[] = [];
  let best: { ndcg: number; epoch: number; weights: WeightBlob; metrics?: Record<string, number> } | undefined;
  let bad = 0;
  let stoppedBy: TrainLoopResult['stoppedBy'] = 'maxEpochs';
  let step = 0;
  // a bar redraws one line in place: in a log file it would leave nothing, so there each epoch gets a line
  const bar = o.progress && process.stderr.isTTY ? progressBar() : undefined;
  const lines = o.progress && !bar;
  try {
    for (let epoch = 1; epoch <= o.maxEpochs; epoch++) {
      const te = Date.now();
      let batches = data.epoch();
      if (o.maxStepsPerEpoch !== undefined) batches = batches.slice(0, o.maxStepsPerEpoch);
      const epochSeed = o.seed * 7919 + epoch;
      model.seedDropout?.(epochSeed);
      bar?.start(batches.length, 0, { epoch, loss: '-', parts: '', ndcg: best ? best.ndcg.toFixed(4) : '-' });
      const steps: StepLoss[] = [];
      let outOfTime = false;
      for (const [i, users] of batches.entries()) {
        const spent = o.timeBudgetMs !== undefined ? (Date.now() - t0) / o.timeBudgetMs : 0;
        // stop the epoch while one more step and the validation after it still fit the budget
        // (cosine-time's rate is 0 by then anyway); the first step always runs, so there is a model
        if (o.timeBudgetMs !== undefined && step > 0 && Date.now() - t0 + stepMs + validMs > o.timeBudgetMs) {
          outOfTime = true;
          break;
        }
        const ts = Date.now();
        setRate(optimizer, learningRateAt(o.schedule, o.schedule.lrSchedule === 'cosine-time' ? spent : (epoch - 1 + i / batches.length) / o.maxEpochs, step++));
        const shards = data.shards(users, dp ? Math.min(dp.size, users.length) : 1);
        const targets = shards.reduce((n, s) => n + model.targetCount(s), 0);
        const scale = (o.positionWeighting ?? true) ? targets / (users.length * data.meanTargetsPerUser) : 1;
        const r = dp ? await dp.step(model, optimizer, shards, epochSeed * 100_003 + i, scale) : await localStep(model, optimizer, shards[0], scale);
        steps.push(r);
        average?.update();
        stepMs = Math.max(stepMs * 0.9, Date.now() - ts);
        bar?.increment(1, { loss: r.loss.toFixed(4), parts: partsText(r.parts) });
      }
      if (outOfTime && steps.length === 0) {
        bar?.stop();
        stoppedBy = 'timeBudget';
        break;
      }
      const stepLosses = steps.map((s) => s.loss);
      const parts = meanParts(steps);
      const report: EpochReport = { epoch, loss: mean(stepLosses), ...(parts ? { parts } : {}), stepLosses, minutes: 0, epochMs: Date.now() - te };
      if (o.validation) {
        const v = o.validation;
        const validate = async () => {
          model.sync?.();
          const r = await evaluate(sequentialScorer(v.model), v.split, v.sequences, { split: 'valid', ks: [10, 20], filterSeen: v.filterSeen ?? true, maxUsers: v.maxUsers, batchSize: o.validationBatch ?? VALIDATION_BATCH });
          const ndcg = r.metrics['ndcg@10'];
          return { r, ndcg, weights: !best || ndcg > best.ndcg ? await model.getWeights() : undefined };
        };
        const tv = Date.now();
        const { r, ndcg, weights } = average ? await average.with(validate) : await validate();
        validMs = Date.now() - tv;
        report.validNdcg10 = ndcg;
        if (weights) {
          best = { ndcg, epoch, weights, metrics: r.metrics };
          bad = 0;
        } else bad++;
      }
      report.minutes = (Date.now() - t0) / 60_000;
      history.push(report);
      bar?.update(batches.length, { loss: report.loss.toFixed(4), parts: partsText(report.parts), ndcg: report.validNdcg10?.toFixed(4) ?? '-' });
      bar?.stop();
      if (lines) process.stderr.write(`${epochLine(report)}\n`);
      o.onEpoch?.(report);
      if (o.validation && bad >= o.patience) {
        stoppedBy = 'patience';
        break;
      }
      if (outOfTime || (o.timeBudgetMs !== undefined && Date.now() - t0 >= o.timeBudgetMs)) {
        stoppedBy = 'timeBudget';
        break;
      }
    }
    const weights = best ? best.weights : average ? await average.with(() => model.getWeights()) : await model.getWeights();
    return { weights, bestEpoch: best?.epoch ?? history.length, bestValid: best?.metrics, history, wallMs: Date.now() - t0, stoppedBy };
  } finally {
    bar?.stop();
    await dp?.close();
    average?.dispose();
  }
}

/**
 * How long a validation pass will take: one timed on a tenth of its users (at most 128, one scorer
 * batch), scaled to all of them, as scoring is linear in users. The same users are scored once
 * untimed first: cold, the first batch is slower (ML-1M: 128 users took 2.0 s cold, 0.9 s warm, and
 * all 6,040 took 28 s), and 47 times the cold figure stopped a 2-minute run at 1.1 minutes. The
 * warm figure still errs long, the safe side.
 */
async function probeValidationMs(v: Validation, batchSize = VALIDATION_BATCH): Promise<number> {
  const users = Math.min(v.maxUsers ?? Infinity, v.split.valid.reduce((n, t) => n + (t > 0 ? 1 : 0), 0));
  const probe = Math.max(1, Math.min(128, Math.ceil(users / 10)));
  const score = (maxUsers: number) => evaluate(sequentialScorer(v.model), v.split, v.sequences, { split: 'valid', ks: [10], filterSeen: v.filterSeen ?? true, maxUsers, batchSize });
  await score(probe);
  const t = Date.now();
  await score(probe);
  return ((Date.now() - t) * users) / probe;
}

/**
 * One optimizer step on one shard (the whole batch), its gradient multiplied by `gradScale`;
 * returns the loss (and parts) unscaled. Leaves no tensor behind.
 */
export async function localStep<Shard>(model: Trainable<Shard>, optimizer: tf.Optimizer, shard: Shard, gradScale = 1): Promise<StepLoss> {
  if (model.step) return model.step(shard, optimizer, gradScale);
  let kept: LossParts | undefined;
  const loss = optimizer.minimize(() => {
    const l = totalKeepingParts(model.loss(shard), (p) => (kept = p));
    return gradScale === 1 ? l : l.mul(gradScale);
  }, true, model.trainable);
  const v = (await loss!.data())[0] / gradScale;
  loss!.dispose();
  const parts = await readParts(kept);
  checkFinite(v);
  return parts ? { loss: v, parts } : { loss: v };
}

/**
 * The schedule's learning rate at `progress` ∈ [0, 1] of maxEpochs ('cosine') or of the time budget
 * ('cosine-time'), scaled by (step + 1) / warmupSteps during the first warmupSteps steps (0-based `step`).
 */
export function learningRateAt(cfg: LrScheduleConfig, progress: number, step = Infinity): number {
  const lr = cfg.lrSchedule !== 'constant' ? cfg.learningRate * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress))) : cfg.learningRate;
  const w = cfg.warmupSteps ?? 0;
  return step < w ? (lr * (step + 1)) / w : lr;
}

function progressBar(): cliProgress.SingleBar {
  return new cliProgress.SingleBar({ format: 'epoch {epoch} [{bar}] {value}/{total} | loss {loss}{parts} | valid ndcg@10 {ndcg} | {eta_formatted}', stream: process.stderr }, cliProgress.Presets.shades_classic);
}

/** ' (rec 0.9123 align 0.2041)' for a loss with parts, '' for a scalar one: what the progress line shows after the loss. */
export const partsText = (parts?: Record<string, number>): string => (parts ? ` (${Object.entries(parts).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(' ')})` : '');

/** 'epoch 3: loss 5.1234 (rec 5.0 align 0.1) | valid NDCG@10 0.1234 | 1.52 min': one epoch as a plain line, for output that is not a terminal. */
export function epochLine(e: EpochReport): string {
  return `epoch ${e.epoch}: loss ${e.loss.toFixed(4)}${partsText(e.parts)} | valid NDCG@10 ${e.validNdcg10?.toFixed(4) ?? '-'} | ${e.minutes.toFixed(2)} min`;
}

/** Each part's mean over the steps that reported it; undefined when no step had parts. */
function meanParts(steps: StepLoss[]): Record<string, number> | undefined {
  const sums = new Map<string, number[]>();
  for (const s of steps) for (const [k, v] of Object.entries(s.parts ?? {})) sums.set(k, sums.get(k) ?? []).get(k)!.push(v);
  return sums.size ? Object.fromEntries([...sums].map(([k, vs]) => [k, mean(vs)])) : undefined;
}

const mean = (a: number[]): number => (a.length ? a.reduce((s, x) => s + x, 0) / a.length : NaN);
