import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../../errors.js';
import type { LossBatch, SequentialModel } from '../types.js';
import { SeededDropout } from '../nn/dropout.js';
import { mm } from '../nn/ops.js';
import { positionRows } from '../nn/positions.js';
import { CausalTransformer } from '../nn/transformer.js';
import { initialWeights, Params, unpackWeights, type WeightBlob, type WeightSpec } from '../nn/weights.js';
import { DEFAULT_NEGATIVES, resolveSasrecConfig, SASREC_DEFAULTS, type SasrecConfig } from './config.js';

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
  repeat?: { bias: tf.Tensor } & RepeatSeen;
}
/** Which scored items each target-bearing position had already read (train/batches.ts seenAtPositions). */
export interface RepeatSeen {
  pos: tf.Tensor1D;
  cols: tf.Tensor2D;
}
/** SASRec's training batch: with config.repeatBias it also carries the seen indicators. */
export interface SasrecBatch extends LossBatch {
  seen?: RepeatSeen;
  /**
   * Catalog-scale training (train/sparse-items.ts): the rows of the item table this batch reads,
   * [U, D], with `seq`, `targets` and `negatives` given as indices into it (row 0 = padding). The
   * loss then reads and differentiates only these rows, never the [numItems+1, D] table, whose
   * gradient would be dense. Full-softmax ce cannot train this way (it scores every item).
   */
  itemRows?: tf.Tensor2D;
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
 * - Two block wirings (config.block, nn/transformer.ts): 'sasrec', the paper's own, and 'pre-ln',
 *   what bundles written before the field existed hold. The block stack itself is nn's
 *   CausalTransformer; this class adds the embeddings, the tied output layer and the repeat bias.
 * - Embeddings are scaled by sqrt(D) as in the reference code.
 */
export class SasrecModel implements SequentialModel<SasrecBatch> {
  readonly kind = 'sasrec';
  readonly config: SasrecConfig;
  readonly specs: WeightSpec[];
  private readonly params: Params;
  private readonly stack: CausalTransformer;
  private readonly dropout: SeededDropout;
  private objective?: SasrecObjective;

  /**
   * `itemTable: false` (serving, {@link SasrecModel.forServing}): no item_embedding variable; the
   * caller keeps the table (fp32 or int8, score/item-table.ts) and hands in the rows of each
   * history ({@link userVectorOf}). `specs` still lists every weight of the checkpoint.
   */
  constructor(config: Partial<SasrecConfig> & { numItems: number }, init?: Map<string, Float32Array>, { itemTable = true }: { itemTable?: boolean } = {}) {
    this.config = resolveSasrecConfig(config);
    this.stack = new CausalTransformer(this.config);
    this.specs = sasrecWeightSpecs(this.config, this.stack);
    const held = itemTable ? this.specs : this.specs.filter((s) => s.name !== 'item_embedding');
    this.params = new Params(held, init ?? initialWeights(this.specs, this.config.seed, this.config.init, new Set(['item_embedding'])), 'sasrec');
    this.dropout = new SeededDropout(this.config.dropout);
  }

  get numItems(): number {
    return this.config.numItems;
  }
  get maxLen(): number {
    return this.config.maxLen;
  }
  /** trainable variables, in spec order */
  get trainable(): tf.Variable[] {
    return this.params.trainable;
  }
  get itemEmbedding(): tf.Variable<tf.Rank.R2> {
    return this.params.get('item_embedding') as tf.Variable<tf.Rank.R2>;
  }

  setObjective(objective: SasrecObjective): void {
    this.objective = objective;
  }
  /** Makes dropout masks a function of (seed, call number), so a seeded run repeats exactly. */
  seedDropout(seed: number): void {
    this.dropout.seed(seed);
  }

  /**
   * seq [B, L] → states [B, L, D]; `lastOnly`: [B, 1, D], the newest position alone (serving).
   * `embedded`: the item rows of `seq` [B, L, D], for a model built without its item table.
   * `items`: the table `seq` indexes (default the whole item embedding; a batch's gathered rows in
   * catalog-scale training).
   */
  forward(seq: tf.Tensor2D, training = false, { lastOnly = false, embedded, items }: { lastOnly?: boolean; embedded?: tf.Tensor3D; items?: tf.Tensor2D } = {}): tf.Tensor3D {
    this.alive();
    const L = seq.shape[1];
    if (L > this.config.maxLen) throw new MolarError('BAD_INPUT', `sequence length ${L} exceeds maxLen ${this.config.maxLen}`, { field: 'seq' });
    const D = this.config.hidden;
    const drop = <T extends tf.Tensor>(x: T): T => this.dropout.apply(x, training);
    return tf.tidy(() => {
      const valid = tf.cast(tf.notEqual(seq, 0), 'float32') as tf.Tensor2D; // [B, L]
      const pos = positionRows(this.params.get('position_embedding') as tf.Tensor2D, valid, this.config.positions);
      const rows = embedded ?? tf.gather(items ?? this.itemEmbedding, tf.cast(seq, 'int32'));
      const x = rows.mul(Math.sqrt(D)).add(pos) as tf.Tensor3D;
      return this.stack.apply(drop(x).mul(valid.expandDims(2)), valid, (name) => this.params.get(name), drop, { lastOnly });
    });
  }

  /** Last-position user vector [B, D]: what predict and fullSortPredict score against. */
  userVector(seq: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => this.forward(seq, false, { lastOnly: true }).squeeze([1]) as tf.Tensor2D);
  }

  /** userVector of a model built without its item table: `embedded` [B, L, D] holds the rows of `seq`. */
  userVectorOf(seq: tf.Tensor2D, embedded: tf.Tensor3D): tf.Tensor2D {
    return tf.tidy(() => this.forward(seq, false, { lastOnly: true, embedded }).squeeze([1]) as tf.Tensor2D);
  }

  /** config.repeatBias: the learned scalar added to the score of every item the history holds; else 0. */
  repeatBiasValue(): number {
    return this.config.repeatBias ? this.params.get('repeat_bias').dataSync()[0] : 0;
  }

  calculateLoss({ seq, targets, negatives, historyMask, seen, itemRows }: SasrecBatch): tf.Scalar {
    this.alive();
    if (!this.objective) throw new MolarError('BAD_CONFIG', 'no training objective attached; training runs in Node (train/), call setObjective first', { field: 'loss' });
    if (this.config.repeatBias && !seen) throw new MolarError('BAD_INPUT', 'a repeat-bias model trains on batches that carry `seen` (train/batches.ts seenAtPositions)', { field: 'seen' });
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
    if (itemRows && this.config.loss === 'ce') throw new MolarError('BAD_CONFIG', 'full-softmax ce scores every item, so it cannot train on gathered item rows; use sampled-ce or gbce', { field: 'loss' });
    const table = itemRows ?? this.itemEmbedding;
    const D = this.config.hidden;
    return tf.tidy(() => {
      const rows = tf.tensor1d(rowsArr, 'int32');
      const rowUsers = tf.tensor1d(usersArr, 'int32');
      const out = this.forward(seq, true, { items: table }).reshape([-1, D]);
      const user = tf.gather(out, rows) as tf.Tensor2D;
      const tg = tf.gather(tf.cast(targets, 'int32').reshape([-1]), rows) as tf.Tensor1D;
      const repeat = this.config.repeatBias ? { bias: this.params.get('repeat_bias'), ...seen! } : undefined;
      return this.objective!({ user, targets: tg, itemEmb: table, rows, rowUsers, negatives, historyMask, repeat });
    });
  }

  predict(seq: tf.Tensor2D, candidates: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const u = this.userVector(seq); // [B, D]
      const ids = tf.cast(candidates, 'int32');
      const c = tf.gather(this.itemEmbedding, ids); // [B, K, D]
      const s = tf.sum(c.mul(u.expandDims(1)), 2) as tf.Tensor2D;
      return this.config.repeatBias ? s.add(tf.gather(this.seen(seq), ids, 1, 1).mul(this.params.get('repeat_bias'))) : s;
    });
  }

  fullSortPredict(seq: tf.Tensor2D): tf.Tensor2D {
    return tf.tidy(() => {
      const s = mm(this.userVector(seq), this.itemEmbedding, false, true);
      return this.config.repeatBias ? s.add(this.seen(seq).mul(this.params.get('repeat_bias'))) : s;
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
    return this.params.getWeights();
  }

  /** Overwrites weights from bundle form; strict about names and shapes. */
  setWeights(specs: WeightSpec[], data: Float32Array | ArrayBuffer): void {
    this.alive();
    this.params.setWeights(specs, data);
  }

  /**
   * Rebuilds a model from a saved entry (the bundle's sasrec entry, or anything of that shape) and
   * its weight blob; refuses missing/extra/mis-shaped weights. The manifest entry itself is built
   * in train/build-step.ts: models never import the bundle format.
   */
  static fromEntry(entry: { config: Record<string, unknown>; weights: WeightSpec[] }, data: Float32Array | ArrayBuffer, file?: string): SasrecModel {
    const { cfg, values } = SasrecModel.unpackEntry(entry, data, file);
    return new SasrecModel(cfg, values);
  }

  private static unpackEntry(entry: { config: Record<string, unknown>; weights: WeightSpec[] }, data: Float32Array | ArrayBuffer, file?: string) {
    const given = entry.config as Partial<SasrecConfig> & { numItems: number };
    // loading needs only the architecture; a training knob out of range for this catalog is no reason to refuse it
    // entries written before `block` / `positions` existed were all pre-LN / from-newest, whatever the defaults are now
    // a repeat bias implies history-kept training, which the entry does not carry
    const cfg = { ...given, block: given.block ?? 'pre-ln', positions: given.positions ?? 'from-newest', ...(given.repeatBias ? { excludeHistory: false } : {}), numNegatives: Math.min(given.numNegatives ?? DEFAULT_NEGATIVES[given.loss ?? SASREC_DEFAULTS.loss] ?? 1, given.numItems) };
    const resolved = resolveSasrecConfig(cfg);
    return { cfg, values: unpackWeights(sasrecWeightSpecs(resolved, new CausalTransformer(resolved)), entry.weights, data, file) };
  }

  /**
   * Serving: the model without its item table, and the table's rows [N+1, D] as a view into `data`
   * (no copy): the scorer lays them out for its product (score/item-table.ts) and the fp32
   * checkpoint need not be held twice.
   */
  static forServing(entry: { config: Record<string, unknown>; weights: WeightSpec[] }, data: Float32Array | ArrayBuffer, file?: string): { model: SasrecModel; itemRows: Float32Array } {
    const { cfg, values } = SasrecModel.unpackEntry(entry, data, file);
    const itemRows = values.get('item_embedding')!;
    values.delete('item_embedding');
    return { model: new SasrecModel(cfg, values, { itemTable: false }), itemRows };
  }

  dispose(): void {
    this.params.dispose();
  }

  private alive(): void {
    if (this.params.isDisposed) throw new MolarError('DISPOSED', 'SasrecModel used after dispose()');
  }
}

/**
 * The checkpoint contract, in bundle order. Names follow RecBole's state-dict spirit (item_embedding,
 * position_embedding, blocks.N.*) so the PyTorch reference exports by name. Linear weights are stored
 * [in, out] (x · W), i.e. the transpose of torch's nn.Linear.weight.
 */
function sasrecWeightSpecs(cfg: SasrecConfig, stack: CausalTransformer): WeightSpec[] {
  const D = cfg.hidden;
  return [
    { name: 'item_embedding', shape: [cfg.numItems + 1, D], dtype: 'float32' },
    { name: 'position_embedding', shape: [cfg.maxLen, D], dtype: 'float32' },
    ...stack.specs,
    ...(cfg.repeatBias ? [{ name: 'repeat_bias', shape: [1], dtype: 'float32' as const }] : []),
  ];
}
