/**
 * Item-level alignment, a warm start of Molar's item model (train/molar.ts runs it before the content
 * user model trains, when an ID model is given and `itemAlignSteps` > 0): the fusion head is fitted so
 * each item's fused vector — a function of its text, image and attributes only — lands where the ID
 * model put that item. The content model then starts from item vectors that already carry the
 * collaborative geometry, instead of learning it through the user model one softmax at a time (on
 * ML-1M the head alone, trained on UB, is still far from SASRec after 25 minutes).
 *
 * Why per-row standardised targets: the fused vector leaves a layer norm (per item: zero mean, unit
 * variance over D, then a shared gain and bias), so it cannot follow the ID rows' individual norms;
 * what it can follow, and what ranking by dot product mostly reads, is each row's direction.
 * Items the ID model has no real embedding for (`exclude`: a cold-start experiment's held-out items)
 * are never targets, so the head only learns the mapping from content to the ID space on warm items
 * and applies it to cold ones.
 */
import * as tf from '@tensorflow/tfjs';
import { FREEZE_ROWS, type ContentModel } from '../models/content/model.js';
import { mulberry32 } from '../random.js';

export interface ItemAlignOptions {
  /** Adam steps over item mini-batches */
  steps: number;
  /** items per step */
  batch?: number;
  learningRate?: number;
  seed?: number;
  /** item ids that are never targets (held out of all training) */
  exclude?: Int32Array;
  /**
   * a model with an ID residual (ContentConfig.idResidual): these items' ID vectors are then set to
   * what the fitted head leaves (target − fused), so their item vectors start at the ID model's
   * standardised rows exactly; the others keep content alone
   */
  residualRows?: Int32Array;
}


/** The standardised rows of an [N+1, D] ID item table (row 0, padding, stays as given). */
export function standardiseRows(table: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(table, 1, true);
    return table.sub(mean).mul(tf.rsqrt(variance.add(1e-5))) as tf.Tensor2D;
  });
}

/**
 * Fits the content model's fusion head (its `fusion.*` weights only; the user model is untouched) to
 * the standardised rows of `idTable` [N+1, D] by mean squared error, in place. Returns the loss of the
 * first and the last step (the caller reports both), and the mean cosine between fused and ID rows.
 */
export function alignItemsToIdTable(model: ContentModel, idTable: tf.Tensor2D, opts: ItemAlignOptions): { first: number; last: number; cosine: number } {
  const n = model.numItems;
  const excluded = new Set(opts.exclude ?? []);
  const warm = Int32Array.from({ length: n }, (_, i) => i + 1).filter((i) => !excluded.has(i));
  const batch = Math.min(opts.batch ?? 256, warm.length);
  const prefix = model.head.prefix;
  const vars = model.trainable.filter((_, i) => model.specs[i].name.startsWith(prefix));
  const target = standardiseRows(idTable);
  const optimizer = tf.train.adam(opts.learningRate ?? 3e-3);
  const rnd = mulberry32((opts.seed ?? 42) ^ 0x1a11);
  let first = NaN;
  let last = NaN;
  try {
    for (let step = 0; step < opts.steps; step++) {
      const ids = tf.tensor1d(Array.from({ length: batch }, () => warm[Math.floor(rnd() * warm.length)]), 'int32');
      const cost = optimizer.minimize(() => tf.losses.meanSquaredError(tf.gather(target, ids), model.fusedRows(ids)) as tf.Scalar, true, vars);
      ids.dispose();
      if (cost) {
        const v = cost.dataSync()[0];
        cost.dispose();
        if (step === 0) first = v;
        last = v;
      }
    }
    if (opts.residualRows?.length) {
      const rows = opts.residualRows;
      const gaps: tf.Tensor2D[] = [];
      for (let r = 0; r < rows.length; r += FREEZE_ROWS) {
        const part = rows.subarray(r, r + FREEZE_ROWS);
        gaps.push(tf.tidy(() => {
          const ids = tf.tensor1d(part, 'int32');
          return tf.gather(target, ids).sub(model.fusedRows(ids)) as tf.Tensor2D;
        }));
      }
      const gap = gaps.length === 1 ? gaps[0] : (tf.concat(gaps) as tf.Tensor2D);
      model.setIdVectors(rows, gap);
      tf.dispose([...gaps, gap]);
    }
    // the head's own fit (the residual, when set, makes up the rest)
    const cosine = tf.tidy(() => {
      const ids = tf.tensor1d(warm, 'int32');
      const unit = (x: tf.Tensor2D) => x.div(tf.norm(x, 'euclidean', 1, true).add(1e-8));
      return tf.sum(unit(model.fusedRows(ids)).mul(unit(tf.gather(target, ids) as tf.Tensor2D)), 1).mean().dataSync()[0];
    });
    return { first, last, cosine };
  } finally {
    optimizer.dispose();
    target.dispose();
  }
}
