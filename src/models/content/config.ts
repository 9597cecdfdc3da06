import { MolarError } from '../../errors.js';
import { POSITION_COUNTS, type PositionCount } from '../nn/positions.js';
import { BLOCK_WIRINGS, type BlockWiring } from '../nn/transformer.js';
import type { WeightInit } from '../nn/weights.js';
import { SASREC_DEFAULTS } from '../sasrec/config.js';

/**
 * Molar's content user model (models/content/model.ts) and its item model (models/fusion/): the
 * architecture a bundle carries, RecBole-style, defaults written once in CONTENT_DEFAULTS.
 */
export interface ContentConfig {
  /** (int) catalog items; ids 1..numItems, 0 = padding */
  numItems: number;
  /** (int) most recent items read */
  maxLen: number;
  /** (int) width D of the fused item vectors and the user vectors (= the ID model's, for alignment) */
  hidden: number;
  /** (int) causal self-attention blocks over the fused item vectors */
  blocks: number;
  /** (int) attention heads; must divide hidden */
  heads: number;
  /** block wiring (nn/transformer.ts) */
  block: BlockWiring;
  /** how learned positions are counted (nn/positions.ts); 'from-oldest' as the ID model's, for the user-level warm start */
  positions: PositionCount;
  /** (float in [0,1)) dropout on inputs, attention and FFN */
  dropout: number;
  /**
   * (float in [0,1)) training only: each present modality of each item is hidden at this rate, so
   * the model ranks items that lack one (fusion/head.ts)
   */
  modalityDropout: number;
  /** (int ≥ 0) inner width of the fusion head's two-layer projections (0: linear; fusion/head.ts) */
  fusionInner: number;
  /**
   * true: each item the training data knows also gets a learned ID vector added to its fused
   * vector (models/content/model.ts): the content path then has the ID model's capacity for warm
   * items while an item without one (held out, added later) is scored from its content alone. The
   * ID is hidden at `modalityDropout` like a modality, so the content part alone still ranks.
   */
  idResidual: boolean;
  /** (int) text / image vector widths and the attribute vocabulary size (from the bundle) */
  textDim: number;
  imageDim: number;
  numAttributes: number;
  /** training only: weight init and seed */
  init: WeightInit;
  seed: number;
}

export const CONTENT_DEFAULTS: Readonly<Omit<ContentConfig, 'numItems' | 'textDim' | 'imageDim' | 'numAttributes'>> = Object.freeze({
  maxLen: 200,
  hidden: 64,
  blocks: 2,
  heads: 1,
  block: 'sasrec',
  positions: 'from-newest',
  dropout: 0.2,
  modalityDropout: 0.1,
  fusionInner: 256,
  idResidual: false,
  init: 'normal',
  seed: 42,
});

const INTS: [keyof ContentConfig, number, number][] = [
  ['numItems', 1, 50_000_000],
  ['maxLen', 1, 4096],
  ['hidden', 1, 4096],
  ['blocks', 1, 64],
  ['heads', 1, 64],
  ['textDim', 0, 1 << 16],
  ['imageDim', 0, 1 << 16],
  ['numAttributes', 0, 1 << 16],
  ['fusionInner', 0, 1 << 16],
  ['seed', -(2 ** 31), 2 ** 31],
];

/** Defaults filled and every field range-checked (BAD_CONFIG naming the field); nothing clamped. */
export function resolveContentConfig(partial: Partial<ContentConfig> & Pick<ContentConfig, 'numItems' | 'textDim' | 'imageDim' | 'numAttributes'>): ContentConfig {
  const cfg = { ...CONTENT_DEFAULTS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) } as ContentConfig;
  const bad = (field: string, expected: string, v: unknown): never => {
    throw new MolarError('BAD_CONFIG', `content ${field} must be ${expected}, got ${JSON.stringify(v)}`, { field });
  };
  for (const [f, lo, hi] of INTS) if (!Number.isInteger(cfg[f]) || (cfg[f] as number) < lo || (cfg[f] as number) > hi) bad(f, `an integer in [${lo}, ${hi}]`, cfg[f]);
  for (const f of ['dropout', 'modalityDropout'] as const) if (typeof cfg[f] !== 'number' || !(cfg[f] >= 0 && cfg[f] < 1)) bad(f, 'a number in [0, 1)', cfg[f]);
  if (!(BLOCK_WIRINGS as readonly string[]).includes(cfg.block)) bad('block', `one of ${BLOCK_WIRINGS.join(', ')}`, cfg.block);
  if (!(POSITION_COUNTS as readonly string[]).includes(cfg.positions)) bad('positions', `one of ${POSITION_COUNTS.join(', ')}`, cfg.positions);
  if (typeof cfg.idResidual !== 'boolean') bad('idResidual', 'true or false', cfg.idResidual);
  if (cfg.init !== 'normal' && cfg.init !== 'xavier') bad('init', 'normal or xavier', cfg.init);
  if (cfg.hidden % cfg.heads !== 0) bad('heads', `a divisor of hidden (${cfg.hidden})`, cfg.heads);
  if (cfg.textDim + cfg.imageDim === 0) bad('textDim', 'non-zero, or imageDim non-zero: the content model reads item vectors', cfg.textDim);
  return cfg;
}

/** The fields the bundle carries to rebuild the network (training knobs excluded). */
export function contentArchitecture(cfg: ContentConfig): Record<string, unknown> {
  const { numItems, maxLen, hidden, blocks, heads, block, positions, dropout, textDim, imageDim, numAttributes, fusionInner, idResidual } = cfg;
  // written only when not the earlier default, so bundles without them read as before
  return { numItems, maxLen, hidden, blocks, heads, block, dropout, textDim, imageDim, numAttributes, fusionInner, ...(idResidual ? { idResidual } : {}), ...(positions !== 'from-newest' ? { positions } : {}) };
}

/**
 * The two training orders the paper allows (train/molar.ts): SASRec trained first and frozen as
 * teacher, or both user models trained together (train/molar-joint.ts).
 */
export const MOLAR_ORDERS = ['teacher', 'joint'] as const;
export type MolarOrder = (typeof MOLAR_ORDERS)[number];

/**
 * How the content model trains (in the bundle only as trainedWith.settings). The task weights
 * multiply their loss parts (the loop minimises the sum); 0 switches a part off, as the ablations do.
 */
export interface MolarTrainConfig {
  /** 'teacher': align to a frozen SASRec; 'joint': SASRec trains with the content model (warm-started from it when given) */
  order: MolarOrder;
  /** (float > 0) Adam learning rate, and its schedule as SASRec's (models/sasrec/config.ts) */
  learningRate: number;
  lrSchedule: 'constant' | 'cosine' | 'cosine-time';
  warmupSteps: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  /** post-alignment weight α and InfoNCE temperature τ (cosine / τ) against the frozen ID model */
  alignWeight: number;
  alignTau: number;
  /** IT (image ↔ text contrastive) weight and temperature */
  itWeight: number;
  itTau: number;
  /** SA (attributes from text + image) weight */
  saWeight: number;
  /**
   * false: the w/o-UB ablation (the paper removes UB from the item model's training): the user
   * model's losses (UB, and align, which reads the same fused inputs) stop at the fusion head, so
   * the head trains on IT + SA only while the blocks still train on UB (+ align). Default true.
   */
  ubToHead: boolean;
  /**
   * item-level alignment before training (train/molar-item-align.ts): Adam steps fitting the fusion
   * head to the given ID model's item table (0: off; needs an ID model)
   */
  itemAlignSteps: number;
  /**
   * (float > 0) the ID residual's table (ContentConfig.idResidual) steps this many times the
   * learning rate. Scores read the table at 1/√D (ContentModel.outputScale), so at factor 1 an
   * Adam step moves an item's score √D times less than the same step moves SASRec's, whose table
   * is read unscaled; √D (8 at D = 64) gives the two the same pace.
   */
  idLrFactor: number;
  /**
   * true (needs an ID model, an ID residual and the ID model's block shapes): the content user
   * model starts as the ID model, its blocks and positions copied and each known item's vector set
   * to the ID model's row (train/molar-user-warm-start.ts), after the item-level alignment if any
   */
  userWarmStart: boolean;
}

// the optimisation knobs start where SASRec's do: the two train on the same sequences
const { learningRate, lrSchedule, warmupSteps, batchSize, maxEpochs, patience } = SASREC_DEFAULTS;
export const MOLAR_TRAIN_DEFAULTS: Readonly<MolarTrainConfig> = Object.freeze({
  order: 'teacher',
  learningRate,
  lrSchedule,
  warmupSteps,
  batchSize,
  maxEpochs,
  patience,
  alignWeight: 0.5,
  alignTau: 0.2,
  itWeight: 0.1,
  itTau: 0.07,
  saWeight: 0.1,
  ubToHead: true,
  itemAlignSteps: 0,
  idLrFactor: 1,
  userWarmStart: false,
});

export function resolveMolarTrainConfig(partial: Partial<MolarTrainConfig> = {}): MolarTrainConfig {
  const cfg = { ...MOLAR_TRAIN_DEFAULTS, ...Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined)) } as MolarTrainConfig;
  const bad = (field: string, expected: string, v: unknown): never => {
    throw new MolarError('BAD_CONFIG', `molar ${field} must be ${expected}, got ${JSON.stringify(v)}`, { field });
  };
  for (const f of ['batchSize', 'maxEpochs', 'patience'] as const) if (!Number.isInteger(cfg[f]) || cfg[f] < 1) bad(f, 'a positive integer', cfg[f]);
  for (const f of ['warmupSteps', 'itemAlignSteps'] as const) if (!Number.isInteger(cfg[f]) || cfg[f] < 0) bad(f, 'a non-negative integer', cfg[f]);
  if (!(cfg.learningRate > 0 && cfg.learningRate < 10)) bad('learningRate', 'a number in (0, 10)', cfg.learningRate);
  if (!(cfg.idLrFactor > 0 && cfg.idLrFactor <= 1000)) bad('idLrFactor', 'a number in (0, 1000]', cfg.idLrFactor);
  if (!['constant', 'cosine', 'cosine-time'].includes(cfg.lrSchedule)) bad('lrSchedule', 'constant, cosine or cosine-time', cfg.lrSchedule);
  for (const f of ['alignWeight', 'itWeight', 'saWeight'] as const) if (!(cfg[f] >= 0 && cfg[f] <= 100)) bad(f, 'a number in [0, 100]', cfg[f]);
  for (const f of ['alignTau', 'itTau'] as const) if (!(cfg[f] > 0 && cfg[f] <= 10)) bad(f, 'a number in (0, 10]', cfg[f]);
  if (!(MOLAR_ORDERS as readonly string[]).includes(cfg.order)) bad('order', MOLAR_ORDERS.join(' or '), cfg.order);
  for (const f of ['ubToHead', 'userWarmStart'] as const) if (typeof cfg[f] !== 'boolean') bad(f, 'true or false', cfg[f]);
  return cfg;
}
