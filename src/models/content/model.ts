import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../../errors.js';
import type { LossBatch, LossParts, SequentialModel } from '../types.js';
import { SeededDropout } from '../nn/dropout.js';
import { mm, putRows } from '../nn/ops.js';
import { positionRows } from '../nn/positions.js';
import { CausalTransformer } from '../nn/transformer.js';
import { initialWeights, Params, unpackWeights, type WeightBlob, type WeightSpec } from '../nn/weights.js';
import { fusionInputs, type ItemFeatures } from '../fusion/features.js';
import { FusionHead, type FusionInputs, type FusionOutput } from '../fusion/head.js';
import { resolveContentConfig, type ContentConfig } from './config.js';

/** A content model's training batch: SASRec's, plus the ID model's user vectors for alignment. */
export interface ContentBatch extends LossBatch {
  /** [B, D] the frozen ID model's user vector of each row (post-alignment's other side) */
  teacher?: tf.Tensor2D;
  /** item ids (rows of the item table) the item-model tasks IT and SA train on this step */
  itemSample?: tf.Tensor1D;
}

/** What the training objective (train/molar-losses.ts) receives. */
export interface ContentObjectiveInput {
  /** [M, D] user vectors at target-bearing positions, [M] their targets and batch rows */
  user: tf.Tensor2D;
  targets: tf.Tensor1D;
  rowUsers: tf.Tensor1D;
  /** [N+1, D] fused vectors of every item (row 0 = padding, zero) times outputScale: the output layer */
  items: tf.Tensor2D;
  historyMask?: tf.Tensor2D;
  /** [B, D] each row's user vector at its last position, and the teacher's for the same row */
  last: tf.Tensor2D;
  teacher?: tf.Tensor2D;
  /** the head's parts at the sampled items (IT: text ↔ image, SA: attributes from content) */
  sample?: { text?: tf.Tensor2D; image?: tf.Tensor2D; bothPresent?: tf.Tensor1D; attributeLogits?: tf.Tensor2D; attributes?: tf.Tensor2D };
}
export type ContentObjective = (input: ContentObjectiveInput) => LossParts;

/** rows of the item table fused at a time by freeze() and the item-level warm start (peak memory: the head's intermediates for this many rows) */
export const FREEZE_ROWS = 8192;
/** the ID residual's table (ContentConfig.idResidual) */
export const ID_TABLE = 'content.id_embedding';

/** Rows r..r+n-1 of every input of the head. */
function sliceInputs(inputs: FusionInputs, r: number, n: number): FusionInputs {
  return Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, (v as tf.Tensor2D).slice([r, 0], [n, -1])])) as FusionInputs;
}

/**
 * x forward, a zero gradient backward. tfjs has no stopGradient; a zero gradient (not none) keeps
 * the variables behind x on the tape, so variableGrads still returns one for each of them and the
 * data-parallel gradient blobs keep their layout, while Adam, whose moments stay 0, leaves them be.
 */
export function stopGradient<T extends tf.Tensor>(x: T): T {
  // customGrad's inputs are typed as tensors or its save function; here there is one tensor
  return tf.customGrad((...a) => ({ value: (a[0] as tf.Tensor).clone(), gradFunc: (dy: tf.Tensor) => tf.zerosLike(dy) }))(x) as T;
}

/**
 * Molar's content-based user model (arXiv 2412.18176, DUEG sized for a browser): the shared causal
 * transformer (nn/) over the fused item vectors of the fusion head (fusion/), scored against the
 * fused vectors of every item. An item needs no ID embedding, so items added after training
 * (`addItems`) are scored natively, from their vectors.
 *
 * In training the item table is re-fused every step (gradients reach the head); for serving,
 * `freeze()` fuses it once. Positions are learned (counted as config.positions says), so any left
 * padding scores the same.
 */
export class ContentModel implements SequentialModel<ContentBatch> {
  readonly kind = 'content';
  readonly config: ContentConfig;
  readonly specs: WeightSpec[];
  readonly head: FusionHead;
  private readonly stack: CausalTransformer;
  private readonly params: Params;
  private readonly dropout: SeededDropout;
  private inputs: FusionInputs;
  private rows: number;
  private frozen?: tf.Tensor2D;
  /**
   * Serving: the frozen table times outputScale, transposed once to [D, N+1], so scoring is one plain
   * product (on wasm a transposed product would transpose the whole table on every call).
   */
  private scoringTable?: tf.Tensor2D;
  private objective?: ContentObjective;
  private ubToHead = true;
  /**
   * idResidual: rows of the ID table (the catalog at construction; items added later have none),
   * and in training a [idRows, 1] 0/1 mask of the items the training data knows.
   */
  private readonly idRows: number;
  private known?: tf.Tensor2D;
  private hideCalls = 0;

  constructor(config: Partial<ContentConfig> & Pick<ContentConfig, 'numItems' | 'textDim' | 'imageDim' | 'numAttributes'>, features: ItemFeatures, init?: Map<string, Float32Array>) {
    this.config = resolveContentConfig(config);
    const c = this.config;
    if (features.rows !== c.numItems + 1 || features.textDim !== c.textDim || features.imageDim !== c.imageDim || features.numAttributes !== c.numAttributes) {
      throw new MolarError('BAD_INPUT', `item features are ${features.rows} rows (text ${features.textDim}, image ${features.imageDim}, ${features.numAttributes} attributes), the model expects ${c.numItems + 1} (text ${c.textDim}, image ${c.imageDim}, ${c.numAttributes})`, { field: 'features' });
    }
    ({ head: this.head, stack: this.stack, specs: this.specs } = ContentModel.parts(c));
    // the ID table starts at zero, so a row no training step reaches (masked off, below) stays exactly zero: content alone
    const start = init ?? new Map([...initialWeights(this.specs, c.seed, c.init)].map(([k, v]) => [k, k === ID_TABLE ? new Float32Array(v.length) : v]));
    this.params = new Params(this.specs, start, 'content');
    this.idRows = c.idResidual ? c.numItems + 1 : 0;
    this.dropout = new SeededDropout(c.dropout);
    this.inputs = fusionInputs(features);
    this.rows = features.rows;
  }

  get numItems(): number {
    return this.rows - 1;
  }
  /**
   * Scores are u · e / √D. Fused vectors leave a layer norm (each coordinate ~unit variance), so raw
   * dot products of two such D-vectors start with a spread of √D (8 at D = 64): a full softmax over
   * thousands of items then begins near one-hot, with a loss twice log N. SASRec's small initial
   * embeddings avoid this; here the scale does.
   */
  get outputScale(): number {
    return 1 / Math.sqrt(this.config.hidden);
  }
  get maxLen(): number {
    return this.config.maxLen;
  }
  get trainable(): tf.Variable[] {
    return this.params.trainable;
  }

  /**
   * `ubToHead: false` (the w/o-UB ablation): the fused table reaches the user model through
   * stopGradient, so UB (and align) train the blocks but not the head; IT / SA still train it.
   */
  setObjective(objective: ContentObjective, { ubToHead = true, knownItems }: { ubToHead?: boolean; knownItems?: ArrayLike<number> } = {}): void {
    this.objective = objective;
    this.ubToHead = ubToHead;
    this.setKnown(knownItems);
  }

  /**
   * idResidual, training: only these item ids get an ID vector; the rest (never a training target,
   * or held out for cold start) take no gradient there, stay zero, and are scored from content.
   * Absent: every catalog item is known.
   */
  private setKnown(ids: ArrayLike<number> | undefined): void {
    this.known?.dispose();
    this.known = undefined;
    if (!this.idRows || !ids) return;
    const m = new Float32Array(this.idRows);
    for (let i = 0; i < ids.length; i++) if (ids[i] > 0 && ids[i] < this.idRows) m[ids[i]] = 1;
    this.known = tf.tensor2d(m, [this.idRows, 1]);
  }
  seedDropout(seed: number): void {
    this.dropout.seed(seed);
    this.hideCalls = seed * 7919;
  }

  /**
   * The head over every row (+ the ID residual), padding row zeroed; training hides modalities, and
   * the ID as a third, at `modalityDropout`.
   */
  private fuse(training: boolean): FusionOutput {
    return tf.tidy(() => {
      const rate = this.config.modalityDropout;
      // a third column only with an ID residual: without one the draws stay those of earlier versions
      const hide = training && rate > 0 ? (tf.randomUniform([this.rows, this.idRows ? 3 : 2], 0, 1, 'float32', this.hideCalls++).less(rate).cast('float32') as tf.Tensor2D) : undefined;
      const out = this.head.apply(this.inputs, (n) => this.params.get(n), hide);
      const notPad = tf.concat([tf.zeros([1, 1]), tf.ones([this.rows - 1, 1])]);
      let ids = training && this.known ? this.known : undefined;
      if (hide && this.idRows) ids = tf.scalar(1).sub(hide.slice([0, 2], [this.idRows, 1])).mul(ids ?? 1) as tf.Tensor2D;
      return { ...out, items: this.withIds(out.items, 0, ids).mul(notPad) as tf.Tensor2D };
    });
  }

  /**
   * rows r0.. of fused vectors plus their ID vectors (idResidual; rows past the ID table, items added
   * after training, get none), each ID row times `keep` (training: known and not hidden).
   */
  private withIds(items: tf.Tensor2D, r0: number, keep?: tf.Tensor2D): tf.Tensor2D {
    const n = Math.min(items.shape[0], this.idRows - r0);
    if (n <= 0) return items;
    return tf.tidy(() => {
      let ids = this.params.get(ID_TABLE).slice([r0, 0], [n, -1]) as tf.Tensor2D;
      if (keep) ids = ids.mul(keep.slice([r0, 0], [n, 1]));
      if (n < items.shape[0]) ids = tf.concat([ids, tf.zeros([items.shape[0] - n, this.config.hidden])]);
      return items.add(ids) as tf.Tensor2D;
    });
  }

  /** [N+1, D] fused item vectors: the frozen table when serving, else fused now. */
  itemMatrix(): tf.Tensor2D {
    return this.frozen ? this.frozen.clone() : tf.tidy(() => this.fuse(false).items);
  }

  /**
   * [R, D] the head's fused vectors of the items `ids`, no modality dropout and no ID residual
   * (item-level alignment fits the content part to the ID model's table; train/molar-item-align.ts).
   */
  fusedRows(ids: tf.Tensor1D): tf.Tensor2D {
    this.alive();
    return tf.tidy(() => {
      const rows = Object.fromEntries(Object.entries(this.inputs).map(([k, v]) => [k, tf.gather(v as tf.Tensor2D, ids)])) as FusionInputs;
      return this.head.apply(rows, (n) => this.params.get(n)).items;
    });
  }

  /**
   * The table inside this model's own tidy scopes: the frozen one itself (tidy leaves a tensor made
   * outside it alone), never a clone, since a clone on wasm copies the whole [N+1, D] table (its
   * Identity kernel copies): 25 MiB per call at 100k items.
   */
  private table(): tf.Tensor2D {
    return this.frozen ?? this.fuse(false).items;
  }

  /**
   * Serving: fuse the item table once (weights no longer change), FREEZE_ROWS rows at a time. The
   * head works row by row, so blocks give the same table; at once, its intermediates for every row
   * ([rows, fusionInner] per modality, …) took tfjs-wasm's memory to 1.2 GB at 100k items, and wasm
   * memory once grown is never given back.
   */
  freeze(): void {
    this.alive();
    const blocks: tf.Tensor2D[] = [];
    try {
      for (let r = 0; r < this.rows; r += FREEZE_ROWS) {
        const n = Math.min(FREEZE_ROWS, this.rows - r);
        blocks.push(tf.tidy(() => this.withIds(this.head.apply(sliceInputs(this.inputs, r, n), (name) => this.params.get(name)).items, r))); // the head's other outputs are freed here
      }
      this.setFrozen(tf.tidy(() => (blocks.length === 1 ? blocks[0] : tf.concat(blocks)).mul(tf.concat([tf.zeros([1, 1]), tf.ones([this.rows - 1, 1])])) as tf.Tensor2D));
    } finally {
      tf.dispose(blocks);
    }
  }

  /**
   * idResidual: the ID vectors of items `ids` set to `rows` [R, D], other rows kept (item-level
   * alignment's warm start: the part of the ID model's geometry the head could not reach;
   * train/molar-item-align.ts).
   */
  setIdVectors(ids: Int32Array, rows: tf.Tensor2D): void {
    this.alive();
    if (!this.idRows) throw new MolarError('BAD_CONFIG', 'this content model has no ID residual (idResidual)', { field: 'idResidual' });
    const D = this.config.hidden;
    if (rows.shape[0] !== ids.length || rows.shape[1] !== D) throw new MolarError('BAD_INPUT', `ID vectors must be [${ids.length}, ${D}], got [${rows.shape}]`, { field: 'rows' });
    const v = this.params.get(ID_TABLE);
    const table = (v.dataSync() as Float32Array).slice();
    const r = rows.dataSync() as Float32Array;
    ids.forEach((id, k) => table.set(r.subarray(k * D, (k + 1) * D), id * D));
    const t = tf.tensor2d(table, [this.idRows, D]);
    v.assign(t);
    t.dispose();
    this.setFrozen(undefined);
  }

  /** Replaces the frozen table (and its scoring layout), or drops both. */
  private setFrozen(table: tf.Tensor2D | undefined): void {
    tf.dispose([...(this.frozen ? [this.frozen] : []), ...(this.scoringTable ? [this.scoringTable] : [])]);
    this.frozen = table;
    this.scoringTable = table ? tf.tidy(() => tf.transpose(table.mul(this.outputScale)) as tf.Tensor2D) : undefined;
  }

  /**
   * Items added after training, as features: rows appended after the current last id, or, with
   * `first`, in place of rows first.. (an added item given new content keeps its id; the catalog's
   * own rows, which training fitted, are not replaceable). Their fused vectors join the table, so
   * fullSortPredict ranks them like any other item.
   */
  addItems(features: ItemFeatures, first?: number): void {
    this.alive();
    if (features.textDim !== this.config.textDim || features.imageDim !== this.config.imageDim) throw new MolarError('BAD_INPUT', `added items have text ${features.textDim} / image ${features.imageDim} dims, the model reads ${this.config.textDim} / ${this.config.imageDim}`, { field: 'features' });
    if (first !== undefined && (!Number.isInteger(first) || first <= this.config.numItems || first + features.rows > this.rows)) {
      throw new MolarError('BAD_INPUT', `rows ${first}..${first + features.rows - 1} are not items added after training (${this.config.numItems + 1}..${this.rows - 1})`, { field: 'first' });
    }
    const extra = fusionInputs({ ...features, numAttributes: this.config.numAttributes });
    try {
      const old = this.inputs;
      this.inputs = Object.fromEntries(Object.entries(old).map(([k, v]) => [k, putRows(v as tf.Tensor2D, extra[k as keyof FusionInputs]!, first)])) as FusionInputs;
      tf.dispose(Object.values(old));
      if (first === undefined) this.rows += features.rows;
      if (this.frozen) {
        const added = tf.tidy(() => this.head.apply(extra, (n) => this.params.get(n)).items);
        const next = putRows(this.frozen, added, first);
        added.dispose();
        this.setFrozen(next);
      }
    } finally {
      tf.dispose(Object.values(extra));
    }
  }

  forward(seq: tf.Tensor2D, training = false): tf.Tensor3D {
    return tf.tidy(() => this.encode(seq, training, training ? this.fuse(true).items : this.table()));
  }

  /** `lastOnly`: [B, 1, D], the newest position alone (what scoring reads; nn/transformer.ts). */
  private encode(seq: tf.Tensor2D, training: boolean, items: tf.Tensor2D, lastOnly = false): tf.Tensor3D {
    this.alive();
    const L = seq.shape[1];
    if (L > this.config.maxLen) throw new MolarError('BAD_INPUT', `sequence length ${L} exceeds maxLen ${this.config.maxLen}`, { field: 'seq' });
    const drop = <T extends tf.Tensor>(x: T): T => this.dropout.apply(x, training);
    const valid = tf.cast(tf.notEqual(seq, 0), 'float32') as tf.Tensor2D;
    const pos = positionRows(this.params.get('content.position_embedding') as tf.Tensor2D, valid, this.config.positions);
    const x = tf.gather(items, tf.cast(seq, 'int32')).add(pos) as tf.Tensor3D;
    return this.stack.apply(drop(x).mul(valid.expandDims(2)), valid, (n) => this.params.get(n), drop, { lastOnly });
  }

  userVector(seq: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.encode(seq, false, this.table(), true).squeeze([1]) as tf.Tensor2D);
  }

  fullSortPredict(seq: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const items = this.table();
      const u = this.encode(seq, false, items, true).squeeze([1]) as tf.Tensor2D;
      return this.scoringTable ? tf.matMul(u, this.scoringTable) : mm(u, items.mul(this.outputScale) as tf.Tensor2D, false, true);
    });
  }

  predict(seq: tf.Tensor2D, candidates: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => tf.gather(this.fullSortPredict(seq), tf.cast(candidates, 'int32'), 1, 1) as tf.Tensor2D);
  }

  calculateLoss({ seq, targets, historyMask, teacher, itemSample }: ContentBatch): LossParts {
    this.alive();
    if (!this.objective) throw new MolarError('BAD_CONFIG', 'no training objective attached; training runs in Node (train/), call setObjective first', { field: 'loss' });
    const t = targets.dataSync();
    const [B, L] = seq.shape;
    const rowsArr: number[] = [];
    const usersArr: number[] = [];
    for (let i = 0; i < t.length; i++) if (t[i] !== 0) (rowsArr.push(i), usersArr.push(Math.floor(i / L)));
    if (rowsArr.length === 0) throw new MolarError('BAD_INPUT', 'batch has no targets (all zero)', { field: 'targets' });
    const D = this.config.hidden;
    return tf.tidy(() => {
      const fused = this.fuse(true);
      const table = this.ubToHead ? fused.items : stopGradient(fused.items);
      const out = this.encode(seq, true, table);
      const flat = out.reshape([-1, D]);
      const rows = tf.tensor1d(rowsArr, 'int32');
      const user = tf.gather(flat, rows) as tf.Tensor2D;
      const last = out.slice([0, L - 1, 0], [B, 1, D]).squeeze([1]) as tf.Tensor2D;
      const tg = tf.gather(tf.cast(targets, 'int32').reshape([-1]), rows) as tf.Tensor1D;
      let sample: ContentObjectiveInput['sample'];
      if (itemSample) {
        const at = <T extends tf.Tensor | undefined>(x: T) => (x ? (tf.gather(x, itemSample) as T) : undefined);
        const both = this.inputs.hasText && this.inputs.hasImage ? (at(this.inputs.hasText.mul(this.inputs.hasImage) as tf.Tensor2D)!.reshape([-1]) as tf.Tensor1D) : undefined;
        sample = { text: at(fused.text), image: at(fused.image), bothPresent: both, attributeLogits: at(fused.attributeLogits), attributes: at(this.inputs.attributes) };
      }
      return this.objective!({ user, targets: tg, rowUsers: tf.tensor1d(usersArr, 'int32'), items: table.mul(this.outputScale) as tf.Tensor2D, historyMask, last, teacher, sample });
    });
  }

  async getWeights(): Promise<WeightBlob> {
    this.alive();
    return this.params.getWeights();
  }

  setWeights(specs: WeightSpec[], data: Float32Array | ArrayBuffer): void {
    this.alive();
    this.params.setWeights(specs, data);
    this.setFrozen(undefined);
  }

  /** Rebuilds a model from its saved architecture, weights and item features; strict about weights. */
  static fromSaved(saved: { config: Record<string, unknown>; weights: WeightSpec[] }, data: Float32Array | ArrayBuffer, features: ItemFeatures, file?: string): ContentModel {
    // entries written before fusionInner existed had a linear head
    const given = saved.config as unknown as Partial<ContentConfig> & Pick<ContentConfig, 'numItems' | 'textDim' | 'imageDim' | 'numAttributes'>;
    const cfg = resolveContentConfig({ ...given, fusionInner: given.fusionInner ?? 0, idResidual: given.idResidual ?? false, positions: given.positions ?? 'from-newest' });
    return new ContentModel(cfg, features, unpackWeights(ContentModel.parts(cfg).specs, saved.weights, data, file));
  }

  /** The head, the block stack and every weight spec of a config: head, positions, blocks (, ID table). */
  private static parts(c: ContentConfig): { head: FusionHead; stack: CausalTransformer; specs: WeightSpec[] } {
    const head = new FusionHead({ textDim: c.textDim, imageDim: c.imageDim, numAttributes: c.numAttributes, hidden: c.hidden, inner: c.fusionInner });
    const stack = new CausalTransformer(c, 'content.');
    const ids: WeightSpec[] = c.idResidual ? [{ name: ID_TABLE, shape: [c.numItems + 1, c.hidden], dtype: 'float32' }] : [];
    // the ID table last: the seeded draws of every other weight are those of the same config without it
    return { head, stack, specs: [...head.specs, { name: 'content.position_embedding', shape: [c.maxLen, c.hidden], dtype: 'float32' }, ...stack.specs, ...ids] };
  }

  dispose(): void {
    if (this.params.isDisposed) return;
    this.params.dispose();
    this.known?.dispose();
    tf.dispose(Object.values(this.inputs));
    this.setFrozen(undefined);
  }

  private alive(): void {
    if (this.params.isDisposed) throw new MolarError('DISPOSED', 'ContentModel used after dispose()');
  }
}
