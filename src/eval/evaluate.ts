import { MolarError } from '../errors.js';
import type { LeaveOneOutSplit } from '../data/types.js';
import type { Scorer } from '../score/scorer.js';
import { MetricAccumulator, rankOf } from './metrics.js';
import { evalUsers, historyOf } from './users.js';

export interface EvaluateOptions {
  /** 'valid': history = train prefix; 'test': history = train prefix + valid item */
  split?: 'valid' | 'test';
  ks?: number[];
  /**
   * Remove the user's history items from the ranking (default true: the published ML-1M protocol,
   * gSASRec filter_rated / SASRec+ filter_seen). false keeps them (RecBole full-sort, behind the
   * published Amazon Scientific numbers). A target that is also in the history is then unrankable
   * and counts as a miss — nothing peeks at the target to rescue it.
   */
  filterSeen?: boolean;
  batchSize?: number;
  /**
   * evaluate only n eligible users, spread evenly over the user list (quick checks, per-epoch
   * validation); results record the count used. Not the first n: logs list users in an order
   * (sign-up, id) that can go with how active they are, so the first n need not be typical.
   */
  maxUsers?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface EvalResult {
  split: 'valid' | 'test';
  filterSeen: boolean;
  ks: number[];
  users: number;
  /** ndcg@K, recall@K for each K, and mrr */
  metrics: Record<string, number>;
}

/** Leave-one-out, full-ranking evaluation of any batched scorer. `sequences` are the full per-user sequences. */
export async function evaluate(scorer: Pick<Scorer, 'score'>, split: LeaveOneOutSplit, sequences: Int32Array[], opts: EvaluateOptions = {}): Promise<EvalResult> {
  const r = await evaluateVariants({ names: ['only'], score: async (h) => ({ only: await scorer.score(h) }) }, split, sequences, opts);
  return r.only;
}

/**
 * Several rankings of the same users in one pass: `scorer` returns, per variant name, one score
 * row per history (e.g. one model's scores mixed at several weights, computed once). Every variant
 * sees the same users, histories and protocol. `names` lists variants to report even when no user
 * is eligible (the scorer is then never asked).
 */
export async function evaluateVariants(scorer: { names?: string[]; score(histories: Int32Array[]): Promise<Record<string, Float32Array[]>> }, split: LeaveOneOutSplit, sequences: Int32Array[], opts: EvaluateOptions = {}): Promise<Record<string, EvalResult>> {
  const which = opts.split ?? 'test';
  const ks = opts.ks ?? [10, 20];
  const filterSeen = opts.filterSeen ?? true;
  const batchSize = opts.batchSize ?? 256;
  if (ks.some((k) => !Number.isInteger(k) || k <= 0)) throw new MolarError('BAD_CONFIG', `ks must be positive integers, got ${ks.join(', ')}`, { field: 'ks' });
  const targets = which === 'test' ? split.test : split.valid;
  const history = (u: number): Int32Array => historyOf(which, split, sequences, u);
  // Batches of similar history lengths: a batch pads to its longest history, so mixing a 3-item
  // history with a 200-item one makes the model read 197 pads for it. Metrics are means over users,
  // so the order users are scored in changes nothing else (measured: bench/eval-speed.ts).
  const users = byLength(evalUsers(targets, opts.maxUsers), history);
  const acc = new Map<string, MetricAccumulator>((scorer.names ?? []).map((n) => [n, new MetricAccumulator(ks)]));
  for (let start = 0; start < users.length; start += batchSize) {
    const batch = users.slice(start, start + batchSize);
    const hist = batch.map(history);
    const variants = Object.entries(await scorer.score(hist));
    for (const [name, scores] of variants) {
      if (scores.length !== batch.length) throw new MolarError('BAD_INPUT', `scorer returned ${scores.length} rows for ${batch.length} histories`);
      if (!acc.has(name)) acc.set(name, new MetricAccumulator(ks));
    }
    for (let b = 0; b < batch.length; b++) {
      const target = targets[batch[b]];
      const seen = filterSeen ? new Set(hist[b]) : null;
      for (const [name, scores] of variants) acc.get(name)!.add(seen && seen.has(target) ? Infinity : rankOf(scores[b], target, seen));
    }
    opts.onProgress?.(Math.min(start + batchSize, users.length), users.length);
  }
  return Object.fromEntries([...acc].map(([name, a]) => [name, { split: which, filterSeen, ks, users: a.count, metrics: a.means() }]));
}

/** `users` ordered by the length of the history each is scored on (stable, so equal lengths keep their order). */
export function byLength(users: number[], history: (u: number) => Int32Array): number[] {
  const len = new Map(users.map((u) => [u, history(u).length]));
  return [...users].sort((a, b) => len.get(a)! - len.get(b)!);
}
