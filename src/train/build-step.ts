import { availableParallelism } from 'node:os';
import { artifact } from '../bundle/artifact.js';
import type { BuildContext, BuildStep } from '../bundle/build.js';
import type { SasrecEntry } from '../bundle/manifest.js';
import { adaptiveSasrecDefaults, describeAdaptive, shapeOf, withAdaptive } from '../models/sasrec/adaptive.js';
import { architectureOf, type SasrecConfig } from '../models/sasrec/config.js';
import { useNodeBackend } from './backend-node.js';
import { trainSasrec, type TrainSasrecResult } from './sasrec.js';

export const SASREC_FILE = 'sasrec.bin';

/** The kept checkpoint (config and weights) and how training went, for steps that build on the trained model. */
export const SASREC_TRAINED = artifact<TrainSasrecResult>('sasrec/trained');

/** sasrecStep's options: config overrides and run limits, all optional. */
export interface SasrecStepOptions {
  config?: Partial<SasrecConfig>;
  /** wall-time cap in minutes (early stopping usually ends sooner) */
  minutes?: number;
  progress?: boolean;
  /** training threads (train/data-parallel.ts); default: the machine's cores, at most 4 */
  workers?: number;
  /** trainSasrec's positionWeighting (default there) */
  positionWeighting?: boolean;
  /** trainSasrec's weightAverage: validate and keep a moving average of the weights (decay per step) */
  weightAverage?: number;
  /**
   * repeats are recommendable (RecBole protocol): validate with history items left in the ranking
   * and keep them among the softmax negatives (config.excludeHistory false), and learn how much
   * seen items are worth (config.repeatBias, unless the config says otherwise or the loss is bce).
   * Default: the build's protocol (BuildContext.filterSeen: seen items removed unless `--keep-seen`).
   */
  keepSeen?: boolean;
  /** trainSasrec's itemUpdates: 'auto' (the memory plan), or force 'dense' / 'sparse' (`--item-updates`) */
  itemUpdates?: 'auto' | 'dense' | 'sparse';
  /** stop each epoch after this many steps, and validate on at most `validUsers` users (benchmarks: a time-capped fraction of an epoch) */
  maxStepsPerEpoch?: number;
  validUsers?: number;
}

/** Cores, capped: past 4 shards a batch of 128 users gets thin and the weight broadcast grows. */
export const defaultWorkers = (): number => Math.max(1, Math.min(4, availableParallelism()));

/** maxLen by data, for models trained without SASRec to follow: the adaptive defaults' rule (models/sasrec/adaptive.ts). */
export function defaultMaxLen(sequences: Int32Array[], numItems: number): number {
  return adaptiveSasrecDefaults(shapeOf(sequences, numItems), { budgeted: false }).maxLen.value;
}

/**
 * Build step: trains SASRec on the build's leave-one-out training prefixes with validation-based
 * early stopping (never a fixed tiny epoch count), adds the kept checkpoint as `sasrec.bin` and
 * puts it as SASREC_TRAINED.
 */
export function sasrecStep(o: SasrecStepOptions = {}): BuildStep {
  return {
    name: 'sasrec',
    trains: true,
    async run(ctx: BuildContext) {
      const r = await trainForBuild(ctx, { ...o, keepSeen: o.keepSeen ?? !ctx.filterSeen });
      ctx.put(SASREC_TRAINED, r);
      ctx.files.set(SASREC_FILE, { data: new Uint8Array(r.weights.data.buffer, r.weights.data.byteOffset, r.weights.data.byteLength) });
      ctx.models.push(sasrecEntry(r));
      ctx.log(`sasrec: ${r.history.length} epochs (best ${r.bestEpoch}, valid NDCG@10 ${r.bestValid?.['ndcg@10']?.toFixed(4) ?? '-'}) on ${r.backend} in ${(r.wallMs / 60_000).toFixed(1)} min`);
    },
  };
}

/** The step `molar build` registers (cli/commands/train.ts), with the defaults. */
export const sasrecBuildStep: BuildStep = sasrecStep();

/**
 * Trains SASRec for a bundle: the data-adaptive defaults (models/sasrec/adaptive.ts) under the
 * caller's config, printed through `ctx.log` before training starts.
 */
export async function trainForBuild(ctx: Pick<BuildContext, 'split' | 'dataset' | 'progress' | 'trainMinutes'> & Partial<Pick<BuildContext, 'log'>>, o: SasrecStepOptions): Promise<TrainSasrecResult> {
  await useNodeBackend();
  // the step's own cap, else its share of the build's training budget
  const minutes = o.minutes ?? ctx.trainMinutes;
  const adaptive = adaptiveSasrecDefaults(shapeOf(ctx.split.train, ctx.dataset.numItems), { budgeted: minutes !== undefined });
  ctx.log?.(`sasrec settings for this data (a flag overrides its line):\n${describeAdaptive(adaptive, o.config ?? {})}`);
  // Always the leave-one-out prefixes, even under --all-data: early stopping needs validation items
  // the model has not trained on, and the last two events per user are a small price for that.
  return trainSasrec({
    split: ctx.split,
    sequences: ctx.dataset.sequences,
    numItems: ctx.dataset.numItems,
    config: withAdaptive(adaptive, { excludeHistory: !o.keepSeen, repeatBias: !!o.keepSeen && o.config?.loss !== 'bce', ...o.config }),
    filterSeen: !o.keepSeen,
    timeBudgetMs: minutes !== undefined ? minutes * 60_000 : undefined,
    progress: o.progress ?? true,
    workers: o.workers ?? defaultWorkers(),
    workersGiven: o.workers !== undefined,
    log: ctx.log,
    positionWeighting: o.positionWeighting,
    weightAverage: o.weightAverage,
    itemUpdates: o.itemUpdates,
    maxStepsPerEpoch: o.maxStepsPerEpoch,
    validUsers: o.validUsers,
    onEpoch: epochProgress(ctx.progress, minutes),
  });
}

/**
 * A training step's per-epoch progress for the build's bar: over the budget's seconds when there is
 * one, so the bar's ETA is the time left; else the epoch count.
 */
export function epochProgress(progress: BuildContext['progress'], minutes: number | undefined): (e: { epoch: number; minutes: number }) => void {
  const budgetS = minutes !== undefined ? Math.round(minutes * 60) : 0;
  return (e) => (budgetS ? progress(Math.min(budgetS, Math.round(e.minutes * 60)), budgetS) : progress(e.epoch, 0));
}

/** The manifest entry for a trained model (the writer fills in the file's hash): architecture, weight specs, how it was trained. */
export function sasrecEntry(r: TrainSasrecResult): SasrecEntry {
  const history = r.history.map(({ epoch, loss, parts, validNdcg10, minutes, epochMs }) => ({ epoch, loss, ...(parts ? { parts } : {}), ...(validNdcg10 !== undefined ? { validNdcg10 } : {}), minutes, epochSeconds: epochMs / 1000 }));
  const c = r.config;
  // how it was trained, not needed to serve: the settings an ML engineer compares runs by
  const settings = { maxLen: c.maxLen, dropout: c.dropout, batchSize: c.batchSize, learningRate: c.learningRate, lrSchedule: c.lrSchedule, warmupSteps: c.warmupSteps, numNegatives: c.numNegatives, patience: c.patience, seed: c.seed };
  const trainedWith = { loss: r.config.loss, epochs: r.bestEpoch, ...(r.bestValid ? { valid: r.bestValid } : {}), history, settings };
  return { kind: 'sasrec', files: [SASREC_FILE], config: architectureOf(r.config), weights: r.weights.specs.map((s) => ({ ...s, shape: [...s.shape] })), trainedWith };
}
