import type { TopK } from './topk.js';

/**
 * The k best of a score row (ids 0..N) on the CPU, without sorting or copying the row: one pass
 * that keeps a size-k min-heap (O(N log k), ~1 ms per million scores here). Order: higher score
 * first, lower id first on ties, as mergeTopK orders tiles, so every backend returns the same list.
 * Used for every backend because the recommender reads the full row on the CPU anyway (its garbage
 * check), and a GPU top-k of that row was the slowest stage on WebGPU (a full sort, issue 23).
 * NaN scores never enter (the caller's checkScores refuses them before).
 */
export function selectTopK(scores: Float32Array, k: number, excluded: ReadonlySet<number>): TopK {
  const cap = Math.max(0, Math.min(k, scores.length));
  const hs = new Float32Array(cap); // heap of the kept scores, worst at index 0
  const hi = new Int32Array(cap); // their ids
  let size = 0;
  // a is worse than b: lower score, or the same score and a higher id
  const worse = (sa: number, ia: number, sb: number, ib: number) => sa < sb || (sa === sb && ia > ib);
  for (let id = 0; id < scores.length; id++) {
    const s = scores[id];
    if (!(s === s)) continue; // NaN
    if (size === cap) {
      if (cap === 0 || !worse(hs[0], hi[0], s, id)) continue;
      if (excluded.has(id)) continue;
      // replace the worst and sift it down
      let p = 0;
      for (;;) {
        const l = 2 * p + 1;
        if (l >= size) break;
        const r = l + 1;
        const c = r < size && worse(hs[r], hi[r], hs[l], hi[l]) ? r : l;
        if (!worse(hs[c], hi[c], s, id)) break;
        hs[p] = hs[c];
        hi[p] = hi[c];
        p = c;
      }
      hs[p] = s;
      hi[p] = id;
    } else {
      if (excluded.has(id)) continue;
      // append and sift up
      let c = size++;
      while (c > 0) {
        const p = (c - 1) >> 1;
        if (!worse(s, id, hs[p], hi[p])) break;
        hs[c] = hs[p];
        hi[c] = hi[p];
        c = p;
      }
      hs[c] = s;
      hi[c] = id;
    }
  }
  const order = Array.from({ length: size }, (_, i) => i).sort((a, b) => hs[b] - hs[a] || hi[a] - hi[b]);
  return { ids: Int32Array.from(order, (i) => hi[i]), scores: Float32Array.from(order, (i) => hs[i]) };
}
