import type { SasrecConfig } from './config.js';

/** What the data-adaptive defaults look at: sizes and the history-length distribution of the training log. */
export interface DataShape {
  users: number;
  numItems: number;
  /** interactions in the training prefixes */
  interactions: number;
  /** per-user history lengths */
  lengths: readonly number[];
}

/** One derived setting: its value and the measured reason, as printed at the start of training. */
export interface Derived<T> {
  value: T;
  why: string;
}

export type AdaptiveSasrec = { [K in AdaptiveField]: Derived<SasrecConfig[K]> };
type AdaptiveField = 'maxLen' | 'loss' | 'numNegatives' | 'dropout' | 'batchSize' | 'learningRate' | 'lrSchedule' | 'warmupSteps' | 'patience' | 'positions';

/**
 * The thresholds, measured (BENCHMARKS.md, `defaults-sweep` and `accuracy` rows): slices of ML-1M
 * (300, 600, 1,500, 6,040 users) and Amazon Scientific (1,000, 8,442 users), each setting chosen on
 * validation NDCG@10. Kept as data so the measurement each comes from sits beside it.
 */
export const ADAPTIVE_RULES = Object.freeze({
  /** full softmax up to this many items (exact, and cheap at this size); SASRec+'s 3,000 sampled negatives above */
  fullSoftmaxItems: 20_000,
  sampledNegatives: 3000,
  /** maxLen covers this share of histories, rounded up to 10, within [minLen, maxLen] */
  lengthQuantile: 0.95,
  minLen: 50,
  maxLen: 200,
  /**
   * dropout 0.5 where the median history is shorter than this, else 0.1. Measured: on ML-1M slices
   * (median histories ~100) 0.1 won or tied at 300, 600 and 1,500 users (0.074 vs 0.025 valid NDCG@10
   * at 1,500) and on the full set (the 30-minute recipe); on Amazon Scientific (median 5) 0.5 won on
   * the full set and on 1,000 users. The number of interactions did not separate them: 300 ML-1M
   * users have fewer than all of Amazon's.
   */
  shortHistoryMedian: 20,
  /**
   * batches of 32 users below this many users, else 64 (the 30-minute ML-1M recipe's). Measured in
   * 3-minute runs: 32 won on every ML-1M slice (more steps where an epoch holds few users) and tied
   * on 1,000 Amazon users.
   */
  smallBatchBelow: 2000,
  /** the 30-minute ML-1M recipe's rate, warm-up and schedule (BENCHMARKS.md), kept for every size */
  learningRate: 0.006,
  warmupSteps: 100,
});

/**
 * SASRec's data-adaptive defaults: the settings that depend on the data, derived from its shape by
 * ADAPTIVE_RULES, each with the reason `molar build` / `molar train` print before training. Any
 * flag the user gives overrides its row. `budgeted`: a time budget ends training (cosine-time
 * schedule over it, long patience); without one early stopping decides (constant rate, patience 20).
 */
export function adaptiveSasrecDefaults(data: DataShape, { budgeted }: { budgeted: boolean }): AdaptiveSasrec {
  const R = ADAPTIVE_RULES;
  const sorted = [...data.lengths].sort((a, b) => a - b);
  const q = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(R.lengthQuantile * sorted.length))] : 0;
  const maxLen = Math.min(R.maxLen, Math.max(R.minLen, Math.ceil(q / 10) * 10));
  const full = data.numItems <= R.fullSoftmaxItems;
  const median = sorted.length ? sorted[Math.floor(sorted.length / 2)] : 0;
  const dropout = median < R.shortHistoryMedian ? 0.5 : 0.1;
  const batchSize = data.users < R.smallBatchBelow ? 32 : 64;
  const k = (n: number) => (n >= 1000 ? `${Math.round(n / 1000)}k` : String(n));
  return {
    maxLen: { value: maxLen, why: `${Math.round(R.lengthQuantile * 100)}% of histories have ≤ ${q} events (kept within ${R.minLen}–${R.maxLen})` },
    loss: { value: full ? 'ce' : 'sampled-ce', why: full ? `full softmax: ${data.numItems} items ≤ ${k(R.fullSoftmaxItems)}` : `${data.numItems} items > ${k(R.fullSoftmaxItems)}: sampled softmax` },
    numNegatives: { value: full ? 0 : Math.min(R.sampledNegatives, data.numItems), why: full ? 'none (full softmax)' : `SASRec+'s ${R.sampledNegatives}, at most the catalog` },
    dropout: { value: dropout, why: `median history ${median} events (0.5 below ${R.shortHistoryMedian}, else 0.1)` },
    batchSize: { value: batchSize, why: `${data.users} users (32 below ${k(R.smallBatchBelow)}: more steps per epoch)` },
    learningRate: { value: budgeted ? R.learningRate : 0.002, why: budgeted ? 'with warm-up and a cosine over the budget' : 'constant (no time budget)' },
    lrSchedule: { value: budgeted ? 'cosine-time' : 'constant', why: budgeted ? 'decays to 0 as the budget is spent' : 'no time budget to decay over' },
    warmupSteps: { value: R.warmupSteps, why: 'keeps the first steps at a high rate from collapsing onto popularity' },
    patience: { value: budgeted ? 100 : 20, why: budgeted ? 'the budget ends training' : 'epochs without a better valid NDCG@10' },
    positions: { value: 'from-oldest', why: 'each item keeps its position index from training to serving' },
  };
}

/**
 * The derived values under the user's own settings: what was given wins. A given loss takes its
 * own usual negatives (config.ts) unless negatives were given too, not the ones derived for the
 * derived loss.
 */
export function withAdaptive(a: AdaptiveSasrec, given: Partial<SasrecConfig>): Partial<SasrecConfig> {
  const derived = Object.fromEntries(Object.entries(a).map(([k, d]) => [k, d.value])) as Partial<SasrecConfig>;
  if (given.loss !== undefined) delete derived.numNegatives;
  const set = Object.fromEntries(Object.entries(given).filter(([, v]) => v !== undefined));
  return { ...derived, ...set };
}

/** The shape of a leave-one-out training part. */
export function shapeOf(train: readonly Int32Array[], numItems: number): DataShape {
  const lengths = train.map((s) => s.length).filter((n) => n > 0);
  return { users: lengths.length, numItems, interactions: lengths.reduce((s, n) => s + n, 0), lengths };
}

/** One line per derived setting, marking those a flag overrode. */
export function describeAdaptive(a: AdaptiveSasrec, given: Partial<SasrecConfig>): string {
  return Object.entries(a)
    .map(([k, d]) => (k in given && given[k as AdaptiveField] !== undefined ? `  ${k} ${String(given[k as AdaptiveField])} (given; data suggests ${String(d.value)})` : `  ${k} ${String(d.value)}: ${d.why}`))
    .join('\n');
}
