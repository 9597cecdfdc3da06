import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { quantizeRow } from '../items/store.js';
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

class Int8Table implements ItemTable {
  readonly kind = 'int8';
  private readonly codes: Int8Array[] = [];
  private readonly scales: Float32Array[] = [];

  constructor(data: Float32Array, readonly rows: number, readonly dim: number, private readonly shard: number) {
    for (let start = 0; start < rows; start += shard) {
      const size = Math.min(shard, rows - start);
      const codes = new Int8Array(size * dim);
      const scale = new Float32Array(size);
      for (let r = 0; r < size; r++) scale[r] = quantizeRow(data.subarray((start + r) * dim, (start + r + 1) * dim), codes.subarray(r * dim, (r + 1) * dim), start + r);
      this.codes.push(codes);
      this.scales.push(scale);
    }
  }

  get bytes(): number {
    return this.rows * (this.dim + 4);
  }

  gather(ids: Int32Array): Float32Array {
    const D = this.dim;
    const out = new Float32Array(ids.length * D);
    ids.forEach((id, i) => {
      const s = Math.floor(id / this.shard);
      const r = id - s * this.shard;
      const sc = this.scales[s][r];
      const c = this.codes[s];
      for (let j = 0; j < D; j++) out[i * D + j] = c[r * D + j] * sc;
    });
    return out;
  }

  /** scores of shard `s` for user vector `u` (offset `uo`) into `out` */
  private shardInto(s: number, u: Float32Array, uo: number, out: Float32Array, oo: number): void {
    const D = this.dim;
    const c = this.codes[s];
    const sc = this.scales[s];
    for (let r = 0, base = 0; r < sc.length; r++, base += D) {
      let acc = 0;
      for (let j = 0; j < D; j++) acc += c[base + j] * u[uo + j];
      out[oo + r] = acc * sc[r];
    }
  }

  async score(user: Float32Array, B: number): Promise<Float32Array[]> {
    const out = Array.from({ length: B }, () => new Float32Array(this.rows));
    for (let b = 0; b < B; b++) for (let s = 0; s < this.codes.length; s++) this.shardInto(s, user, b * this.dim, out[b], s * this.shard);
    return out;
  }

  async topK(user: Float32Array, k: number, excluded: ReadonlySet<number>, bias?: Map<number, number>): Promise<TopK> {
    const buf = new Float32Array(Math.min(this.shard, this.rows));
    return streamTopK(
      this.codes.length,
      (s) => s * this.shard,
      async (s) => {
        const row = buf.subarray(0, this.scales[s].length);
        this.shardInto(s, user, 0, row, 0);
        return row;
      },
      k,
      excluded,
      bias,
    );
  }

  dispose(): void {
    this.codes.length = 0;
    this.scales.length = 0;
  }
}
