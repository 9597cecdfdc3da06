import type { ItemRecord } from '../bundle/manifest.js';
import { rerank, type Candidate, type Reranker } from '../score/rerank.js';
import type { Scorer } from '../score/scorer.js';

/**
 * A scorer followed by a re-ranker, as recommend() runs them, for full-ranking evaluation: per
 * history, the scorer's top `depth` (seen items left out first when `filterSeen`, as recommend()
 * excludes them before its top N) go through the re-ranker, and the row is rewritten so they rank
 * above every other item in the re-ranker's order. Items below the top `depth` keep their scores.
 */
export function rerankedScorer(scorer: Pick<Scorer, 'score'>, reranker: Reranker, o: { depth: number; items?: readonly ItemRecord[]; filterSeen?: boolean; k?: number }): Pick<Scorer, 'score'> {
  return {
    async score(histories) {
      const rows = await scorer.score(histories);
      const out: Float32Array[] = [];
      for (const [b, row] of rows.entries()) {
        const seen = o.filterSeen === false ? null : new Set(histories[b]);
        const given = topCandidates(row, o.depth, seen);
        const ranked = await rerank(reranker, given, { history: histories[b], items: o.items ?? [], k: o.k ?? o.depth, scores: row });
        const copy = row.slice();
        // above the row's best: the re-ranked order wins whatever the scale of the scores
        let top = -Infinity;
        for (let i = 1; i < row.length; i++) if (row[i] > top) top = row[i];
        const kept = new Set(ranked.map((c) => c.id));
        const rest = given.filter((c) => !kept.has(c.id));
        [...ranked, ...rest].forEach((c, i) => (copy[c.id] = top + 1 + given.length - i));
        out.push(copy);
      }
      return out;
    },
  };
}

/** The `depth` best ids of a score row (id 0 and `excluded` left out), best first, ties by id. */
export function topCandidates(row: Float32Array, depth: number, excluded: ReadonlySet<number> | null): Candidate[] {
  const ids: number[] = [];
  for (let i = 1; i < row.length; i++) if (!excluded?.has(i) && !Number.isNaN(row[i])) ids.push(i);
  ids.sort((a, b) => row[b] - row[a] || a - b);
  return ids.slice(0, depth).map((id) => ({ id, score: row[id] }));
}
