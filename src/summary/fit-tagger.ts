/**
 * Fits stage 1's default provider (tags.ts LinearTagger): ridge regression from item vectors to the
 * catalog's attribute indicators, one output per `key=value` token, closed form (no training loop:
 * the fit is one linear solve). The ridge strength is chosen on every 10th attributed item held out
 * (precision of the best tag), then the map is refitted on all of them.
 */
import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { LinearTagger, topTags } from './tags.js';

export interface TaggerFit {
  tagger: LinearTagger;
  /** the ridge strength chosen, as a multiple of the Gram matrix's mean diagonal */
  ridge: number;
  /** share of held-out items whose best tag is one of their attributes, at the chosen ridge */
  heldOutPrecision: number;
  heldOut: number;
}

export const RIDGE_GRID = [0.01, 0.1, 1];

/**
 * `vectors`: rows 0..N of `dim` values (row 0 padding, ignored); `attributes`: CSR over the same rows
 * (ids into `vocab`). Items without attributes or with an all-zero vector take no part in the fit.
 */
export function fitTagger(vectors: Float32Array, dim: number, attributes: { ptr: Int32Array; ids: Int32Array }, vocab: readonly string[]): TaggerFit {
  const rows = attributes.ptr.length - 1;
  if (vectors.length !== rows * dim) throw new MolarError('BAD_INPUT', `expected ${rows} x ${dim} vector values, got ${vectors.length}`, { field: 'vectors' });
  const usable: number[] = [];
  for (let r = 1; r < rows; r++) {
    if (attributes.ptr[r + 1] === attributes.ptr[r]) continue;
    for (let j = r * dim; j < (r + 1) * dim; j++) if (vectors[j] !== 0) {
      usable.push(r);
      break;
    }
  }
  if (usable.length < 2 || vocab.length === 0) throw new MolarError('BAD_INPUT', `a tagger needs at least 2 items with both a vector and attributes, got ${usable.length}`, { field: 'attributes' });
  const heldOut = usable.length >= 20 ? usable.filter((_, i) => i % 10 === 9) : [];
  const fitOn = heldOut.length ? usable.filter((_, i) => i % 10 !== 9) : usable;
  let ridge = RIDGE_GRID[1];
  let heldOutPrecision = NaN;
  if (heldOut.length) {
    const precisions = solve(vectors, dim, attributes, vocab.length, fitOn, RIDGE_GRID).map((t) => precisionAt1(t, vectors, dim, attributes, heldOut));
    const best = precisions.reduce((b, p, i) => (p > precisions[b] ? i : b), 0);
    ridge = RIDGE_GRID[best];
    heldOutPrecision = precisions[best];
  }
  const [fitted] = solve(vectors, dim, attributes, vocab.length, usable, [ridge]);
  return { tagger: new LinearTagger(vocab, dim, fitted.weights, fitted.bias), ridge, heldOutPrecision, heldOut: heldOut.length };
}

interface Linear {
  weights: Float32Array;
  bias: Float32Array;
}

function precisionAt1(t: Linear, vectors: Float32Array, dim: number, attributes: { ptr: Int32Array; ids: Int32Array }, items: number[]): number {
  const tagger = new LinearTagger(Array.from({ length: t.bias.length }, String), dim, t.weights, t.bias);
  let hits = 0;
  for (const r of items) {
    const [best] = topTags(tagger.scores(vectors.subarray(r * dim, (r + 1) * dim)), 1);
    if (attributes.ids.subarray(attributes.ptr[r], attributes.ptr[r + 1]).includes(best.id)) hits++;
  }
  return hits / items.length;
}

/**
 * Ridge fits of the centred data at each ridge strength, in the primal (d x d) or the dual (n x n),
 * whichever is smaller; the Gram products run in tfjs, the solves in float64 here.
 */
function solve(vectors: Float32Array, dim: number, attributes: { ptr: Int32Array; ids: Int32Array }, A: number, items: number[], ridges: number[]): Linear[] {
  const n = items.length;
  const X = new Float32Array(n * dim);
  const Y = new Float32Array(n * A);
  items.forEach((r, i) => {
    X.set(vectors.subarray(r * dim, (r + 1) * dim), i * dim);
    for (let p = attributes.ptr[r]; p < attributes.ptr[r + 1]; p++) Y[i * A + attributes.ids[p]] = 1;
  });
  const xMean = colMeans(X, n, dim);
  const yMean = colMeans(Y, n, A);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) X[i * dim + j] -= xMean[j];
    for (let a = 0; a < A; a++) Y[i * A + a] -= yMean[a];
  }
  const primal = dim <= n;
  const [gram, rhs] = tf.tidy(() => {
    const x = tf.tensor2d(X, [n, dim]);
    const y = tf.tensor2d(Y, [n, A]);
    return primal ? [tf.matMul(x, x, true, false).dataSync(), tf.matMul(x, y, true, false).dataSync()] : [tf.matMul(x, x, false, true).dataSync(), Y];
  });
  const m = primal ? dim : n;
  let trace = 0;
  for (let i = 0; i < m; i++) trace += gram[i * m + i];
  return ridges.map((ridge) => {
    const G = Float64Array.from(gram);
    const lambda = Math.max(ridge * (trace / m), 1e-8);
    for (let i = 0; i < m; i++) G[i * m + i] += lambda;
    const sol = choleskySolve(G, m, Float64Array.from(rhs), A);
    // primal: W = sol (dim x A); dual: W = Xᵀ·alpha
    const W = primal ? Float32Array.from(sol) : tf.tidy(() => tf.matMul(tf.tensor2d(X, [n, dim]), tf.tensor2d(Float32Array.from(sol), [n, A]), true, false).dataSync() as Float32Array);
    const bias = Float32Array.from(yMean);
    for (let j = 0; j < dim; j++) for (let a = 0; a < A; a++) bias[a] -= xMean[j] * W[j * A + a];
    return { weights: W, bias };
  });
}

function colMeans(M: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[j] += M[i * cols + j];
  for (let j = 0; j < cols; j++) out[j] /= rows;
  return out;
}

/** Solves G·X = B (G symmetric positive definite, m x m; B m x k) by Cholesky, in place of B. */
export function choleskySolve(G: Float64Array, m: number, B: Float64Array, k: number): Float64Array {
  for (let j = 0; j < m; j++) {
    let d = G[j * m + j];
    for (let p = 0; p < j; p++) d -= G[j * m + p] * G[j * m + p];
    if (!(d > 0)) throw new MolarError('BAD_INPUT', 'the tagger\'s system is not positive definite (duplicate or degenerate item vectors)', { field: 'vectors' });
    const l = Math.sqrt(d);
    G[j * m + j] = l;
    for (let i = j + 1; i < m; i++) {
      let s = G[i * m + j];
      for (let p = 0; p < j; p++) s -= G[i * m + p] * G[j * m + p];
      G[i * m + j] = s / l;
    }
  }
  // L·Z = B, then Lᵀ·X = Z
  for (let i = 0; i < m; i++) {
    for (let p = 0; p < i; p++) {
      const l = G[i * m + p];
      if (l !== 0) for (let c = 0; c < k; c++) B[i * k + c] -= l * B[p * k + c];
    }
    for (let c = 0; c < k; c++) B[i * k + c] /= G[i * m + i];
  }
  for (let i = m - 1; i >= 0; i--) {
    for (let p = i + 1; p < m; p++) {
      const l = G[p * m + i];
      if (l !== 0) for (let c = 0; c < k; c++) B[i * k + c] -= l * B[p * k + c];
    }
    for (let c = 0; c < k; c++) B[i * k + c] /= G[i * m + i];
  }
  return B;
}
