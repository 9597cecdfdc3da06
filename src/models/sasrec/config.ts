import { MolarError } from '../../errors.js';
import { BLOCK_WIRINGS, type BlockWiring } from '../nn/transformer.js';
import { POSITION_COUNTS, type PositionCount } from '../nn/positions.js';

/** Training objectives the SASRec family is known by. */
export const SASREC_LOSSES = ['bce', 'gbce', 'ce', 'sampled-ce'] as const;
export type SasrecLoss = (typeof SASREC_LOSSES)[number];
export const LR_SCHEDULES = ['constant', 'cosine', 'cosine-time'] as const;
export type LrSchedule = (typeof LR_SCHEDULES)[number];
/** nn/transformer.ts's wirings: the block stack is shared, so are its names */
export const SASREC_BLOCKS = BLOCK_WIRINGS;
export type SasrecBlock = BlockWiring;
export const SASREC_INITS = ['xavier', 'normal'] as const;
export type SasrecInit = (typeof SASREC_INITS)[number];
export const SASREC_POSITIONS = POSITION_COUNTS;
export type SasrecPositions = PositionCount;

/**
 * Hyperparameters of the ID-based SASRec model (Kang & McAuley 2018) and its training objective,
 * RecBole-style: every field documented, defaults written once in SASREC_DEFAULTS.
 */
export interface SasrecConfig {
  /** (int) catalog size; ids are 1..numItems, 0 = padding. Required, no default. */
  numItems: number;
  /** (int) most recent items the model reads; 200 for ML-1M (SASRec paper), 50 for sparse shops */
  maxLen: number;
  /** (int) embedding / hidden width D */
  hidden: number;
  /** (int) self-attention blocks */
  blocks: number;
  /**
   * (int) inner width of each block's feed-forward layer. Defaults to `hidden`, SASRec's own FFN;
   * RecBole's SASRec uses 4 × hidden (its inner_size 256 at hidden 64).
   */
  ffnInner: number;
  /**
   * block wiring. 'pre-ln': LN → attention → residual, LN → FFN → residual (GPT-2 style).
   * 'sasrec': the paper's own (Kang & McAuley's TF code, SASRec.pytorch, SASRec+): the query is
   * LN(x) while keys and values read x un-normalised, the residual adds to LN(x), and the FFN
   * reads and adds to LN(x).
   */
  block: SasrecBlock;
  /** how learned positions are counted within the window the model reads (nn/positions.ts) */
  positions: SasrecPositions;
  /** (int) attention heads; must divide `hidden` */
  heads: number;
  /** (float in [0,1)) dropout rate on embeddings, attention weights, FFN (and, in 'pre-ln' blocks, attention output) */
  dropout: number;
  /** training objective; 'ce' = full softmax, 'sampled-ce' = SASRec+ (uniform negatives) */
  loss: SasrecLoss;
  /** (int) negatives per positive: bce uses 1, gbce 256 (gSASRec), sampled-ce 3000 (SASRec+); ignored by ce */
  numNegatives: number;
  /**
   * ce / sampled-ce: leave the items of the user's own training window out of the softmax's
   * negatives, as SASRec+ samples them (Klenitskiy & Vasilev 2023). Right when evaluation removes
   * seen items (ML-1M's protocol): the model then spends no effort ranking history it will never be
   * asked to rank. Turn off when repeats are recommendable (the RecBole protocol, `--keep-seen`).
   */
  excludeHistory: boolean;
  /**
   * Repeat-aware scoring: one learned scalar added to the score of every item already among the
   * inputs the model reads (its last maxLen). It learns how often this shop's users come back to
   * what they saw: strongly negative where they rarely do (without it SASRec tends to rank the
   * items just seen near the top, since its output shares the input embedding), positive where
   * they re-buy. Only for the history-kept protocol (excludeHistory false; with history out of the
   * negatives it gets no signal) and softmax or gBCE losses (not bce). Default false.
   */
  repeatBias: boolean;
  /** (float in [0,1]) gSASRec calibration t; 0 = plain BCE with many negatives, 1 = fully calibrated */
  gbceT: number;
  /** (float > 0) Adam learning rate */
  learningRate: number;
  /**
   * learning-rate schedule: 'constant'; 'cosine' (half a cosine from learningRate down to 0 over
   * maxEpochs, stepwise; set maxEpochs to the epochs the time budget allows); or 'cosine-time' (the
   * same over the trainer's time budget, by wall clock, ending training when it is spent: fits any
   * machine's speed, but the curve is not bit-reproducible, since the rate depends on the clock)
   */
  lrSchedule: LrSchedule;
  /**
   * (int ≥ 0) optimizer steps over which the rate rises linearly from learningRate/warmupSteps to
   * the schedule's value (training only). Why: at 30-minute rates (6e-3) Adam's first steps can
   * knock a fresh model into predicting popularity only, where it may stay for epochs (BENCHMARKS.md)
   */
  warmupSteps: number;
  /**
   * weight initialisation (training only; not in the bundle): 'xavier' normal (SASRec.pytorch) or
   * 'normal' N(0, 0.02²) for every matrix and embedding (RecBole, SASRec+, GPT-2)
   */
  init: SasrecInit;
  /** (int) users per training batch */
  batchSize: number;
  /** (int) upper bound on epochs; early stopping usually ends sooner */
  maxEpochs: number;
  /**
   * (int) epochs without a better valid NDCG@10 before training stops. Default 20: with N(0, 0.02²)
   * init valid NDCG@10 peaks at epoch 2 (a near-bigram fit), dips until epoch ~7 and only passes that
   * peak at epoch ~14 (demo shop), so a short patience keeps the early peak.
   */
  patience: number;
  /** (int) seed of weight init, batch order, dropout and negative sampling */
  seed: number;
}

/** Defaults of every field but numItems (required) and ffnInner (= hidden unless given). */
export const SASREC_DEFAULTS: Readonly<Omit<SasrecConfig, 'numItems' | 'ffnInner'>> = Object.freeze({
  maxLen: 200,
  hidden: 64,
  blocks: 2,
  heads: 1,
  block: 'sasrec',
  positions: 'from-newest',
  init: 'normal',
  dropout: 0.2,
  loss: 'sampled-ce',
  numNegatives: 3000,
  excludeHistory: true,
  repeatBias: false,
  gbceT: 0.75,
  learningRate: 1e-3,
  lrSchedule: 'constant',
  warmupSteps: 0,
  batchSize: 128,
  maxEpochs: 200,
  patience: 20,
  seed: 42,
});

/** Negatives each loss uses when the caller does not say. */
export const DEFAULT_NEGATIVES: Readonly<Record<SasrecLoss, number>> = Object.freeze({
  bce: 1,
  gbce: 256,
  ce: 0,
  'sampled-ce': 3000,
});

type IntField = 'numItems' | 'maxLen' | 'hidden' | 'ffnInner' | 'blocks' | 'heads' | 'batchSize' | 'maxEpochs' | 'patience' | 'numNegatives' | 'warmupSteps';
const INT_RANGES: Record<IntField, [number, number]> = {
  numItems: [1, 50_000_000],
  maxLen: [1, 4096],
  hidden: [1, 4096],
  ffnInner: [1, 16384],
  blocks: [1, 64],
  heads: [1, 64],
  batchSize: [1, 1_000_000],
  maxEpochs: [1, 100_000],
  patience: [1, 100_000],
  numNegatives: [0, 1_000_000],
  warmupSteps: [0, 100_000_000],
};

/**
 * Fills defaults and range-checks every field; a bad value is a MolarError('BAD_CONFIG') naming the
 * field and the allowed range, never a silent clamp. When `loss` is given without `numNegatives`
 * the loss's usual count is taken.
 */
export function resolveSasrecConfig(partial: Partial<SasrecConfig> & { numItems: number }): SasrecConfig {
  const loss = partial.loss ?? SASREC_DEFAULTS.loss;
  // a default never exceeds the catalog (3000 negatives out of 10 items would be an error the user never asked for)
  const numNegatives = partial.numNegatives ?? Math.min(DEFAULT_NEGATIVES[loss as SasrecLoss] ?? SASREC_DEFAULTS.numNegatives, Math.max(1, partial.numItems));
  const ffnInner = partial.ffnInner ?? partial.hidden ?? SASREC_DEFAULTS.hidden;
  const cfg = { ...SASREC_DEFAULTS, ...stripUndefined(partial), numItems: partial.numItems, loss, numNegatives, ffnInner } as SasrecConfig;
  validateSasrecConfig(cfg);
  return cfg;
}

export function validateSasrecConfig(cfg: SasrecConfig): void {
  const bad = (field: string, expected: string, got: unknown): never => {
    throw new MolarError('BAD_CONFIG', `sasrec ${field} must be ${expected}, got ${JSON.stringify(got)}`, { field });
  };
  for (const [field, [lo, hi]] of Object.entries(INT_RANGES) as [IntField, [number, number]][]) {
    const v = cfg[field];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(field, `an integer in [${lo}, ${hi}]`, v);
  }
  if (!Number.isInteger(cfg.seed)) bad('seed', 'an integer', cfg.seed);
  if (!(SASREC_LOSSES as readonly string[]).includes(cfg.loss)) bad('loss', `one of ${SASREC_LOSSES.join(', ')}`, cfg.loss);
  if (typeof cfg.dropout !== 'number' || !(cfg.dropout >= 0 && cfg.dropout < 1)) bad('dropout', 'a number in [0, 1)', cfg.dropout);
  if (typeof cfg.gbceT !== 'number' || !(cfg.gbceT >= 0 && cfg.gbceT <= 1)) bad('gbceT', 'a number in [0, 1]', cfg.gbceT);
  if (typeof cfg.learningRate !== 'number' || !(cfg.learningRate > 0 && cfg.learningRate < 10)) bad('learningRate', 'a number in (0, 10)', cfg.learningRate);
  if (typeof cfg.excludeHistory !== 'boolean') bad('excludeHistory', 'true or false', cfg.excludeHistory);
  if (typeof cfg.repeatBias !== 'boolean') bad('repeatBias', 'true or false', cfg.repeatBias);
  if (!(SASREC_BLOCKS as readonly string[]).includes(cfg.block)) bad('block', `one of ${SASREC_BLOCKS.join(', ')}`, cfg.block);
  if (!(SASREC_POSITIONS as readonly string[]).includes(cfg.positions)) bad('positions', `one of ${SASREC_POSITIONS.join(', ')}`, cfg.positions);
  if (!(SASREC_INITS as readonly string[]).includes(cfg.init)) bad('init', `one of ${SASREC_INITS.join(', ')}`, cfg.init);
  if (!(LR_SCHEDULES as readonly string[]).includes(cfg.lrSchedule)) bad('lrSchedule', `one of ${LR_SCHEDULES.join(', ')}`, cfg.lrSchedule);
  if (cfg.hidden % cfg.heads !== 0) bad('heads', `a divisor of hidden (${cfg.hidden})`, cfg.heads);
  // Cross-field checks, as RecBole does at config time.
  if (cfg.loss !== 'ce' && cfg.numNegatives < 1) bad('numNegatives', `at least 1 for loss ${cfg.loss}`, cfg.numNegatives);
  if (cfg.repeatBias && cfg.excludeHistory) bad('repeatBias', 'false while excludeHistory is true (history items are then never negatives, so the bias would learn nothing)', cfg.repeatBias);
  if (cfg.repeatBias && cfg.loss === 'bce') bad('repeatBias', "false with loss 'bce' (use ce, sampled-ce or gbce)", cfg.repeatBias);
  if (cfg.loss !== 'ce' && cfg.numNegatives > cfg.numItems) bad('numNegatives', `at most numItems (${cfg.numItems})`, cfg.numNegatives);
}

/** The part of the config the bundle must carry to rebuild the network (training knobs excluded). */
export function architectureOf(cfg: SasrecConfig): Record<string, unknown> {
  const { numItems, maxLen, hidden, ffnInner, blocks, block, positions, heads, dropout, loss, repeatBias } = cfg;
  return { numItems, maxLen, hidden, ffnInner, blocks, block, positions, heads, dropout, loss, repeatBias };
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
