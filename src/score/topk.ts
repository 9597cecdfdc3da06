import * as tf from '@tensorflow/tfjs';
import { DEFAULT_CONFIG, type ScoreConfig } from '../config.js';
import { MolarError } from '../errors.js';
import { selectTopK } from './select.js';

/** Internal item ids (1-based; 0 = padding) with their scores, best first. */
export interface TopK {
  ids: Int32Array;
  scores: Float32Array;
}

/**
 * Top-K of `items · user` over every item, tile by tile so a large catalog never needs one
 * [N]-sized score tensor on the GPU at once. Each tile keeps its own top-k (partial selection on
 * the backend) and the small per-tile winners are merged on the CPU.
 *
 * items: [N+1, D] with row 0 = padding (never returned); user: [D].
 * exclude: internal ids to leave out (e.g. what the shopper has already seen).
 */
export async function dotTopK(
  items: tf.Tensor2D,
  user: tf.Tensor1D | Float32Array,
  k: number,
  exclude: Iterable<number> = [],
  cfg: Pick<ScoreConfig, 'tileSize'> = DEFAULT_CONFIG.score,
): Promise<TopK> {
  // a tile of 0 (or NaN) would never advance the loop below
  if (!Number.isInteger(cfg.tileSize) || cfg.tileSize < 1) throw new MolarError('BAD_CONFIG', `expected a positive integer, got ${cfg.tileSize}`, { field: 'score.tileSize' });
  const rows = items.shape[0];
  const u = user instanceof Float32Array ? tf.tensor1d(user) : user;
  const excluded = new Set(exclude);
  excluded.add(0);
  // Ask each tile for k plus the excluded ones it holds, so exclusion never starves the result.
  const parts: { ids: Int32Array; scores: Float32Array }[] = [];
  for (let start = 0; start < rows; start += cfg.tileSize) {
    const size = Math.min(cfg.tileSize, rows - start);
    let inTile = 0;
    for (const id of excluded) if (id >= start && id < start + size) inTile++;
    const kk = Math.min(size, k + inTile);
    const { values, indices } = tf.tidy(() => {
      const tile = items.slice([start, 0], [size, -1]);
      const scores = tf.matMul(tile, u.reshape([-1, 1])).reshape([-1]);
      return tf.topk(scores, kk, true);
    });
    const [vals, idx] = await Promise.all([values.data() as Promise<Float32Array>, indices.data() as Promise<Int32Array>]);
    values.dispose();
    indices.dispose();
    parts.push({ ids: idx.map((i) => i + start), scores: vals });
  }
  if (u !== user) u.dispose();
  return mergeTopK(parts, k, excluded);
}

/**
 * Top-K of an already computed score vector (ids 0..N). Used by scorers that produce scores
 * without a dense item matrix (co-occurrence, popularity) and by recommend() on every row. The
 * row is on the CPU already, so it is selected there (score/select.ts) instead of uploaded to the
 * backend for tf.topk: on WebGPU that was a full sort, the slowest stage of a call (issue 23).
 */
export async function vectorTopK(scores: Float32Array, k: number, exclude: Iterable<number> = []): Promise<TopK> {
  const excluded = new Set(exclude);
  excluded.add(0);
  return selectTopK(scores, k, excluded);
}

function mergeTopK(parts: { ids: Int32Array; scores: Float32Array }[], k: number, excluded: Set<number>): TopK {
  const all: [number, number][] = [];
  for (const p of parts) for (let i = 0; i < p.ids.length; i++) if (!excluded.has(p.ids[i])) all.push([p.ids[i], p.scores[i]]);
  // Stable on ties: lower id first, so every backend returns the same order for equal scores.
  all.sort((a, b) => b[1] - a[1] || a[0] - b[0]);
  const top = all.slice(0, k);
  return { ids: Int32Array.from(top, (t) => t[0]), scores: Float32Array.from(top, (t) => t[1]) };
}
