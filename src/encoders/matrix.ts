import { MolarError } from '../errors.js';
import type { Matrix } from './types.js';

export function zeros(rows: number, dim: number): Matrix {
  return { data: new Float32Array(rows * dim), rows, dim };
}

export function getRow(m: Matrix, r: number): Float32Array {
  return m.data.subarray(r * m.dim, (r + 1) * m.dim);
}

/** In place; zero rows stay zero (a missing image must not turn into NaNs). */
export function l2NormalizeRows(m: Matrix): Matrix {
  for (let r = 0; r < m.rows; r++) {
    const row = getRow(m, r);
    let s = 0;
    for (let j = 0; j < row.length; j++) s += row[j] * row[j];
    if (s > 0) {
      const inv = 1 / Math.sqrt(s);
      for (let j = 0; j < row.length; j++) row[j] *= inv;
    }
  }
  return m;
}

/** Column-wise concatenation [a | b | …]; all parts must have the same rows. */
export function concatColumns(parts: Matrix[]): Matrix {
  const rows = parts[0].rows;
  for (const p of parts) if (p.rows !== rows) throw new MolarError('BAD_INPUT', `cannot concatenate matrices with ${rows} and ${p.rows} rows`);
  const dim = parts.reduce((s, p) => s + p.dim, 0);
  const out = zeros(rows, dim);
  for (let r = 0; r < rows; r++) {
    let off = r * dim;
    for (const p of parts) {
      out.data.set(getRow(p, r), off);
      off += p.dim;
    }
  }
  return out;
}

/** Stacks matrices of equal dim row-wise. */
export function concatRows(parts: Matrix[], dim: number): Matrix {
  const rows = parts.reduce((s, p) => s + p.rows, 0);
  const out = zeros(rows, dim);
  let off = 0;
  for (const p of parts) {
    if (p.dim !== dim) throw new MolarError('BAD_INPUT', `cannot stack a ${p.dim}-d matrix onto ${dim}-d rows`);
    out.data.set(p.data.subarray(0, p.rows * dim), off);
    off += p.rows * dim;
  }
  return out;
}

export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ab = 0, aa = 0, bb = 0;
  for (let j = 0; j < a.length; j++) {
    ab += a[j] * b[j];
    aa += a[j] * a[j];
    bb += b[j] * b[j];
  }
  // two zero rows are the same vector; one zero row is orthogonal to everything
  if (aa === 0 && bb === 0) return 1;
  if (aa === 0 || bb === 0) return 0;
  return ab / Math.sqrt(aa * bb);
}

/** Mean and minimum row-wise cosine between two matrices of the same shape. */
export function rowCosines(a: Matrix, b: Matrix): { mean: number; min: number } {
  if (a.rows !== b.rows || a.dim !== b.dim) throw new MolarError('BAD_INPUT', `shapes differ: ${a.rows}x${a.dim} vs ${b.rows}x${b.dim}`);
  let sum = 0, min = Infinity;
  for (let r = 0; r < a.rows; r++) {
    const c = cosine(getRow(a, r), getRow(b, r));
    sum += c;
    if (c < min) min = c;
  }
  return { mean: a.rows ? sum / a.rows : 1, min: a.rows ? min : 1 };
}
