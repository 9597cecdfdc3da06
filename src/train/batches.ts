import { mulberry32 } from '../models/sasrec/model.js';

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

  /** The users of one epoch, shuffled (Fisher-Yates) and cut into batches. */
  epoch(batchSize: number): number[][] {
    const u = this.users.slice();
    for (let i = u.length - 1; i > 0; i--) {
      const j = Math.floor(this.rnd() * (i + 1));
      [u[i], u[j]] = [u[j], u[i]];
    }
    const out: number[][] = [];
    for (let i = 0; i < u.length; i += batchSize) out.push(u.slice(i, i + batchSize));
    return out;
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
