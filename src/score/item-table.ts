import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { quantizeRow } from '../items/store.js';
import { bf16Up, int8Kernel, type Int8Kernel } from './int8-kernel.js';
import { selectTopK } from './select.js';
import type { TopK } from './topk.js';

/**
 * The item side of a dot-product scorer at serving time (SASRec's tied output layer): the table
 * laid out for fast products, in shards so no step needs an [N]-sized buffer beyond the score row
 * a caller asks for, and a top-K that streams shard by shard without any full row.
 *
 * - `float32`: shards of [D, S] tensors on the active backend. [1, D] × [D, S] is the plain 2-D
 *   product, the one XNNPACK runs fast on wasm; the [N, D] table needed a transpose of the whole
 *   table per call there (mm() in models/nn/ops.ts), which was most of a call at 100k items
 *   (issue 23: 24 ms of 38-46). Rows for the history come from the checkpoint's own fp32 view.
 * - `int8`: the rows as int8 codes with a per-row scale (items/store.ts's quantisation), scored in
 *   plain JS shard by shard: a quarter of the fp32 memory, with nothing on the backend.
 */
export type ItemTableKind = 'float32' | 'int8';
/** how `score.itemTable: 'auto'` picks: int8 once the fp32 table would pass this (64 MiB: 262,144 items at D 64) */
export const INT8_ABOVE_BYTES = 64 * 2 ** 20;
/** items per shard: 64 Ki (16 MiB fp32 / 4 MiB int8 at D 64), few enough calls per row, small enough buffers */
export const SHARD_ITEMS = 1 << 16;

export interface ItemTable {
  readonly kind: ItemTableKind;
  /** N+1 (row 0 = padding) */
  readonly rows: number;
  readonly dim: number;
  /** bytes the table itself holds (tensors or arrays), for the record */
  readonly bytes: number;
  /** rows of `ids`, concatenated [ids.length * dim] (int8: dequantised) */
  gather(ids: Int32Array): Float32Array;
  /** user [B, D] → B full score rows over ids 0..N */
  score(user: Float32Array, B: number): Promise<Float32Array[]>;
  /** the k best of one user [D] without a full row; `bias` adds to the listed ids' scores first */
  topK(user: Float32Array, k: number, excluded: ReadonlySet<number>, bias?: Map<number, number>): Promise<TopK>;
  dispose(): void;
}

/** The kind `choice` means for a table of rows × dim. */
export function tableKind(choice: 'auto' | ItemTableKind, rows: number, dim: number): ItemTableKind {
  if (choice !== 'auto') return choice;
  return rows * dim * 4 > INT8_ABOVE_BYTES ? 'int8' : 'float32';
}

/**
 * Builds the table from fp32 rows [rows * dim]; int8 copies what it needs, so the caller may drop
 * `data` after. `shard`: items per shard (tests use small ones to cross shard edges).
 */
export function itemTable(kind: ItemTableKind, data: Float32Array, rows: number, dim: number, shard = SHARD_ITEMS): ItemTable {
  if (data.length !== rows * dim) throw new MolarError('BUNDLE_INVALID', `item table holds ${data.length} floats, expected ${rows} x ${dim}`, { field: 'item_embedding' });
  if (!Number.isInteger(shard) || shard < 1) throw new MolarError('BAD_CONFIG', `expected a positive integer shard size, got ${shard}`, { field: 'shard' });
  return kind === 'int8' ? new Int8Table(data, rows, dim, shard) : new Float32Table(data, rows, dim, shard);
}

/** Streams shard scores through a size-(k + excluded in shard) selection and merges the winners. */
async function streamTopK(shards: number, shardStart: (s: number) => number, scoreShard: (s: number) => Promise<Float32Array>, k: number, excluded: ReadonlySet<number>, bias?: Map<number, number>): Promise<TopK> {
  const ids: number[] = [];
  const scores: number[] = [];
  for (let s = 0; s < shards; s++) {
    const start = shardStart(s);
    const row = await scoreShard(s);
    const local = new Set<number>();
    for (const id of excluded) if (id >= start && id < start + row.length) local.add(id - start);
    if (bias) for (const [id, b] of bias) if (id >= start && id < start + row.length) row[id - start] += b;
    const top = selectTopK(row, k, local);
    top.ids.forEach((id, i) => {
      ids.push(id + start);
      scores.push(top.scores[i]);
    });
  }
  const merged = selectTopK(Float32Array.from(scores), k, new Set());
  return { ids: Int32Array.from(merged.ids, (i) => ids[i]), scores: merged.scores };
}

class Float32Table implements ItemTable {
  readonly kind = 'float32';
  private readonly shards: tf.Tensor2D[] = [];

  constructor(private readonly data: Float32Array, readonly rows: number, readonly dim: number, private readonly shard: number) {
    for (let start = 0; start < rows; start += shard) {
      const size = Math.min(shard, rows - start);
      const t = new Float32Array(dim * size);
      for (let r = 0; r < size; r++) for (let j = 0; j < dim; j++) t[j * size + r] = data[(start + r) * dim + j];
      this.shards.push(tf.tensor2d(t, [dim, size]));
    }
  }

  get bytes(): number {
    return this.rows * this.dim * 4;
  }

  gather(ids: Int32Array): Float32Array {
    const out = new Float32Array(ids.length * this.dim);
    ids.forEach((id, i) => out.set(this.data.subarray(id * this.dim, (id + 1) * this.dim), i * this.dim));
    return out;
  }

  private async shardScores(s: number, u: tf.Tensor2D): Promise<Float32Array> {
    const p = tf.matMul(u, this.shards[s]);
    try {
      return (await p.data()) as Float32Array;
    } finally {
      p.dispose();
    }
  }

  async score(user: Float32Array, B: number): Promise<Float32Array[]> {
    const u = tf.tensor2d(user, [B, this.dim]);
    try {
      const out = Array.from({ length: B }, () => new Float32Array(this.rows));
      for (let s = 0; s < this.shards.length; s++) {
        const part = await this.shardScores(s, u);
        const size = this.shards[s].shape[1];
        for (let b = 0; b < B; b++) out[b].set(part.subarray(b * size, (b + 1) * size), s * this.shard);
      }
      return out;
    } finally {
      u.dispose();
    }
  }

  async topK(user: Float32Array, k: number, excluded: ReadonlySet<number>, bias?: Map<number, number>): Promise<TopK> {
    const u = tf.tensor2d(user, [1, this.dim]);
    try {
      return await streamTopK(this.shards.length, (s) => s * this.shard, (s) => this.shardScores(s, u), k, excluded, bias);
    } finally {
      u.dispose();
    }
  }

  dispose(): void {
    tf.dispose(this.shards);
    this.shards.length = 0;
  }
}

/** rounds up to a multiple of 16 (the kernel's v128 loads) */
const align16 = (n: number) => Math.ceil(n / 16) * 16;

/**
 * Codes in one Int8 block, scored shard by shard into a shard-sized buffer. Where WebAssembly SIMD
 * is available (and D is a multiple of 16) codes, bf16 scales and buffers live in the kernel's
 * memory (score/int8-kernel.ts); elsewhere the same numbers are scored in plain JS. Scales are
 * bfloat16 rounded up either way, so both paths hold the same table.
 */
class Int8Table implements ItemTable {
  readonly kind = 'int8';
  private codes: Int8Array;
  /** per-row scale, as a Float32 value (JS path) */
  private scaleF: Float32Array | null = null;
  /** per-row scale, bf16 bits (kernel path) */
  private scaleH: Uint16Array | null = null;
  private readonly kernel: Int8Kernel | null;
  private readonly ptr = { codes: 0, scales: 0, user: 0, out: 0 };
  private readonly out: Float32Array;

  constructor(data: Float32Array, readonly rows: number, readonly dim: number, private readonly shard: number) {
    const D = dim;
    this.kernel = D % 16 === 0 && D <= 512 ? int8Kernel() : null;
    const outLen = Math.min(shard, rows);
    if (this.kernel) {
      const p = this.ptr;
      p.scales = align16(rows * D);
      p.user = align16(p.scales + rows * 2);
      p.out = align16(p.user + D * 2);
      const need = p.out + outLen * 4;
      const mem = this.kernel.memory;
      mem.grow(Math.max(0, Math.ceil((need - mem.buffer.byteLength) / 65536)));
      this.codes = new Int8Array(mem.buffer, 0, rows * D);
      this.scaleH = new Uint16Array(mem.buffer, p.scales, rows);
      this.out = new Float32Array(mem.buffer, p.out, outLen);
    } else {
      this.codes = new Int8Array(rows * D);
      this.scaleF = new Float32Array(rows);
      this.out = new Float32Array(outLen);
    }
    const bits = new Uint32Array(1);
    const asF = new Float32Array(bits.buffer);
    for (let r = 0; r < rows; r++) {
      const s = quantizeRow(data.subarray(r * D, (r + 1) * D), this.codes.subarray(r * D, (r + 1) * D), r, bf16Up);
      if (this.scaleH) {
        asF[0] = s;
        this.scaleH[r] = bits[0] >>> 16;
      } else this.scaleF![r] = s;
    }
  }

  get bytes(): number {
    return this.rows * (this.dim + (this.scaleH ? 2 : 4));
  }

  private scaleOf(r: number): number {
    if (this.scaleF) return this.scaleF[r];
    const bits = new Uint32Array([this.scaleH![r] << 16]);
    return new Float32Array(bits.buffer)[0];
  }

  gather(ids: Int32Array): Float32Array {
    const D = this.dim;
    const out = new Float32Array(ids.length * D);
    ids.forEach((id, i) => {
      const sc = this.scaleOf(id);
      for (let j = 0; j < D; j++) out[i * D + j] = this.codes[id * D + j] * sc;
    });
    return out;
  }

  /** sets the user vector for the kernel (Int16 at 1/32767 of its largest value) and returns its scale */
  private setUser(u: Float32Array): number {
    let max = 0;
    for (const x of u) max = Math.max(max, Math.abs(x));
    const q = new Int16Array(this.kernel!.memory.buffer, this.ptr.user, this.dim);
    const scale = max / 32767;
    for (let j = 0; j < this.dim; j++) q[j] = scale ? Math.round(u[j] / scale) : 0;
    return scale;
  }

  /** scores of rows [start, start + n) for user `u` (one vector) into this.out[0..n) */
  private scoreRows(u: Float32Array, uScale: number, start: number, n: number): Float32Array {
    const D = this.dim;
    const out = this.out.subarray(0, n);
    if (this.kernel) {
      this.kernel.score(start * D, this.ptr.scales + start * 2, n, D / 16, this.ptr.user, uScale, this.ptr.out);
      return out;
    }
    const c = this.codes;
    const sc = this.scaleF!;
    for (let r = 0, base = start * D; r < n; r++, base += D) {
      let acc = 0;
      for (let j = 0; j < D; j++) acc += c[base + j] * u[j];
      out[r] = acc * sc[start + r];
    }
    return out;
  }

  async score(user: Float32Array, B: number): Promise<Float32Array[]> {
    const D = this.dim;
    const rows = Array.from({ length: B }, () => new Float32Array(this.rows));
    for (let b = 0; b < B; b++) {
      const u = user.subarray(b * D, (b + 1) * D);
      const uScale = this.kernel ? this.setUser(u) : 1;
      for (let start = 0; start < this.rows; start += this.shard) {
        const n = Math.min(this.shard, this.rows - start);
        rows[b].set(this.scoreRows(u, uScale, start, n), start);
      }
    }
    return rows;
  }

  async topK(user: Float32Array, k: number, excluded: ReadonlySet<number>, bias?: Map<number, number>): Promise<TopK> {
    const uScale = this.kernel ? this.setUser(user) : 1;
    const shards = Math.ceil(this.rows / this.shard);
    return streamTopK(shards, (s) => s * this.shard, async (s) => this.scoreRows(user, uScale, s * this.shard, Math.min(this.shard, this.rows - s * this.shard)), k, excluded, bias);
  }

  dispose(): void {
    // the kernel's memory goes with this table; nothing is on the backend
    this.codes = new Int8Array(0);
  }
}
