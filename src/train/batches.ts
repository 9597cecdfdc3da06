import * as tf from '@tensorflow/tfjs';
import { mulberry32, shuffleInPlace } from '../random.js';

/** One training batch: inputs and next-item targets, left-padded to the batch's longest row. */
export interface SeqBatch {
  B: number;
  L: number;
  /** [B*L] inputs, row-major */
  seq: Int32Array;
  /** [B*L] next item at each position, 0 = no target */
  targets: Int32Array;
}

/**
 * Seeded batch and negative source over the training prefixes. Everything random in training comes
 * from here (or from the dropout seed), so one seed gives one loss curve.
 */
export class BatchSampler {
  private readonly rnd: () => number;
  private readonly users: number[];
  private readonly perm: Int32Array;

  constructor(
    private readonly train: Int32Array[],
    private readonly numItems: number,
    private readonly maxLen: number,
    seed: number,
  ) {
    this.rnd = mulberry32(seed ^ 0x5eed);
    // a user needs two items to make one (input, target) pair
    this.users = [];
    for (let u = 0; u < train.length; u++) if (train[u].length >= 2) this.users.push(u);
    this.perm = Int32Array.from({ length: numItems }, (_, i) => i + 1);
  }

  get trainableUsers(): number {
    return this.users.length;
  }

  /** Mean (input, target) pairs per trainable user, each capped at maxLen: a batch's expected targets / B. */
  get meanTargetsPerUser(): number {
    let n = 0;
    for (const u of this.users) n += Math.min(this.maxLen, this.train[u].length - 1);
    return this.users.length ? n / this.users.length : 0;
  }

  /**
   * The users of one epoch, shuffled (Fisher-Yates) and cut into batches. With `bucket`, each pool
   * of 16 batches' worth of shuffled users is sorted by history length before cutting, and the
   * batches are shuffled again: a batch is padded only to its own longest row, and on ML-1M
   * (mean trainable length 108 of maxLen 200) that removes about half of the padded positions,
   * while every batch still mixes users drawn at random from the pool.
   */
  epoch(batchSize: number, bucket = false): number[][] {
    const u = this.users.slice();
    this.shuffle(u);
    const out: number[][] = [];
    const pool = bucket ? batchSize * 16 : batchSize;
    for (let p = 0; p < u.length; p += pool) {
      const chunk = u.slice(p, p + pool);
      if (bucket) chunk.sort((a, b) => this.train[a].length - this.train[b].length);
      for (let i = 0; i < chunk.length; i += batchSize) out.push(chunk.slice(i, i + batchSize));
    }
    if (bucket) this.shuffle(out);
    return out;
  }

  private shuffle<T>(a: T[]): void {
    shuffleInPlace(a, this.rnd);
  }

  /** Last maxLen+1 items of each prefix become (input = all but last, target = all but first). */
  batch(users: number[]): SeqBatch {
    const B = users.length;
    let L = 1;
    for (const u of users) L = Math.max(L, Math.min(this.maxLen, this.train[u].length - 1));
    const seq = new Int32Array(B * L);
    const targets = new Int32Array(B * L);
    users.forEach((u, b) => {
      const s = this.train[u];
      const n = Math.min(L, s.length - 1);
      const inp = s.subarray(s.length - 1 - n, s.length - 1);
      const tgt = s.subarray(s.length - n, s.length);
      seq.set(inp, b * L + L - n);
      targets.set(tgt, b * L + L - n);
    });
    return { B, L, seq, targets };
  }

  /** One uniform negative per position, never equal to that position's target (SASRec BCE). */
  perPosition(targets: Int32Array): Int32Array {
    const out = new Int32Array(targets.length);
    for (let i = 0; i < targets.length; i++) {
      if (targets[i] === 0) continue;
      let n: number;
      do n = 1 + Math.floor(this.rnd() * this.numItems);
      while (n === targets[i] && this.numItems > 1);
      out[i] = n;
    }
    return out;
  }

  /** k distinct uniform item ids shared by the batch (partial Fisher-Yates over 1..numItems). */
  shared(k: number): Int32Array {
    const p = this.perm;
    for (let i = 0; i < k; i++) {
      const j = i + Math.floor(this.rnd() * (p.length - i));
      const t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
    return p.slice(0, k);
  }
}

/** A batch's users dealt round-robin into `count` shards, so shards get similar lengths (count 1: the batch itself). */
export function dealUsers(users: number[], count: number): number[][] {
  return count === 1 ? [users] : Array.from({ length: count }, (_, s) => users.filter((_, j) => j % count === s));
}

/** Additive value that takes a logit out of a softmax (finite, so masked rows stay NaN-free). */
export { MASKED } from '../models/nn/transformer.js';
import { MASKED } from '../models/nn/transformer.js';

/**
 * [B, C] additive mask over a softmax's negative columns: MASKED where the column's item is in row
 * b's window (its inputs or targets), 0 elsewhere. Columns are the shared `negatives`, or, without
 * them, every id 0..numItems (full CE), where column 0 (padding) is masked in every row.
 * O(B·L + B·C) per batch, built in JS because it depends only on ids.
 */
export function historyMask(b: SeqBatch, numItems: number, negatives?: Int32Array): Float32Array {
  const C = negatives ? negatives.length : numItems + 1;
  const colOf = columnOf(numItems, negatives);
  const out = new Float32Array(b.B * C);
  for (let r = 0; r < b.B; r++) {
    const row = out.subarray(r * C, (r + 1) * C);
    if (!negatives) row[0] = MASKED;
    for (let j = r * b.L; j < (r + 1) * b.L; j++) {
      for (const item of [b.seq[j], b.targets[j]]) {
        const c = item > 0 ? colOf[item] : -1;
        if (c >= 0) row[c] = MASKED;
      }
    }
  }
  return out;
}

/**
 * Repeat-bias indicators for the target-bearing positions of a [B, L] batch (flat `seq`, `targets`),
 * in row order: for the position at (b, t), the items of seq[b, 0..t]. Columns are `negatives` or,
 * without them, every id 0..numItems. Built in JS from ids (O(M·C), M target positions).
 */
export function seenAtPositions(seq: ArrayLike<number>, L: number, targets: ArrayLike<number>, negatives: ArrayLike<number> | undefined, numItems: number): { pos: tf.Tensor1D; cols: tf.Tensor2D } {
  const colOf = columnOf(numItems, negatives);
  const C = negatives ? negatives.length : numItems + 1;
  let M = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] !== 0) M++;
  const pos = new Float32Array(M);
  const cols = new Float32Array(M * C);
  const seen = new Uint8Array(numItems + 1);
  const running = new Float32Array(C);
  let m = 0;
  for (let b = 0; b * L < seq.length; b++) {
    seen.fill(0);
    running.fill(0);
    for (let t = 0; t < L; t++) {
      const item = seq[b * L + t];
      if (item > 0) {
        seen[item] = 1;
        if (colOf[item] >= 0) running[colOf[item]] = 1;
      }
      const target = targets[b * L + t];
      if (target === 0) continue;
      pos[m] = seen[target];
      cols.set(running, m * C);
      m++;
    }
  }
  return { pos: tf.tensor1d(pos), cols: tf.tensor2d(cols, [M, C]) };
}

/** Column of each item id 0..numItems in a softmax over `negatives` (-1: not a column), or over every id. */
export function columnOf(numItems: number, negatives?: ArrayLike<number>): Int32Array {
  const colOf = new Int32Array(numItems + 1).fill(-1);
  if (negatives) for (let c = 0; c < negatives.length; c++) colOf[negatives[c]] = c;
  else for (let i = 0; i <= numItems; i++) colOf[i] = i;
  return colOf;
}
