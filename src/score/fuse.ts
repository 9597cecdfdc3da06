import type { ItemVectorStore } from '../items/store.js';

/**
 * Scores for items added with addItems() (ids > numItems) when the served model cannot score them
 * itself (an ID model has never seen them), fused onto the model's score scale.
 *
 * Content user vector u = recency-weighted mean of the history items' vectors (the last item weight
 * 1, each earlier one `decay` times the next), L2-normalised; content score of an item = cosine(u,
 * item vector). Cosines and the model's scores live on different scales, so an added item's cosine
 * is z-scored against the cosines of the catalog items (ids 1..numItems) and mapped onto the
 * mean/std of the model's catalog scores:
 *   score = mean(primary) + std(primary) * (cos - mean(cos_catalog)) / std(cos_catalog).
 * An added item as close to the history as the catalog's best match thus ranks about where that
 * match would rank under the model. Catalog items keep their scores unchanged. With no history
 * (u = 0) or flat cosines the z-score is 0 (the primary mean); a flat primary (std 0) uses std 1 so
 * content still orders the added items.
 *
 * primary: [numItems + 1] model scores; store: vectors of every id 0..total. Returns [total + 1].
 */
export function fuseAddedItems(primary: Float32Array, history: Int32Array, store: ItemVectorStore, numItems: number, decay: number): Float32Array {
  const total = store.numItems;
  const dim = store.dim;
  const u = new Float32Array(dim);
  let w = 1;
  for (let p = history.length - 1; p >= 0; p--, w *= decay) {
    const v = unit(store.row(history[p]));
    for (let j = 0; j < dim; j++) u[j] += w * v[j];
  }
  const uu = unit(u);
  const cos = new Float32Array(total + 1);
  const codes = store.codes;
  for (let i = 1; i <= total; i++) {
    let dot = 0;
    let sq = 0;
    const base = i * dim;
    for (let j = 0; j < dim; j++) {
      dot += codes[base + j] * uu[j];
      sq += codes[base + j] * codes[base + j];
    }
    cos[i] = sq > 0 ? dot / Math.sqrt(sq) : 0; // the row scale cancels in a cosine
  }
  const c = meanStd(cos.subarray(1, numItems + 1));
  const p = meanStd(primary.subarray(1, numItems + 1));
  const out = new Float32Array(total + 1);
  out.set(primary.subarray(0, numItems + 1));
  for (let i = numItems + 1; i <= total; i++) {
    const z = c.std > 0 ? (cos[i] - c.mean) / c.std : 0;
    out[i] = p.mean + (p.std > 0 ? p.std : 1) * z;
  }
  return out;
}

function unit(v: Float32Array): Float32Array {
  let sq = 0;
  for (const x of v) sq += x * x;
  if (sq === 0) return v;
  const inv = 1 / Math.sqrt(sq);
  for (let j = 0; j < v.length; j++) v[j] *= inv;
  return v;
}

/** Mean and standard deviation of the finite entries (non-finite ones, e.g. -Infinity for padding, are skipped). */
export function meanStd(xs: Float32Array): { mean: number; std: number } {
  // indexed loops, `x - x === 0` for "finite": for…of with Number.isFinite ran 8x slower in V8,
  // and a blend runs this on two 100k rows per recommend() (bench:serve's molar family)
  let sum = 0;
  let count = 0;
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    if (x - x === 0) (sum += x), count++;
  }
  const mean = count ? sum / count : 0;
  let ss = 0;
  for (let i = 0; i < xs.length; i++) {
    const d = xs[i] - mean;
    if (d - d === 0) ss += d * d;
  }
  return { mean, std: count ? Math.sqrt(ss / count) : 0 };
}
