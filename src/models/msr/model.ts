/**
 * MLLM-MSR (arXiv 2408.09698) stages 2 and 3 without a generative model, sized for a browser.
 *
 * Stage 2, the recurrent preference summary: the history is cut into blocks of `blockSize` items
 * counted from its start (the paper: 3), and a GRU cell updates a state once per block from the
 * mean of the block's projected item vectors and the previous state, as the paper's LLM rewrites
 * its summary from the block and the previous summary. Trained for next-item prediction: the state
 * after each block predicts the items of the next block (sampled softmax). A history's last block
 * may be partial; the state after it is the one read.
 *
 * Stage 3, summary-conditioned re-ranking: a small MLP over (state, candidate, state ⊙ candidate)
 * plus learned multiples of the first stage's log-probability of the candidate and of its score
 * standardised over the catalog (scale-free: co-occurrence scores have a nearly flat log-softmax), trained with BCE
 * on 1 positive : `negatives` sampled negatives (the paper's 1 : 20 yes/no training).
 *
 * Items enter only through their `[text | image]` vectors (the bundle's item_vectors.bin), so items
 * added with addItems() are summarised and re-ranked as catalog items are. Weights: `item.*` (the
 * projection and its layer norm), `gru.*`, `state0`, `next.*`, `rr.*`.
 */
import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../../errors.js';
import { logSumExpRows, mm, putRows } from '../nn/ops.js';
import { initialWeights, Params, type WeightBlob, type WeightSpec } from '../nn/weights.js';
import type { MsrConfig } from './config.js';

/** Histories laid out as [B, K, blockSize] ids, blocks kept in place from each history's start, the newest last. */
export interface BlockGrid {
  grid: Int32Array;
  B: number;
  K: number;
  blockSize: number;
}

/**
 * Each history's blocks (counted from its first item; the last may be partial), the most recent
 * `maxBlocks` of them, right-aligned in K = the most any history has (empty blocks in front).
 */
export function blockGrid(histories: readonly Int32Array[], blockSize: number, maxBlocks: number): BlockGrid {
  const blocks = (h: Int32Array) => Math.min(maxBlocks, Math.ceil(h.length / blockSize));
  const K = Math.max(1, ...histories.map(blocks));
  const grid = new Int32Array(histories.length * K * blockSize);
  histories.forEach((h, b) => {
    const nb = Math.ceil(h.length / blockSize);
    const kept = blocks(h);
    for (let k = 0; k < kept; k++) {
      const from = (nb - kept + k) * blockSize;
      const at = (b * K + K - kept + k) * blockSize;
      for (let j = 0; j < blockSize && from + j < h.length; j++) grid[at + j] = h[from + j];
    }
  });
  return { grid, B: histories.length, K, blockSize };
}

/** What calculateLoss reads; every id is a local index into `ids` (local 0 = padding). */
export interface MsrBatch {
  /** [U] distinct item ids the batch touches, ids[0] = 0 */
  ids: tf.Tensor1D;
  /** [B, K, blockSize] local ids */
  grid: tf.Tensor3D;
  /** [M] local ids of stage 2's softmax */
  sample: tf.Tensor1D;
  /** [B * K, M] target weights of each block's next items (rows sum to 1, or 0 when nothing follows) */
  nextTargets: tf.Tensor2D;
  /** rows of nextTargets that have targets */
  nextRows: number;
  /** [B, C] local ids of stage 3's candidates, the positive first */
  candidates: tf.Tensor2D;
  /** [B, C] the first stage's log-probability of each candidate */
  firstStage: tf.Tensor2D;
  /** [B, C] the first stage's score standardised over the catalog */
  firstStageZ: tf.Tensor2D;
  /** [B, 1] 1 where the row's candidates train stage 3, 0 where the row trains stage 2 only */
  rerankMask: tf.Tensor2D;
  /** rows of rerankMask that are 1 */
  rerankRows: number;
}

export class MsrModel {
  readonly specs: WeightSpec[];
  private readonly params: Params;
  private table: tf.Tensor2D;
  private rows: number;
  /** sequentialScorer reads histories whole: blocks are counted from a history's start, so nothing may be cut off at a fixed width */
  readonly maxLen = 1 << 20;
  private lossWeights = { next: 1, rerank: 1 };

  /** `vectors`: item-vector rows 0..numItems (row 0 padding), `config.itemDim` wide. */
  constructor(
    readonly config: MsrConfig,
    vectors: Float32Array,
  ) {
    const { hidden: H, itemDim: d, rerankHidden: R } = config;
    this.rows = vectors.length / d;
    if (!Number.isInteger(this.rows) || this.rows !== config.numItems + 1) throw new MolarError('BAD_INPUT', `expected ${config.numItems + 1} item vector rows of ${d}, got ${vectors.length} values`, { field: 'itemVectors' });
    this.specs = [
      { name: 'item.w', shape: [d, H], dtype: 'float32' },
      { name: 'item.b', shape: [H], dtype: 'float32' },
      { name: 'item.ln.gamma', shape: [H], dtype: 'float32' },
      { name: 'item.ln.beta', shape: [H], dtype: 'float32' },
      { name: 'state0', shape: [1, H], dtype: 'float32' },
      { name: 'gru.w', shape: [H, 3 * H], dtype: 'float32' },
      { name: 'gru.u', shape: [H, 3 * H], dtype: 'float32' },
      { name: 'gru.b', shape: [3 * H], dtype: 'float32' },
      { name: 'next.w', shape: [H, H], dtype: 'float32' },
      { name: 'next.b', shape: [H], dtype: 'float32' },
      { name: 'rr.w1', shape: [3 * H, R], dtype: 'float32' },
      { name: 'rr.b1', shape: [R], dtype: 'float32' },
      { name: 'rr.w2', shape: [R, 1], dtype: 'float32' },
      { name: 'rr.b2', shape: [1], dtype: 'float32' },
      { name: 'rr.a', shape: [1], dtype: 'float32' },
      { name: 'rr.c', shape: [1], dtype: 'float32' },
    ];
    const init = initialWeights(this.specs, config.seed, 'xavier');
    // the re-ranker starts as the first stage's order: the first-stage log-probability at weight 1
    init.set('rr.a', Float32Array.of(1));
    this.params = new Params(this.specs, init, 'msr');
    this.table = tf.tensor2d(vectors, [this.rows, d]);
  }

  get numItems(): number {
    return this.rows - 1;
  }

  get trainable(): tf.Variable[] {
    return this.params.trainable;
  }

  getWeights(): Promise<WeightBlob> {
    return this.params.getWeights();
  }

  setWeights(specs: WeightSpec[], data: Float32Array | ArrayBuffer): void {
    this.params.setWeights(specs, data);
  }

  setLossWeights(w: { next: number; rerank: number }): void {
    this.lossWeights = w;
  }

  /**
   * Items added after the catalog (rows in the item-vector layout): scored from then on. With
   * `first`, they replace rows first.. (an added item given new content keeps its id; catalog rows
   * are not replaceable).
   */
  addItems(vectors: Float32Array, first?: number): void {
    const d = this.config.itemDim;
    if (vectors.length % d !== 0) throw new MolarError('BAD_INPUT', `expected rows of ${d} values, got ${vectors.length}`, { field: 'vectors' });
    const n = vectors.length / d;
    if (first !== undefined && (!Number.isInteger(first) || first <= this.config.numItems || first + n > this.rows)) {
      throw new MolarError('BAD_INPUT', `rows ${first}..${first + n - 1} are not items added after the catalog (${this.config.numItems + 1}..${this.rows - 1})`, { field: 'first' });
    }
    const old = this.table;
    this.table = tf.tidy(() => putRows(old, tf.tensor2d(vectors, [n, d]), first));
    old.dispose();
    if (first === undefined) this.rows += n;
  }

  /** [n, H] projected items of `ids` (global ids). */
  project(ids: tf.Tensor1D): tf.Tensor2D {
    const p = (n: string) => this.params.get(n);
    return tf.tidy(() => {
      const x = mm(tf.gather(this.table, ids), p('item.w') as tf.Tensor2D).add(p('item.b'));
      const { mean, variance } = tf.moments(x, -1, true);
      return x.sub(mean).mul(tf.rsqrt(variance.add(1e-8))).mul(p('item.ln.gamma')).add(p('item.ln.beta')) as tf.Tensor2D;
    });
  }

  /**
   * [B, K, H]: the state after each block of `grid` (local ids into `emb` [U, H]); an empty block
   * leaves it as it was. `init` [B, H]: the states before the first block (default `state0`).
   */
  states(emb: tf.Tensor2D, grid: tf.Tensor3D, init?: tf.Tensor2D): tf.Tensor3D {
    const [B, K, S] = grid.shape;
    const H = this.config.hidden;
    const p = (n: string) => this.params.get(n);
    // 2-D ops only: WebGPU's broadcasting multiply over [B, K, S, H] × [B, K, S, 1] ignored the mask
    // (Chromium 150), and every backend is fast at these shapes anyway
    return tf.tidy(() => {
      const ids = grid.reshape([B * K * S]);
      const mask = ids.greater(0).cast('float32').reshape([B * K * S, 1]);
      const e = tf.gather(emb, ids).mul(mask); // [B*K*S, H], padding rows zero
      const count = mask.reshape([B * K, S]).sum(1, true); // [B*K, 1]
      const u = e.reshape([B * K, S, H]).sum(1).div(count.maximum(1)).reshape([B, K * H]) as tf.Tensor2D; // block means
      const has = count.greater(0).cast('float32').reshape([B, K]);
      let s = init ?? (tf.tile(p('state0'), [B, 1]) as tf.Tensor2D);
      const out: tf.Tensor2D[] = [];
      for (let k = 0; k < K; k++) {
        const uk = u.slice([0, k * H], [B, H]);
        const gx = mm(uk, p('gru.w') as tf.Tensor2D).add(p('gru.b'));
        const gh = mm(s, p('gru.u') as tf.Tensor2D);
        const [xz, xr, xn] = tf.split(gx, 3, 1);
        const [hz, hr, hn] = tf.split(gh, 3, 1);
        const z = tf.sigmoid(xz.add(hz));
        const r = tf.sigmoid(xr.add(hr));
        const n = tf.tanh(xn.add(r.mul(hn)));
        const next = tf.sub(1, z).mul(n).add(z.mul(s)) as tf.Tensor2D;
        const m = has.slice([0, k], [B, 1]);
        s = s.add(next.sub(s).mul(m)) as tf.Tensor2D;
        out.push(s);
      }
      return tf.stack(out, 1) as tf.Tensor3D;
    });
  }

  /** [R, H] the next-item query of each state row. */
  query(states: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => mm(states, this.params.get('next.w') as tf.Tensor2D).add(this.params.get('next.b')) as tf.Tensor2D);
  }

  /** [B, C] stage 3's logits: candidates (local ids into `emb`) given each row's state and the first stage's log-probabilities and standardised scores. */
  rerankLogits(state: tf.Tensor2D, emb: tf.Tensor2D, candidates: tf.Tensor2D, firstStage: tf.Tensor2D, firstStageZ: tf.Tensor2D): tf.Tensor2D {
    const [B, C] = candidates.shape;
    const H = this.config.hidden;
    const p = (n: string) => this.params.get(n);
    return tf.tidy(() => {
      const c = tf.gather(emb, candidates.reshape([B * C])); // [B*C, H]
      const s = tf.tile(state.reshape([B, 1, H]), [1, C, 1]).reshape([B * C, H]);
      const h = tf.relu(mm(tf.concat([s, c, s.mul(c)], 1) as tf.Tensor2D, p('rr.w1') as tf.Tensor2D).add(p('rr.b1'))) as tf.Tensor2D;
      const out = mm(h, p('rr.w2') as tf.Tensor2D).add(p('rr.b2')).reshape([B, C]);
      return out.add(firstStage.mul(p('rr.a'))).add(firstStageZ.mul(p('rr.c'))) as tf.Tensor2D;
    });
  }

  /** Named loss parts: `next` (stage 2's sampled softmax over next items) and `rerank` (stage 3's BCE). */
  calculateLoss(b: MsrBatch): { next: tf.Scalar; rerank: tf.Scalar } {
    const [B, K] = b.grid.shape;
    const H = this.config.hidden;
    const emb = this.project(b.ids);
    const S = this.states(emb, b.grid);
    const q = this.query(S.reshape([B * K, H]));
    const logits = mm(q, tf.gather(emb, b.sample), false, true);
    const logp = logits.sub(logSumExpRows(logits).expandDims(1));
    const next = logp.mul(b.nextTargets).sum().neg().div(Math.max(1, b.nextRows)).mul(this.lossWeights.next) as tf.Scalar;
    const read = S.slice([0, K - 1, 0], [B, 1, H]).reshape([B, H]) as tf.Tensor2D;
    const r = this.rerankLogits(read, emb, b.candidates, b.firstStage, b.firstStageZ);
    const labels = tf.concat([tf.ones([B, 1]), tf.zeros([B, b.candidates.shape[1] - 1])], 1);
    // the mean over the candidates of the rows that train stage 3 (all rows: the plain mean)
    const bce = tf.losses.sigmoidCrossEntropy(labels, r, undefined, 0, tf.Reduction.NONE);
    const rerank = bce.mul(b.rerankMask).sum().div(Math.max(1, b.rerankRows * b.candidates.shape[1])).mul(this.lossWeights.rerank) as tf.Scalar;
    return { next, rerank };
  }

  /** The read state of each history [B, H] (after its last block, partial or not). */
  summaryStates(histories: readonly Int32Array[]): tf.Tensor2D {
    return tf.tidy(() => {
      const g = blockGrid(histories, this.config.blockSize, this.config.maxBlocks);
      const S = this.withAllItems(g.grid, (emb, local) => this.states(emb, tf.tensor3d(local, [g.B, g.K, g.blockSize], 'int32')));
      return S.slice([0, g.K - 1, 0], [g.B, 1, this.config.hidden]).reshape([g.B, this.config.hidden]) as tf.Tensor2D;
    });
  }

  /**
   * Stage 3 for a batch of histories: the logits of each one's candidates (global ids) from their
   * first-stage log-probabilities. Rows may differ in length (padded here, cut back on return).
   */
  async rerankScores(histories: readonly Int32Array[], candidates: readonly Int32Array[], firstStage: readonly Float32Array[], firstStageZ: readonly Float32Array[], states?: readonly Float32Array[]): Promise<Float32Array[]> {
    const B = histories.length;
    if (states && states.length !== B) throw new MolarError('BAD_INPUT', `${B} histories but ${states.length} summary states`, { field: 'states' });
    if (B === 0) return [];
    const C = Math.max(1, ...candidates.map((c) => c.length));
    const ids = new Int32Array(B * C);
    const lp = new Float32Array(B * C);
    const z = new Float32Array(B * C);
    candidates.forEach((c, b) => {
      if (firstStage[b].length !== c.length || firstStageZ[b].length !== c.length) throw new MolarError('BAD_INPUT', `${c.length} candidates but ${firstStage[b].length} / ${firstStageZ[b].length} first-stage scores`, { field: 'firstStage' });
      ids.set(c, b * C);
      lp.set(firstStage[b], b * C);
      z.set(firstStageZ[b], b * C);
    });
    const out = tf.tidy(() => {
      // a state kept between calls (summary/memory.ts) is the same state summaryStates would compute
      const state = states ? tf.tensor2d(concat(states), [B, this.config.hidden]) : this.summaryStates(histories);
      const index = new Map<number, number>([[0, 0]]);
      const local = Int32Array.from(ids, (id) => {
        if (id < 0 || id >= this.rows) throw new MolarError('BAD_INPUT', `candidate id ${id} outside 0..${this.rows - 1}`, { field: 'candidates' });
        let l = index.get(id);
        if (l === undefined) index.set(id, (l = index.size));
        return l;
      });
      const emb = this.project(tf.tensor1d(Int32Array.from(index.keys()), 'int32'));
      return this.rerankLogits(state, emb, tf.tensor2d(local, [B, C], 'int32'), tf.tensor2d(lp, [B, C]), tf.tensor2d(z, [B, C]));
    });
    const v = (await out.data()) as Float32Array;
    out.dispose();
    return candidates.map((c, b) => v.slice(b * C, b * C + c.length));
  }

  /** Stage 2's next-item scores over every item (ids 0..rows-1) for each history: its validation, and what the summary text reads. */
  fullSortPredict(seq: tf.Tensor2D): tf.Tensor2D {
    const [B, L] = seq.shape;
    const flat = seq.dataSync();
    const histories = Array.from({ length: B }, (_, b) => flat.subarray(b * L, (b + 1) * L).filter((i) => i > 0) as Int32Array);
    return tf.tidy(() => {
      const q = this.query(this.summaryStates(histories));
      const all = this.project(tf.range(0, this.rows, 1, 'int32') as tf.Tensor1D);
      return mm(q, all, false, true);
    });
  }

  /**
   * Stage 2 per block, kept between calls (summary/memory.ts). The state read after a history is
   * the one after its newest `maxBlocks` blocks from `state0` (blocks counted from the history's
   * start), so once the history is longer than the window, each new block starts a new window. A
   * GRU state cannot forget its oldest block, so `chains` holds one state per window start that a
   * later read may need: rows [rows, H] started at blocks C-rows+1 .. C (1-based, C = `complete`
   * blocks read, rows = min(C, maxBlocks)). This steps every chain by each of `blocks` (new complete
   * blocks) in one batched GRU step per block, starting a chain at each (the oldest leaves when over
   * maxBlocks), then reads the window's state: the chain it starts at, stepped by the history's
   * `partial` newest block (shorter than blockSize; empty when the complete blocks are the whole
   * history). One readback for both: that is what a step costs on WebGL and WebGPU.
   */
  async stepSummary(chains: Float32Array, complete: number, blocks: readonly Int32Array[], partial: Int32Array): Promise<{ chains: Float32Array; state: Float32Array }> {
    const { hidden: H, blockSize: S, maxBlocks: M } = this.config;
    if (!Number.isInteger(complete) || complete < 0 || chains.length !== Math.min(complete, M) * H) throw new MolarError('BAD_INPUT', `${complete} blocks read need ${Math.min(complete, M)} chain states of ${H}, got ${chains.length} values`, { field: 'chains' });
    for (const b of blocks) if (b.length !== S) throw new MolarError('BAD_INPUT', `expected blocks of ${S} ids, got ${b.length}`, { field: 'blocks' });
    if (partial.length >= S) throw new MolarError('BAD_INPUT', `a partial block holds fewer than ${S} ids, got ${partial.length}`, { field: 'partial' });
    const C = complete + blocks.length;
    const rows = Math.min(C, M);
    const padded = Int32Array.from({ length: S }, (_, j) => partial[j] ?? 0);
    const out = this.withAllItems(concat([...blocks, padded]), (emb, local) => {
      const state0 = this.params.get('state0') as tf.Tensor2D;
      let s: tf.Tensor2D | undefined = chains.length ? tf.tensor2d(chains, [chains.length / H, H]) : undefined;
      blocks.forEach((_, k) => {
        const init = s ? (tf.concat([s, state0], 0) as tf.Tensor2D) : state0;
        const n = init.shape[0];
        const grid = tf.tile(tf.tensor3d(local.subarray(k * S, (k + 1) * S), [1, 1, S], 'int32'), [n, 1, 1]) as tf.Tensor3D;
        s = this.states(emb, grid, init).reshape([n, H]) as tf.Tensor2D;
        if (n > M) s = s.slice([n - M, 0], [M, H]);
      });
      // the window's first block (1-based), as blockGrid keeps the newest maxBlocks blocks
      const first = Math.max(1, C + (partial.length ? 1 : 0) - M + 1);
      const row = first - (C - rows + 1); // === rows: a window that starts at the partial block
      const start = s && row < rows ? s.slice([row, 0], [1, H]) : state0;
      const read = partial.length ? this.states(emb, tf.tensor3d(local.subarray(blocks.length * S), [1, 1, S], 'int32'), start).reshape([1, H]) : start.reshape([1, H]);
      return s ? tf.concat([read, s], 0) : read; // row 0 the read state, then the chains
    });
    const v = (await out.data()) as Float32Array;
    out.dispose();
    return { state: v.slice(0, H), chains: v.slice(H) };
  }

  /** Runs `fn` with the projected distinct items of `grid` and the grid as local ids into them. */
  private withAllItems<T extends tf.Tensor>(grid: Int32Array, fn: (emb: tf.Tensor2D, local: Int32Array) => T): T {
    const index = new Map<number, number>([[0, 0]]);
    const local = Int32Array.from(grid, (id) => {
      if (id < 0 || id >= this.rows) throw new MolarError('BAD_INPUT', `item id ${id} outside 0..${this.rows - 1}`, { field: 'history' });
      let l = index.get(id);
      if (l === undefined) index.set(id, (l = index.size));
      return l;
    });
    return tf.tidy(() => fn(this.project(tf.tensor1d(Int32Array.from(index.keys()), 'int32')), local));
  }

  dispose(): void {
    this.params.dispose();
    this.table.dispose();
  }
}

/** The parts end to end, in a new array of their own type. */
function concat<T extends Int32Array | Float32Array>(parts: readonly T[]): T {
  const n = parts.reduce((a, p) => a + p.length, 0);
  const out = (parts[0] instanceof Float32Array ? new Float32Array(n) : new Int32Array(n)) as T;
  let at = 0;
  for (const p of parts) (out.set(p, at), (at += p.length));
  return out;
}
