/**
 * Leave-one-out top-K metrics over a full ranking (RecBole's NDCG / Hit / MRR with one target).
 *
 * Rank of the target = 1 + the number of items whose score is STRICTLY greater than the target's.
 * Ties therefore resolve in the target's favour (the optimistic convention of gSASRec/SASRec+
 * evaluation code that counts `scores > target_score`); a constant scorer ranks every target 1st,
 * so baselines must break ties themselves (ours mix in popularity). Id 0 (padding) never counts.
 */
export function rankOf(scores: ArrayLike<number>, target: number, excluded?: ReadonlySet<number> | null): number {
  const t = scores[target];
  // a NaN score would otherwise beat nothing and rank first
  if (Number.isNaN(t)) return Infinity;
  // count every item above the target in one tight pass, then take back the excluded ones above it:
  // a Set lookup per item above the target was most of a 20,000-item ranking's time
  let above = 0;
  for (let i = 1; i < scores.length; i++) if (scores[i] > t) above++;
  if (excluded) for (const e of excluded) if (e > 0 && e < scores.length && e !== target && scores[e] > t) above--;
  return above + 1;
}

/** NDCG@K with one relevant item: IDCG = 1, DCG = 1 / log2(rank + 1) when rank ≤ K. */
export function ndcgAt(rank: number, k: number): number {
  return rank <= k ? 1 / Math.log2(rank + 1) : 0;
}

/** Recall@K with one relevant item equals HR@K: 1 when the target is in the top K. */
export function recallAt(rank: number, k: number): number {
  return rank <= k ? 1 : 0;
}

/** Reciprocal rank over the full ranking (no cut-off). */
export function reciprocalRank(rank: number): number {
  return 1 / rank;
}

/** Running means of ndcg@K, recall@K for each K and mrr, keyed in lower case as results files want. */
export class MetricAccumulator {
  private sums = new Map<string, number>();
  count = 0;
  constructor(readonly ks: readonly number[]) {
    for (const k of ks) {
      this.sums.set(`ndcg@${k}`, 0);
      this.sums.set(`recall@${k}`, 0);
    }
    this.sums.set('mrr', 0);
  }
  add(rank: number): void {
    for (const k of this.ks) {
      this.sums.set(`ndcg@${k}`, this.sums.get(`ndcg@${k}`)! + ndcgAt(rank, k));
      this.sums.set(`recall@${k}`, this.sums.get(`recall@${k}`)! + recallAt(rank, k));
    }
    this.sums.set('mrr', this.sums.get('mrr')! + reciprocalRank(rank));
    this.count++;
  }
  means(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.sums) out[k] = this.count ? v / this.count : 0;
    return out;
  }
}
