/**
 * Catalog-scale SASRec training: the item table trains by the rows a batch reads, never as a whole.
 *
 * Why: with tfjs, the gradient of tf.gather over a variable is a dense [numItems+1, D] tensor, and
 * Adam's update of a dense variable makes several more of that size. At 1M items × 64 that is
 * ~13 × 256 MB per step on tfjs-wasm's 4 GB heap, which is where `molar train` died (issue 24).
 * Here the table, and its Adam moments, live in JS memory (off the wasm heap); each step gathers
 * the rows of its inputs, targets and negatives into a small [U, D] tensor, the loss reads only
 * those (SasrecBatch.itemRows), its gradient is [U, D], and Adam updates those rows in JS.
 *
 * The update is lazy Adam (TF's LazyAdam, PyTorch's SparseAdam): a row's moments decay only on
 * steps that touch it. On the first step it equals dense Adam (rows not touched have zero moments,
 * so dense Adam moves them by 0 too; sparse-items.test.ts checks this); later it differs from
 * dense Adam, which keeps moving untouched rows on their momentum.
 */
import * as tf from '@tensorflow/tfjs';
import type { SasrecModel } from '../models/sasrec/model.js';
import { batchTensors, countTargets, disposeBatch, type SasrecShard } from './sasrec-task.js';
import { checkFinite, readParts, totalKeepingParts, type StepLoss, type Trainable } from './trainable.js';
import type { LossParts } from '../models/types.js';

/** Adam's constants, as GroupedAdam's main group (optimizer.ts) and tfjs' float32 epsilon. */
const BETA1 = 0.9;
const BETA2 = 0.98;
const EPSILON = 1e-7;

/** The item table and its Adam moments in JS memory, updated row by row. */
export class SparseItemTable {
  /** [rows × dim] row-major, the master copy while training */
  readonly weights: Float32Array;
  private readonly m: Float32Array;
  private readonly v: Float32Array;
  /** item id → its index in the current batch's rows, -1 when absent (reset after each use) */
  private readonly local: Int32Array;
  private step = 0;

  constructor(
    init: Float32Array,
    readonly rows: number,
    readonly dim: number,
  ) {
    this.weights = Float32Array.from(init);
    this.m = new Float32Array(rows * dim);
    this.v = new Float32Array(rows * dim);
    this.local = new Int32Array(rows).fill(-1);
  }

  /**
   * The distinct ids of `arrays` (row 0, padding, always first, so padding stays index 0) and
   * each array rewritten as indices into them.
   */
  batchIds(arrays: Int32Array[]): { ids: Int32Array; remapped: Int32Array[] } {
    const ids: number[] = [0];
    this.local[0] = 0;
    for (const a of arrays) for (const id of a) if (this.local[id] < 0) this.local[id] = ids.push(id) - 1;
    const remapped = arrays.map((a) => a.map((id) => this.local[id]));
    for (const id of ids) this.local[id] = -1;
    return { ids: Int32Array.from(ids), remapped };
  }

  /** The rows of `ids`, as a new [U, dim] tensor. */
  gather(ids: Int32Array): tf.Tensor2D {
    const out = new Float32Array(ids.length * this.dim);
    ids.forEach((id, r) => out.set(this.weights.subarray(id * this.dim, (id + 1) * this.dim), r * this.dim));
    return tf.tensor2d(out, [ids.length, this.dim]);
  }

  /** One lazy Adam step at rate `lr` on the rows `ids`, from their gradient `grad` [U × dim]. */
  applyAdam(ids: Int32Array, grad: Float32Array, lr: number): void {
    this.step++;
    const c1 = 1 - BETA1 ** this.step;
    const c2 = 1 - BETA2 ** this.step;
    const D = this.dim;
    for (let r = 0; r < ids.length; r++) {
      const base = ids[r] * D;
      for (let d = 0; d < D; d++) {
        const g = grad[r * D + d];
        const i = base + d;
        const m = (this.m[i] = BETA1 * this.m[i] + (1 - BETA1) * g);
        const v = (this.v[i] = BETA2 * this.v[i] + (1 - BETA2) * g * g);
        this.weights[i] -= (lr * (m / c1)) / (Math.sqrt(v / c2) + EPSILON);
      }
    }
  }
}

/**
 * The loop's view of a SasrecModel whose item embedding trains by rows (one thread: the table is
 * in this thread's memory). `trainable` is every weight but the item embedding; `step` does the
 * whole update; `sync` copies the table into the model's item_embedding variable, which validation
 * and the checkpoint read. Disposing it disposes the model.
 */
export function sparseSasrecTrainable(model: SasrecModel): Trainable<SasrecShard> & { table: SparseItemTable } {
  const emb = model.itemEmbedding;
  const [rows, dim] = emb.shape;
  const table = new SparseItemTable(emb.dataSync() as Float32Array, rows, dim);
  const dense = model.trainable.filter((v) => v !== emb);
  let synced = true;
  const sync = () => {
    if (synced) return;
    tf.tidy(() => emb.assign(tf.tensor2d(table.weights, [rows, dim])));
    synced = true;
  };
  return {
    table,
    specs: model.specs,
    trainable: dense,
    loss: ({ batch, negatives }) => model.calculateLoss(batchTensors(model.config, batch, negatives)),
    targetCount: ({ batch }) => countTargets(batch),
    seedDropout: (seed) => model.seedDropout(seed),
    async step({ batch, negatives }, optimizer, gradScale = 1): Promise<StepLoss> {
      // masks and seen indicators read item ids; the model reads row indices
      const { ids, remapped } = table.batchIds(negatives ? [batch.seq, batch.targets, negatives] : [batch.seq, batch.targets]);
      const local = { ...batch, seq: remapped[0], targets: remapped[1] };
      const tensors = batchTensors(model.config, batch, negatives);
      const byRow = batchTensors({ ...model.config, excludeHistory: false, repeatBias: false }, local, remapped[2]);
      const gathered = table.gather(ids);
      const itemRows = tf.variable(gathered, true); // shares the data; the tensor itself must still go
      gathered.dispose();
      let kept: LossParts | undefined;
      try {
        const { value, grads } = tf.variableGrads(() => {
          const l = totalKeepingParts(model.calculateLoss({ ...tensors, seq: byRow.seq, targets: byRow.targets, negatives: byRow.negatives, itemRows }), (p) => (kept = p));
          return gradScale === 1 ? l : l.mul(gradScale);
        }, [...dense, itemRows]);
        const rowGrad = grads[itemRows.name].dataSync() as Float32Array;
        const lr = (optimizer as unknown as { learningRate: number }).learningRate;
        optimizer.applyGradients(Object.fromEntries(dense.map((v) => [v.name, grads[v.name]])));
        table.applyAdam(ids, rowGrad, lr);
        synced = false;
        const loss = (await value.data())[0] / gradScale;
        tf.dispose([value, ...Object.values(grads)]);
        const parts = await readParts(kept);
        checkFinite(loss);
        return parts ? { loss, parts } : { loss };
      } finally {
        itemRows.dispose();
        disposeBatch(tensors);
        tf.dispose([byRow.seq, byRow.targets, byRow.negatives].filter((t): t is tf.Tensor => t !== undefined));
      }
    },
    sync,
    getWeights: async () => {
      sync();
      return model.getWeights();
    },
    setWeights: (specs, data) => {
      model.setWeights(specs, data);
      table.weights.set(emb.dataSync() as Float32Array);
      synced = true;
    },
    dispose: () => model.dispose(),
  };
}
