import * as tf from '@tensorflow/tfjs';
import type { SasrecEntry, WeightSpec } from '../../bundle/manifest.js';
import { MolarError } from '../../errors.js';
import type { SequentialModel } from '../types.js';
import { mm } from './ops.js';
import { architectureOf, DEFAULT_NEGATIVES, resolveSasrecConfig, SASREC_DEFAULTS, type SasrecConfig } from './config.js';
import { packWeights, sasrecWeightSpecs, specSize, unpackWeights, type WeightBlob } from './weights.js';
import { mulberry32 } from '../../random.js';

const LN_EPS = 1e-8; // as the SASRec reference code
const MASKED = -1e9; // additive attention mask; finite so fully masked (padding) rows stay NaN-free

/** What a training objective receives: the user vectors at the positions that have a target. */
export interface ObjectiveInput {
  /** [M, D] user representations at target-bearing positions */
  user: tf.Tensor2D;
  /** [M] next-item ids (never 0) */
  targets: tf.Tensor1D;
  /** [N, D] item embedding, tied to the output layer */
  itemEmb: tf.Tensor2D;
  /** indices (in [0, M)) of the rows, as flat B*L positions, for per-position negatives */
  rows: tf.Tensor1D;
  /** [M] batch row (user) of each target-bearing position, for per-user masks */
  rowUsers: tf.Tensor1D;
  negatives?: tf.Tensor;
  /**
   * [B, C] additive mask (0 or MASKED) over the negative columns (the shared negatives, or every
   * item for full CE): MASKED where that item is in the row's own training window (history mask)
   */
  historyMask?: tf.Tensor2D;
  /**
   * config.repeatBias: the learned scalar, and which scored items each position had already read:
   * `pos` [M] 1 where the target is among the inputs up to its position, `cols` [M, C] likewise for
   * each softmax column (the shared negatives, or every id for full CE).
   */
  repeat?: { bias: tf.Tensor; pos: tf.Tensor1D; cols: tf.Tensor2D };
}
/** Loss over ObjectiveInput; lives in train/ (Node) and is handed in, so models/ stays browser-pure. */
export type SasrecObjective = (input: ObjectiveInput) => tf.Scalar;

/**
 * SASRec (Kang & McAuley, ICDM 2018), written with tfjs ops over tf.variable weights (simpler to train
 * fast and to serialise than tf.layers). Item id 0 is padding; sequences are left-padded.
 *
 * Departures from the paper, on purpose:
 * - Positions are learned and counted per row, from the newest item or from the window's oldest
 *   (config.positions), never from the padded edge, so a history padded to any length L ≤ maxLen
 *   scores the same; the browser pads only to the history it has instead of to maxLen.
 * - Two block wirings (config.block): 'sasrec', the paper's own (TF original, SASRec.pytorch,
 *   SASRec+): query = LN(x), keys and values from x itself, residual onto LN(x), FFN on and onto
 *   LN(x); and 'pre-ln' (GPT-2 style, LN → sublayer → residual on x). Both end in a final LN and
 *   have an output projection after attention. 'pre-ln' is what bundles written before the field
 *   existed hold.
 * - Q, K and V come from one fused [D, 3D] matmul; the FFN uses dense layers (RecBole), not Conv1d.
 * - Embeddings are scaled by sqrt(D) as in the reference code.
 */
export class SasrecModel implements SequentialModel {
  readonly kind = 'sasrec';
  readonly config: SasrecConfig;
  readonly specs: WeightSpec[];
  private readonly vars = new Map<string, tf.Variable>();
  private objective?: SasrecObjective;
  private dropoutCalls = 0;
  private dropoutSeed = 0;
  private disposed = false;

  constructor(config: Partial<SasrecConfig> & { numItems: number }, init?: Map<string, Float32Array>) {
    this.config = resolveSasrecConfig(config);
    this.specs = sasrecWeightSpecs(this.config);
    const values = init ?? initialWeights(this.specs, this.config.seed, this.config.init);
    for (const s of this.specs) {
      const v = values.get(s.name);
      if (!v || v.length !== specSize(s)) throw new MolarError('BAD_INPUT', `initial weight missing or mis-sized`, { field: s.name });
      // the variable takes the tensor's data; the tensor handle itself must go, or it counts as live
      const t = tf.tensor(v, s.shape, 'float32');
      this.vars.set(s.name, tf.variable(t, true, `sasrec/${s.name}/${uid++}`));
      t.dispose();
    }
  }

  get numItems(): number {
    return this.config.numItems;
  }
  get maxLen(): number {
    return this.config.maxLen;
  }
  /** trainable variables, in spec order */
  get trainable(): tf.Variable[] {
    return this.specs.map((s) => this.vars.get(s.name)!);
  }
  get itemEmbedding(): tf.Variable<tf.Rank.R2> {
    return this.w('item_embedding') as tf.Variable<tf.Rank.R2>;
  }

  setObjective(objective: SasrecObjective): void {
    this.objective = objective;
  }
  /** Makes dropout masks a function of (seed, call number), so a seeded run repeats exactly. */
  seedDropout(seed: number): void {
    this.dropoutSeed = seed;
    this.dropoutCalls = 0;
  }

  forward(seq: tf.Tensor2D, training = false): tf.Tensor3D {
    this.alive();
    const [B, L] = seq.shape;
    if (L > this.config.maxLen) throw new MolarError('BAD_INPUT', `sequence length ${L} exceeds maxLen ${this.config.maxLen}`, { field: 'seq' });
    const { hidden: D, heads: H, blocks } = this.config;
    return tf.tidy(() => {
      const valid = tf.cast(tf.notEqual(seq, 0), 'float32'); // [B, L]
      const timeline = valid.expandDims(2) as tf.Tensor3D; // [B, L, 1]
      const table = this.w('position_embedding');
      // [L, D] shared by every row (row L-1 = newest), or [B, L, D]: each item's index from its row's oldest (padding → 0, zeroed below)
      const pos = this.config.positions === 'from-newest' ? tf.reverse(table.slice([0, 0], [L, D]), 0) : tf.gather(table, tf.cast(tf.relu(tf.cumsum(valid, 1).sub(1)), 'int32'));
      let x = tf.gather(this.itemEmbedding, tf.cast(seq, 'int32')).mul(Math.sqrt(D)).add(pos) as tf.Tensor3D;
      x = this.drop(x, training).mul(timeline);
      const mask = attentionMask(valid as tf.Tensor2D, L); // [B, L, L] additive
      for (let b = 0; b < blocks; b++) {
        const p = `blocks.${b}.`;
        const original = this.config.block === 'sasrec';
        const h = layerNorm(x, this.w(`${p}attn_ln.gamma`), this.w(`${p}attn_ln.beta`));
        // Q, K, V from column slices of one [D, 3D] weight: three fast 2-D products, no split of [B, L, 3D]
        const wqkv = this.w(`${p}attn.qkv.weight`);
        const bqkv = this.w(`${p}attn.qkv.bias`);
        const [q, k, v] = [0, 1, 2].map((i) => dense(i > 0 && original ? x : h, wqkv.slice([0, i * D], [D, D]), bqkv.slice([i * D], [D])));
        let att: tf.Tensor3D;
        if (H === 1) {
          const scores = mm(q, k, false, true).mul(1 / Math.sqrt(D)).add(mask);
          att = mm(this.drop(tf.softmax(scores), training) as tf.Tensor3D, v);
        } else {
          const dh = D / H;
          // heads folded into the batch: [B*H, L, dh]
          const heads = (t: tf.Tensor3D) => t.reshape([B, L, H, dh]).transpose([0, 2, 1, 3]).reshape([B * H, L, dh]) as tf.Tensor3D;
          const m = mask.expandDims(1).tile([1, H, 1, 1]).reshape([B * H, L, L]);
          const scores = mm(heads(q), heads(k), false, true).mul(1 / Math.sqrt(dh)).add(m);
          const o = mm(this.drop(tf.softmax(scores), training) as tf.Tensor3D, heads(v));
          att = o.reshape([B, H, L, dh]).transpose([0, 2, 1, 3]).reshape([B, L, D]);
        }
        const o = dense(att, this.w(`${p}attn.out.weight`), this.w(`${p}attn.out.bias`));
        // the original block adds to the normalised query and drops only attention weights there
        x = original ? h.add(o) : x.add(this.drop(o, training));
        const g = layerNorm(x, this.w(`${p}ffn_ln.gamma`), this.w(`${p}ffn_ln.beta`));
        const f = dense(this.drop(tf.relu(dense(g, this.w(`${p}ffn.w1`), this.w(`${p}ffn.b1`))), training), this.w(`${p}ffn.w2`), this.w(`${p}ffn.b2`));
        x = (original ? g : x).add(this.drop(f, training)).mul(timeline);
      }
      return layerNorm(x, this.w('final_ln.gamma'), this.w('final_ln.beta')) as tf.Tensor3D;
    });
  }

  /** Last-position user vector [B, D]: what predict and fullSortPredict score against. */
  userVector(seq: tf.Tensor2D): tf.Tensor2D {
    const L = seq.shape[1];
    return tf.tidy(() => this.forward(seq, false).slice([0, L - 1, 0], [-1, 1, -1]).squeeze([1]) as tf.Tensor2D);
  }

  calculateLoss(seq: tf.Tensor2D, targets: tf.Tensor2D, negatives?: tf.Tensor, historyMask?: tf.Tensor2D): tf.Scalar {
    this.alive();
    if (!this.objective) throw new MolarError('BAD_CONFIG', 'no training objective attached; training runs in Node (train/), call setObjective first', { field: 'loss' });
    const t = targets.dataSync();
    const L = seq.shape[1];
    const rowsArr: number[] = [];
    const usersArr: number[] = [];
    for (let i = 0; i < t.length; i++) {
      if (t[i] === 0) continue;
      rowsArr.push(i);
      usersArr.push(Math.floor(i / L));
    }
    if (rowsArr.length === 0) throw new MolarError('BAD_INPUT', 'batch has no targets (all zero)', { field: 'targets' });
    const D = this.config.hidden;
    return tf.tidy(() => {
      const rows = tf.tensor1d(rowsArr, 'int32');
      const rowUsers = tf.tensor1d(usersArr, 'int32');
      const out = this.forward(seq, true).reshape([-1, D]);
      const user = tf.gather(out, rows) as tf.Tensor2D;
      const tg = tf.gather(tf.cast(targets, 'int32').reshape([-1]), rows) as tf.Tensor1D;
      const repeat = this.config.repeatBias ? { bias: this.w('repeat_bias'), ...seenAtPositions(seq.dataSync(), L, t, this.config.loss === 'ce' ? undefined : negatives?.dataSync(), this.numItems) } : undefined;
      return this.objective!({ user, targets: tg, itemEmb: this.itemEmbedding, rows, rowUsers, negatives, historyMask, repeat });
    });
  }

  predict(seq: tf.Tensor2D, candidates: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const u = this.userVector(seq); // [B, D]
      const ids = tf.cast(candidates, 'int32');
      const c = tf.gather(this.itemEmbedding, ids); // [B, K, D]
      const s = tf.sum(c.mul(u.expandDims(1)), 2) as tf.Tensor2D;
      return this.config.repeatBias ? s.add(tf.gather(this.seen(seq), ids, 1, 1).mul(this.w('repeat_bias'))) : s;
    });
  }

  fullSortPredict(seq: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const s = mm(this.userVector(seq), this.itemEmbedding, false, true);
      return this.config.repeatBias ? s.add(this.seen(seq).mul(this.w('repeat_bias'))) : s;
    });
  }

  /** [B, N] 1 where the item is among the row's inputs, else 0 (column 0 = padding, which callers mask). */
  private seen(seq: tf.Tensor2D): tf.Tensor2D {
    const [B, L] = seq.shape;
    return tf.tidy(() => {
      const rows = tf.range(0, B, 1, 'int32').expandDims(1).tile([1, L]).reshape([-1]);
      const at = tf.stack([rows, tf.cast(seq, 'int32').reshape([-1])], 1) as tf.Tensor2D;
      // scatterND adds duplicates; a repeated input is still one seen item
      return tf.minimum(tf.scatterND(at, tf.ones([B * L]), [B, this.numItems + 1]), 1) as tf.Tensor2D;
    });
  }

  /** Current weights in bundle form (one Float32 blob, spec order). */
  async getWeights(): Promise<WeightBlob> {
    this.alive();
    const values = new Map<string, Float32Array>();
    for (const s of this.specs) values.set(s.name, (await this.w(s.name).data()) as Float32Array);
    return packWeights(this.specs, values);
  }

  /** Overwrites weights from bundle form; strict about names and shapes. */
  setWeights(specs: WeightSpec[], data: Float32Array | ArrayBuffer): void {
    this.alive();
    const m = unpackWeights(this.specs, specs, data);
    for (const s of this.specs) {
      const t = tf.tensor(m.get(s.name)!, s.shape, 'float32');
      this.w(s.name).assign(t);
      t.dispose();
    }
  }

  /** The manifest entry for these weights (the writer fills `files`). */
  toEntry(files: string[], trainedWith?: SasrecEntry['trainedWith']): SasrecEntry {
    return { kind: 'sasrec', files, config: architectureOf(this.config), weights: this.specs.map((s) => ({ ...s, shape: [...s.shape] })), ...(trainedWith ? { trainedWith } : {}) };
  }

  /** Rebuilds a model from a manifest entry and its weight blob; refuses missing/extra/mis-shaped weights. */
  static fromEntry(entry: Pick<SasrecEntry, 'config' | 'weights'>, data: Float32Array | ArrayBuffer, file?: string): SasrecModel {
    const given = entry.config as Partial<SasrecConfig> & { numItems: number };
    // loading needs only the architecture; a training knob out of range for this catalog is no reason to refuse it
    // entries written before `block` / `positions` existed were all pre-LN / from-newest, whatever the defaults are now
    // a repeat bias implies history-kept training, which the entry does not carry
    const cfg = { ...given, block: given.block ?? 'pre-ln', positions: given.positions ?? 'from-newest', ...(given.repeatBias ? { excludeHistory: false } : {}), numNegatives: Math.min(given.numNegatives ?? DEFAULT_NEGATIVES[given.loss ?? SASREC_DEFAULTS.loss] ?? 1, given.numItems) };
    const specs = sasrecWeightSpecs(resolveSasrecConfig(cfg));
    const values = unpackWeights(specs, entry.weights, data, file);
    return new SasrecModel(cfg, values);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }

  private w(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new MolarError(this.disposed ? 'DISPOSED' : 'BAD_INPUT', this.disposed ? 'model was disposed' : `no weight ${name}`);
    return v;
  }
  private alive(): void {
    if (this.disposed) throw new MolarError('DISPOSED', 'SasrecModel used after dispose()');
  }
  private drop<T extends tf.Tensor>(x: T, training: boolean): T {
    const rate = this.config.dropout;
    if (!training || rate === 0) return x;
    return tf.dropout(x, rate, undefined, this.dropoutSeed * 1_000_003 + this.dropoutCalls++) as T;
  }
}

let uid = 0;

function dense(x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor): tf.Tensor3D {
  const [B, L, D] = x.shape;
  const out = w.shape[1]!;
  return mm(x.reshape([B * L, D]) as tf.Tensor2D, w as tf.Tensor2D).add(b).reshape([B, L, out]);
}

function layerNorm(x: tf.Tensor3D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor3D {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(LN_EPS))).mul(gamma).add(beta) as tf.Tensor3D;
}

/** Causal + key-padding mask as an additive [B, L, L] tensor (0 where allowed, MASKED elsewhere). */
function attentionMask(valid: tf.Tensor2D, L: number): tf.Tensor3D {
  const causal = tf.linalg.bandPart(tf.ones([L, L]), -1, 0); // lower triangle incl. diagonal
  const allowed = causal.expandDims(0).mul(valid.expandDims(1)); // [B, L(query), L(key)]
  return tf.scalar(1).sub(allowed).mul(MASKED) as tf.Tensor3D;
}

export { mulberry32 };

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

/** Matrices and embeddings Xavier-normal (SASRec.pytorch) or N(0, 0.02²) (RecBole, SASRec+); LN at (1, 0), biases 0, padding row 0. */
function initialWeights(specs: WeightSpec[], seed: number, init: SasrecConfig['init']): Map<string, Float32Array> {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const out = new Map<string, Float32Array>();
  for (const s of specs) {
    const v = new Float32Array(specSize(s));
    if (s.name.endsWith('gamma')) v.fill(1);
    else if (s.shape.length === 2) {
      const std = init === 'normal' ? 0.02 : Math.sqrt(2 / (s.shape[0] + s.shape[1]));
      for (let i = 0; i < v.length; i++) v[i] = gauss() * std;
      if (s.name === 'item_embedding') v.fill(0, 0, s.shape[1]);
    }
    out.set(s.name, v);
  }
  return out;
}
