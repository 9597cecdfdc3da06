import type { ItemRecord } from '../bundle/manifest.js';
import { MolarError } from '../errors.js';
import type { AddedRows } from './scorer.js';

/** One ranked candidate: an internal item id (1-based) and its score, higher first. */
export interface Candidate {
  id: number;
  score: number;
}

/** What a re-ranker may read besides the candidates. */
export interface RerankContext {
  /** the shopper's history as internal ids, oldest first (what the scorer read) */
  history: Int32Array;
  /** item records by internal id: `items[id - 1]` (catalog, then items added with addItems()) */
  items: readonly ItemRecord[];
  /** how many the caller will keep */
  k: number;
  /**
   * the scores the candidates were picked by, over every id 0..N (index 0 padding): lets a
   * re-ranker put a candidate's score on a catalog-wide scale (a log-probability). Absent when the
   * caller has no full row.
   */
  scores?: Float32Array;
  /**
   * a what-if history, not the shopper's (explanations re-score without each history item): a
   * re-ranker that keeps state per shopper (summary/memory.ts) must neither read nor update it
   */
  scratch?: boolean;
}

/**
 * The last stage of recommend(): scorer → fuse → top-N → **re-rank** → top-k. A re-ranker reorders
 * (or rescores) the top N candidates, e.g. MLLM-MSR's preference-summary scoring, diversity, or a
 * shop's business rules. **A new re-ranker** implements this interface (in this folder, or the
 * stage that owns its model, e.g. summary/) and is passed as `Recommender.load({ reranker })`.
 * It returns a subset of the candidates, best first; it may change scores, not invent items.
 */
export interface Reranker {
  readonly name: string;
  rerank(candidates: Candidate[], ctx: RerankContext): Promise<Candidate[]> | Candidate[];
  /** items added with addItems() (or given new content: `first`), as a scorer gets them, for a re-ranker that reads item vectors */
  addItems?(vectors: AddedRows): void;
  dispose?(): void;
}

/** The default: the fused scores' order, untouched. */
export const KEEP_ORDER: Reranker = Object.freeze({ name: 'keep-order', rerank: (candidates: Candidate[]) => candidates });

/**
 * Runs `reranker` and checks what it returned against what it was given, so a faulty re-ranker is
 * a clear error naming it rather than an item the page cannot show.
 */
export async function rerank(reranker: Reranker, candidates: Candidate[], ctx: RerankContext): Promise<Candidate[]> {
  const out = await reranker.rerank(candidates.map((c) => ({ ...c })), ctx);
  const given = new Set(candidates.map((c) => c.id));
  const seen = new Set<number>();
  if (!Array.isArray(out)) throw new MolarError('BAD_CONFIG', `re-ranker "${reranker.name}" returned ${typeof out}, expected an array of candidates`, { field: 'reranker' });
  for (const c of out) {
    if (!given.has(c?.id) || seen.has(c.id)) throw new MolarError('BAD_CONFIG', `re-ranker "${reranker.name}" returned item id ${c?.id}, which is not one of its candidates or comes twice`, { field: 'reranker' });
    if (typeof c.score !== 'number' || Number.isNaN(c.score)) throw new MolarError('BAD_CONFIG', `re-ranker "${reranker.name}" gave item id ${c.id} the score ${c.score}`, { field: 'reranker' });
    seen.add(c.id);
  }
  return out;
}
