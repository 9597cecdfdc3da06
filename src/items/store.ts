import { MolarError } from '../errors.js';
import type { Matrix } from '../encoders/types.js';

/**
 * int8 item vector store with a per-row Float32 scale: value[r][j] = int8[r][j] * scale[r].
 * Row 0 is padding (all zero, scale 0) so internal item id i is row i, as everywhere else.
 *
 * Quantization is symmetric per row: scale = max|v| / 127, q = round(v / scale) in [-127, 127]
 * (-128 is never used, so negation stays exact). An all-zero row gets scale 0 and stays zero.
 *
 * Binary layout (little-endian, one file, `item_vectors.bin` in a bundle):
 *   bytes 0..3   magic "MIV1"
 *   bytes 4..7   uint32 rows (numItems + 1, padding row included)
 *   bytes 8..11  uint32 dim
 *   bytes 12..15 reserved (0)
 *   then Float32 scale[rows]          (16-byte aligned, so a Float32Array view needs no copy)
 *   then Int8    vectors[rows * dim]   row-major
 */
export const ITEM_VECTORS_MAGIC = 'MIV1';
const HEADER_BYTES = 16;
const QMAX = 127;

export class ItemVectorStore {
  readonly dim: number;
  private _rows: number;
  private _q: Int8Array;
  private _scale: Float32Array;
  /** false while the arrays may be shared with the store this one was forked from */
  private owned: boolean;

  private constructor(dim: number, rows: number, q: Int8Array, scale: Float32Array, owned = true) {
    this.dim = dim;
    this._rows = rows;
    this._q = q;
    this._scale = scale;
    this.owned = owned;
  }

  /** A store holding only the padding row. */
  static empty(dim: number): ItemVectorStore {
    if (!Number.isInteger(dim) || dim <= 0) throw new MolarError('BAD_INPUT', `dim must be a positive integer, got ${dim}`, { field: 'dim' });
    return new ItemVectorStore(dim, 1, new Int8Array(dim * 16), new Float32Array(16));
  }

  /** Quantizes vectors of items 1..m.rows (row 0 of the store, the padding, is added here). */
  static fromItems(m: Matrix): ItemVectorStore {
    const s = ItemVectorStore.empty(m.dim);
    s.append(m);
    return s;
  }

  static fromArrayBuffer(buf: ArrayBuffer, file = 'item_vectors.bin'): ItemVectorStore {
    if (buf.byteLength < HEADER_BYTES) throw new MolarError('BUNDLE_INVALID', `item vectors file is ${buf.byteLength} bytes, shorter than its ${HEADER_BYTES}-byte header`, { file });
    const view = new DataView(buf);
    const magic = String.fromCharCode(view.getUint8(0), view.getUint8(1), view.getUint8(2), view.getUint8(3));
    if (magic !== ITEM_VECTORS_MAGIC) throw new MolarError('BUNDLE_INVALID', `bad magic "${magic}", expected "${ITEM_VECTORS_MAGIC}"`, { file, field: 'magic' });
    const rows = view.getUint32(4, true);
    const dim = view.getUint32(8, true);
    const expected = HEADER_BYTES + rows * 4 + rows * dim;
    if (rows < 1 || dim < 1 || buf.byteLength !== expected) {
      throw new MolarError('BUNDLE_INVALID', `header says ${rows} rows x ${dim} dims (${expected} bytes) but the file has ${buf.byteLength} bytes`, { file });
    }
    // copy so append() can grow the arrays and the caller's buffer can be released
    const scale = new Float32Array(buf.slice(HEADER_BYTES, HEADER_BYTES + rows * 4));
    const q = new Int8Array(buf.slice(HEADER_BYTES + rows * 4, expected));
    return new ItemVectorStore(dim, rows, q, scale);
  }

  /**
   * A store over the same rows that appends into arrays of its own: its first append copies (its
   * capacity is exactly its rows), so a parse several readers share (bundle/item-vectors.ts) is
   * never written through it.
   */
  fork(): ItemVectorStore {
    return new ItemVectorStore(this.dim, this._rows, this.codes, this.scales, false);
  }

  /** rows including the padding row (= numItems + 1) */
  get rows(): number {
    return this._rows;
  }

  get numItems(): number {
    return this._rows - 1;
  }

  /** int8 codes, rows x dim (a view: valid until the next append) */
  get codes(): Int8Array {
    return this._q.subarray(0, this._rows * this.dim);
  }

  /** per-row scales (a view: valid until the next append) */
  get scales(): Float32Array {
    return this._scale.subarray(0, this._rows);
  }

  /**
   * Appends rows (cold-start items) and returns the internal id of the first new one.
   * Non-finite values are refused: one NaN would poison every score it touches.
   */
  append(m: Matrix): number {
    checkMatrix(m, this.dim);
    const first = this._rows;
    this.reserve(this._rows + m.rows);
    this.write(first, m);
    this._rows += m.rows;
    return first;
  }

  /**
   * Overwrites rows first..first+m.rows-1 (an item added again with new content keeps its id).
   * Row 0, the padding, is not writable. A fork copies its arrays first, as on its first append.
   */
  replace(first: number, m: Matrix): void {
    checkMatrix(m, this.dim);
    if (!Number.isInteger(first) || first < 1 || first + m.rows > this._rows) throw new MolarError('NOT_FOUND', `rows ${first}..${first + m.rows - 1} are outside 1..${this._rows - 1}`);
    if (!this.owned) this.reserve(this._rows, true);
    this.write(first, m);
  }

  /** Quantizes `m` into rows first.. (room and ownership already made). */
  private write(first: number, m: Matrix): void {
    for (let r = 0; r < m.rows; r++) {
      const out = this._q.subarray((first + r) * this.dim, (first + r + 1) * this.dim);
      this._scale[first + r] = quantizeRow(m.data.subarray(r * m.dim, (r + 1) * m.dim), out, r);
    }
  }

  /** Dequantized copy of one row (row 0 = padding = zeros). */
  row(i: number): Float32Array {
    if (!Number.isInteger(i) || i < 0 || i >= this._rows) throw new MolarError('NOT_FOUND', `row ${i} is outside 0..${this._rows - 1}`);
    const out = new Float32Array(this.dim);
    const s = this._scale[i];
    const base = i * this.dim;
    for (let j = 0; j < this.dim; j++) out[j] = this._q[base + j] * s;
    return out;
  }

  /** Dequantized copy of every row, padding included. */
  dequantize(): Matrix {
    const out = new Float32Array(this._rows * this.dim);
    for (let r = 0; r < this._rows; r++) {
      const s = this._scale[r];
      const base = r * this.dim;
      for (let j = 0; j < this.dim; j++) out[base + j] = this._q[base + j] * s;
    }
    return { data: out, rows: this._rows, dim: this.dim };
  }

  toArrayBuffer(): ArrayBuffer {
    const rows = this._rows;
    const buf = new ArrayBuffer(HEADER_BYTES + rows * 4 + rows * this.dim);
    const view = new DataView(buf);
    for (let i = 0; i < 4; i++) view.setUint8(i, ITEM_VECTORS_MAGIC.charCodeAt(i));
    view.setUint32(4, rows, true);
    view.setUint32(8, this.dim, true);
    new Float32Array(buf, HEADER_BYTES, rows).set(this.scales);
    new Int8Array(buf, HEADER_BYTES + rows * 4, rows * this.dim).set(this.codes);
    return buf;
  }

  /** Room for `rows` rows in arrays of this store's own (`copy`: even when they already fit). */
  private reserve(rows: number, copy = false): void {
    if (rows <= this._scale.length && !copy) return;
    const cap = Math.max(rows, copy ? this._scale.length : this._scale.length * 2);
    const q = new Int8Array(cap * this.dim);
    q.set(this.codes);
    const scale = new Float32Array(cap);
    scale.set(this.scales);
    this._q = q;
    this._scale = scale;
    this.owned = true;
  }
}

/** A matrix of `dim`-wide rows whose data holds exactly rows × dim values. */
function checkMatrix(m: Matrix, dim: number): void {
  if (m.dim !== dim) throw new MolarError('BAD_INPUT', `vectors have dim ${m.dim}, store expects ${dim}`, { field: 'dim' });
  if (m.data.length !== m.rows * m.dim) throw new MolarError('BAD_INPUT', `matrix data has ${m.data.length} values, expected rows*dim = ${m.rows * m.dim}`);
}

/**
 * Writes int8 codes of `src` into `out` and returns the row scale. `roundScale` makes the scale
 * what the reader will hold (Float32 here; a bfloat16 rounded up for score/item-table.ts), and the
 * codes are quantised with that value.
 */
export function quantizeRow(src: Float32Array, out: Int8Array, rowForErrors = 0, roundScale: (x: number) => number = Math.fround): number {
  let maxAbs = 0;
  for (let j = 0; j < src.length; j++) {
    const v = src[j];
    if (!Number.isFinite(v)) throw new MolarError('BAD_INPUT', `row ${rowForErrors} column ${j} is ${v}; vectors must be finite`, { field: `vectors[${rowForErrors}][${j}]` });
    const a = Math.abs(v);
    if (a > maxAbs) maxAbs = a;
  }
  if (maxAbs === 0) {
    out.fill(0);
    return 0;
  }
  // the scale as stored (Float32 by default), so quantize with the value the reader will see
  const scale = roundScale(maxAbs / QMAX);
  for (let j = 0; j < src.length; j++) {
    const q = Math.round(src[j] / scale);
    out[j] = q > QMAX ? QMAX : q < -QMAX ? -QMAX : q;
  }
  return scale;
}
