import { MolarError } from '../../errors.js';
import type { BaselineConfig } from '../../config.js';
import { COOCCURRENCE_DEFAULTS, type CooccurrenceArgs } from './config.js';

/** Sparse rows over internal ids 0..numItems (row 0 = padding, always empty). */
export interface Csr {
  numItems: number;
  /** length numItems + 2 */
  indptr: Uint32Array;
  indices: Uint32Array;
  values: Float32Array;
}

export interface CooccurrenceModel {
  csr: Csr;
  /** training counts, Float32[numItems+1] (index 0 unused) */
  popularity: Float32Array;
}

/**
 * A next-item Markov baseline: item b is a neighbour of a when b follows a within `window`
 * positions, weighted 1/distance (closer follow-ups say more about "what comes next"). Each row
 * keeps its `topN` strongest neighbours and is normalised to sum 1, so a row reads as
 * P(next | a) and popular items do not drown the rest just by being frequent.
 */
export function buildCooccurrence(train: readonly Int32Array[], numItems: number, args: Partial<CooccurrenceArgs> = {}): CooccurrenceModel {
  const { window, topN } = { ...COOCCURRENCE_DEFAULTS, ...args };
  if (!Number.isInteger(window) || window < 1) throw new MolarError('BAD_CONFIG', `window must be an integer ≥ 1, got ${window}`, { field: 'window' });
  if (!Number.isInteger(topN) || topN < 1) throw new MolarError('BAD_CONFIG', `topN must be an integer ≥ 1, got ${topN}`, { field: 'topN' });
  const popularity = new Float32Array(numItems + 1);
  const rows: (Map<number, number> | undefined)[] = new Array(numItems + 1);
  for (const seq of train) {
    for (let i = 0; i < seq.length; i++) {
      const a = seq[i];
      if (a <= 0 || a > numItems) throw new MolarError('BAD_INPUT', `item id ${a} outside 1..${numItems}`, { field: 'sequences' });
      popularity[a]++;
      const end = Math.min(seq.length, i + 1 + window);
      for (let j = i + 1; j < end; j++) {
        const b = seq[j];
        if (b === a) continue;
        let row = rows[a];
        if (!row) rows[a] = row = new Map();
        row.set(b, (row.get(b) ?? 0) + 1 / (j - i));
      }
    }
  }
  const indptr = new Uint32Array(numItems + 2);
  const keptRows: [number, number][][] = [];
  let nnz = 0;
  for (let a = 0; a <= numItems; a++) {
    const row = rows[a];
    // strongest first; equal weights by id so the file is the same on every run
    const kept = row ? [...row.entries()].sort((x, y) => y[1] - x[1] || x[0] - y[0]).slice(0, topN) : [];
    keptRows.push(kept);
    nnz += kept.length;
    indptr[a + 1] = nnz;
  }
  const indices = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  for (let a = 0; a <= numItems; a++) {
    const kept = keptRows[a];
    let sum = 0;
    for (const [, w] of kept) sum += w;
    let p = indptr[a];
    for (const [b, w] of kept) {
      indices[p] = b;
      values[p++] = w / sum;
    }
  }
  return { csr: { numItems, indptr, indices, values }, popularity };
}

/** One little-endian buffer: [indptr u32 (numItems+2)] [indices u32 (nnz)] [values f32 (nnz)]. */
export function serializeCsr(csr: Csr): ArrayBuffer {
  const nnz = csr.indices.length;
  const buf = new ArrayBuffer(4 * (csr.numItems + 2) + 8 * nnz);
  const dv = new DataView(buf);
  let o = 0;
  for (const v of csr.indptr) (dv.setUint32(o, v, true), (o += 4));
  for (const v of csr.indices) (dv.setUint32(o, v, true), (o += 4));
  for (const v of csr.values) (dv.setFloat32(o, v, true), (o += 4));
  return buf;
}

export function deserializeCsr(buf: ArrayBuffer, numItems: number, file = 'cooccurrence.bin'): Csr {
  const head = 4 * (numItems + 2);
  const rest = buf.byteLength - head;
  if (rest < 0 || rest % 8 !== 0) {
    throw new MolarError('BUNDLE_INVALID', `expected 4×(numItems+2) + 8×nnz bytes for ${numItems} items, got ${buf.byteLength}`, { file });
  }
  const nnz = rest / 8;
  const dv = new DataView(buf);
  const indptr = new Uint32Array(numItems + 2);
  const indices = new Uint32Array(nnz);
  const values = new Float32Array(nnz);
  let o = 0;
  for (let i = 0; i < indptr.length; i++, o += 4) indptr[i] = dv.getUint32(o, true);
  for (let i = 0; i < nnz; i++, o += 4) indices[i] = dv.getUint32(o, true);
  for (let i = 0; i < nnz; i++, o += 4) values[i] = dv.getFloat32(o, true);
  if (indptr[numItems + 1] !== nnz) throw new MolarError('BUNDLE_INVALID', `indptr ends at ${indptr[numItems + 1]}, expected nnz ${nnz}`, { file });
  // rows must not overlap or run backwards: a tampered row would read neighbours of another item,
  // or past the end of the table, and score the catalog silently wrong
  if (indptr[0] !== 0) throw new MolarError('BUNDLE_INVALID', `indptr starts at ${indptr[0]}, expected 0`, { file });
  for (let i = 1; i < indptr.length; i++) {
    if (indptr[i] < indptr[i - 1]) throw new MolarError('BUNDLE_INVALID', `indptr[${i}] = ${indptr[i]} is below indptr[${i - 1}] = ${indptr[i - 1]}: expected a non-decreasing row index`, { file });
  }
  for (let i = 0; i < nnz; i++) {
    if (indices[i] > numItems) throw new MolarError('BUNDLE_INVALID', `neighbour id ${indices[i]} outside 0..${numItems}`, { file });
  }
  return { numItems, indptr, indices, values };
}

export function serializeFloat32(a: Float32Array): ArrayBuffer {
  const buf = new ArrayBuffer(a.length * 4);
  const dv = new DataView(buf);
  a.forEach((v, i) => dv.setFloat32(i * 4, v, true));
  return buf;
}

export function deserializeFloat32(buf: ArrayBuffer, length: number, file = 'popularity.bin'): Float32Array {
  if (buf.byteLength !== length * 4) throw new MolarError('BUNDLE_INVALID', `expected ${length * 4} bytes (${length} float32), got ${buf.byteLength}`, { file });
  const dv = new DataView(buf);
  return Float32Array.from({ length }, (_, i) => dv.getFloat32(i * 4, true));
}

/**
 * Scores of all ids 0..numItems for one history: Σ decay^age × P(· | item) over the most recent
 * `maxHistory` items (age 0 = most recent), plus popularityWeight × popularity / max popularity so
 * ties and empty histories still rank sensibly. Id 0 gets -Infinity.
 */
export function scoreCooccurrence(history: ArrayLike<number>, csr: Csr, popularity: Float32Array, cfg: BaselineConfig): Float32Array {
  const out = new Float32Array(csr.numItems + 1);
  addPopularity(out, popularity, cfg.popularityWeight);
  const n = Math.min(history.length, cfg.maxHistory);
  for (let age = 0; age < n; age++) {
    const a = history[history.length - 1 - age];
    if (a <= 0 || a > csr.numItems) continue;
    const w = Math.pow(cfg.recencyDecay, age);
    for (let p = csr.indptr[a]; p < csr.indptr[a + 1]; p++) out[csr.indices[p]] += w * csr.values[p];
  }
  out[0] = -Infinity;
  return out;
}

/** Popularity only, scaled to [0, 1]; the scorer for users with no usable history. */
export function scorePopularity(popularity: Float32Array): Float32Array {
  const out = new Float32Array(popularity.length);
  addPopularity(out, popularity, 1);
  out[0] = -Infinity;
  return out;
}

function addPopularity(out: Float32Array, popularity: Float32Array, weight: number): void {
  let max = 0;
  for (let i = 1; i < popularity.length; i++) if (popularity[i] > max) max = popularity[i];
  if (max === 0 || weight === 0) return;
  const s = weight / max;
  for (let i = 1; i < popularity.length; i++) out[i] += s * popularity[i];
}
