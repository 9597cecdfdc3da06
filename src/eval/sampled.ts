/**
 * The sampled protocol of MLLM-MSR (arXiv 2408.09698) and the papers it compares with: per test
 * user, the target and `negatives` items sampled uniformly from those the user never interacted
 * with (none of the user's whole sequence, so neither the history nor the target), ranked among
 * themselves; AUC, HR@K and NDCG@K over those 1 + negatives candidates. The negatives are a
 * function of (seed, user) alone, so a first stage and the same first stage re-ranked are scored on
 * the same candidates, whatever the batch size or user subset.
 */
import type { ItemRecord } from '../bundle/manifest.js';
import type { LeaveOneOutSplit } from '../data/types.js';
import { MolarError } from '../errors.js';
import { mulberry32 } from '../random.js';
import { rerank, type Candidate, type Reranker } from '../score/rerank.js';
import type { Scorer } from '../score/scorer.js';
import { ndcgAt, recallAt } from './metrics.js';
import { evalUsers, historyOf } from './users.js';

export interface SampledOptions {
  split?: 'valid' | 'test';
  /** sampled negatives per user (default 20: 21 candidates) */
  negatives?: number;
  /** seeds the negatives (default 42) */
  seed?: number;
  /** cut-off of HR and NDCG (default 5) */
  k?: number;
  /** evaluate only n eligible users, spread evenly over the user list (as evaluate()) */
  maxUsers?: number;
  batchSize?: number;
  /**
   * re-rank the candidates (given best first by the scorer) before measuring: the re-ranker sees
   * the history, the candidates and the scorer's full score row, as in recommend()
   */
  reranker?: Reranker;
  /** item records by internal id (`items[id - 1]`), what a re-ranker's context carries */
  items?: readonly ItemRecord[];
  onProgress?: (done: number, total: number) => void;
}

export interface SampledResult {
  protocol: 'sampled';
  split: 'valid' | 'test';
  negatives: number;
  seed: number;
  users: number;
  /** auc, hr@K, ndcg@K (K = opts.k) */
  metrics: Record<string, number>;
}

/**
 * `count` distinct ids from 1..numItems, none in `exclude`, drawn uniformly by `rnd`. When fewer
 * than `count` are left (a tiny catalog), all that are left, in drawn order.
 */
export function sampleNegatives(numItems: number, exclude: ReadonlySet<number>, count: number, rnd: () => number): Int32Array {
  let free = numItems;
  for (const i of exclude) if (i >= 1 && i <= numItems) free--;
  const want = Math.min(count, free);
  const out = new Set<number>();
  // rejection is fast while most ids are free; a user holding most of a small catalog takes the scan
  if (free > 2 * want) {
    while (out.size < want) {
      const i = 1 + Math.floor(rnd() * numItems);
      if (!exclude.has(i)) out.add(i);
    }
    return Int32Array.from(out);
  }
  const pool: number[] = [];
  for (let i = 1; i <= numItems; i++) if (!exclude.has(i)) pool.push(i);
  for (let j = 0; j < want; j++) {
    const p = j + Math.floor(rnd() * (pool.length - j));
    [pool[j], pool[p]] = [pool[p], pool[j]];
  }
  return Int32Array.from(pool.slice(0, want));
}

/**
 * The target's rank and AUC among candidate scores, `scores[0]` the target's. Rank = 1 + the
 * negatives scored strictly above it (ties in the target's favour, as metrics.ts's rankOf); AUC =
 * the share of negatives scored below it, a tie counting one half (so a constant scorer has AUC
 * 0.5). A NaN target score is a miss: rank Infinity, AUC 0.
 */
export function candidateRank(scores: ArrayLike<number>): { rank: number; auc: number } {
  const t = scores[0];
  const n = scores.length - 1;
  if (Number.isNaN(t)) return { rank: Infinity, auc: 0 };
  let above = 0;
  let below = 0;
  for (let i = 1; i <= n; i++) {
    if (scores[i] > t) above++;
    else if (scores[i] < t || Number.isNaN(scores[i])) below++;
  }
  const ties = n - above - below;
  return { rank: above + 1, auc: n ? (below + ties / 2) / n : 1 };
}

/**
 * Candidate scores after a re-ranker: its order is the ranking, so each returned candidate scores
 * minus its position; candidates it dropped come after all it kept, in the order it was given them
 * (`given`, best first). Keyed by item id.
 */
export function orderScores(given: readonly Candidate[], ranked: readonly Candidate[]): Map<number, number> {
  const out = new Map(ranked.map((c, i) => [c.id, -i]));
  let next = ranked.length;
  for (const c of given) if (!out.has(c.id)) out.set(c.id, -next++);
  return out;
}

/** The per-user candidate sets of the protocol: [target, …negatives], seeded by (seed, user). */
export function sampledCandidates(u: number, target: number, sequence: Int32Array, numItems: number, negatives: number, seed: number): Int32Array {
  const rnd = mulberry32(Math.imul(seed, 0x9e3779b1) ^ Math.imul(u + 1, 0x85ebca6b));
  const neg = sampleNegatives(numItems, new Set(sequence), negatives, rnd);
  const out = new Int32Array(neg.length + 1);
  out[0] = target;
  out.set(neg, 1);
  return out;
}

/** Sampled-protocol evaluation of any scorer, optionally followed by a re-ranker. */
export async function evaluateSampled(scorer: Pick<Scorer, 'score'>, split: LeaveOneOutSplit, sequences: Int32Array[], numItems: number, opts: SampledOptions = {}): Promise<SampledResult> {
  const which = opts.split ?? 'test';
  const negatives = opts.negatives ?? 20;
  const seed = opts.seed ?? 42;
  const k = opts.k ?? 5;
  const batchSize = opts.batchSize ?? 256;
  if (!Number.isInteger(negatives) || negatives < 1) throw new MolarError('BAD_CONFIG', `negatives must be a positive integer, got ${negatives}`, { field: 'negatives' });
  if (!Number.isInteger(k) || k < 1) throw new MolarError('BAD_CONFIG', `k must be a positive integer, got ${k}`, { field: 'k' });
  const targets = which === 'test' ? split.test : split.valid;
  const users = evalUsers(targets, opts.maxUsers);
  let auc = 0;
  let hr = 0;
  let ndcg = 0;
  for (let start = 0; start < users.length; start += batchSize) {
    const batch = users.slice(start, start + batchSize);
    const hist = batch.map((u) => historyOf(which, split, sequences, u));
    const rows = await scorer.score(hist);
    if (rows.length !== batch.length) throw new MolarError('BAD_INPUT', `scorer returned ${rows.length} rows for ${batch.length} histories`);
    for (let b = 0; b < batch.length; b++) {
      const u = batch[b];
      const cand = sampledCandidates(u, targets[u], sequences[u], numItems, negatives, seed);
      let scores = Float32Array.from(cand, (id) => rows[b][id]);
      if (opts.reranker) {
        // the re-ranker gets the candidates best first, as recommend() hands it the top N
        const given: Candidate[] = Array.from(cand, (id, i) => ({ id, score: scores[i] })).sort((x, y) => y.score - x.score);
        const ranked = await rerank(opts.reranker, given, { history: hist[b], items: opts.items ?? [], k, scores: rows[b] });
        const order = orderScores(given, ranked);
        scores = Float32Array.from(cand, (id) => order.get(id)!);
      }
      const r = candidateRank(scores);
      auc += r.auc;
      hr += recallAt(r.rank, k);
      ndcg += ndcgAt(r.rank, k);
    }
    opts.onProgress?.(Math.min(start + batchSize, users.length), users.length);
  }
  const n = users.length;
  return { protocol: 'sampled', split: which, negatives, seed, users: n, metrics: { auc: n ? auc / n : 0, [`hr@${k}`]: n ? hr / n : 0, [`ndcg@${k}`]: n ? ndcg / n : 0 } };
}
