import * as tf from '@tensorflow/tfjs';
import type { ContentObjective } from '../models/content/model.js';
import type { LossParts } from '../models/types.js';
import { MASKED } from './batches.js';
import { sasrecObjective } from './losses.js';

/**
 * Symmetric InfoNCE over in-batch pairs (CLIP's loss; Molar's post-alignment): row i of `a` and row
 * i of `b` are a positive pair, every other row of the other side a negative; similarity is cosine
 * / τ. The loss is the mean of the a→b and b→a cross-entropies. `mask` [B] (1 = the row takes part)
 * drops rows from both roles: an anchor that is not there, and a negative that is not there.
 */
export function infoNce(a: tf.Tensor2D, b: tf.Tensor2D, tau: number, mask?: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    // x / sqrt(|x|² + ε), not x / (|x| + ε): tf.norm's gradient is 0/0 at a zero row (a masked item's
    // missing image projects to exactly 0), and one NaN poisons the whole step even when masked
    const unit = (x: tf.Tensor2D) => x.mul(tf.rsqrt(tf.sum(x.square(), 1, true).add(1e-12))) as tf.Tensor2D;
    const logits = tf.matMul(unit(a), unit(b), false, true).div(tau) as tf.Tensor2D; // [B, B]
    const B = a.shape[0];
    const m = mask ?? tf.ones([B]);
    const off = tf.scalar(1).sub(m).mul(MASKED).expandDims(0); // [1, B]: absent rows are no negative
    const diag = tf.sum(logits.mul(tf.eye(B)), 1);
    const side = (l: tf.Tensor2D) => tf.logSumExp(l.add(off), 1).sub(diag); // [B]
    const perRow = side(logits).add(side(logits.transpose() as tf.Tensor2D)).div(2);
    return perRow.mul(m).sum().div(tf.maximum(m.sum(), 1)) as tf.Scalar;
  });
}

/** What the content model trains on: the weights of each task and their temperatures. */
export interface MolarObjectiveConfig {
  numItems: number;
  /** post-alignment weight α (0: off) and temperature τ */
  alignWeight: number;
  alignTau: number;
  /** IT: image ↔ text contrastive weight (0: off) and temperature */
  itWeight: number;
  itTau: number;
  /** SA: attributes predicted from text + image (multi-label BCE) weight (0: off) */
  saWeight: number;
  /** false: UB (and align) do not train the fusion head (MolarTrainConfig.ubToHead); default true */
  ubToHead?: boolean;
  /** idResidual: the item ids that get an ID vector (those in the training data, less any held out); absent: all */
  knownItems?: Int32Array;
}

/**
 * The content model's loss in named parts (the loop reports each, and minimises their sum):
 * - `ub` (user behaviour, the paper's UB task): next item over the fused vectors of every item,
 *   full softmax, the row's own history out of the negatives as for SASRec;
 * - `align`: α · InfoNCE(content user vector, frozen ID model's user vector) per row;
 * - `it`: InfoNCE between the projected text and image of the step's sampled items (both present);
 * - `sa`: multi-label BCE of the sampled items' attributes from their text + image.
 * SA is prediction, not contrast: attribute sets overlap (thousands of items share "Drama"), so a
 * contrastive loss would push apart items that agree; a per-attribute logit has no such negatives.
 */
export function molarObjective(cfg: MolarObjectiveConfig): ContentObjective {
  const ub = sasrecObjective({ loss: 'ce', numItems: cfg.numItems, gbceT: 0 });
  return ({ user, targets, rowUsers, items, historyMask, last, teacher, sample }) => {
    // full CE reads no per-position negatives, so `rows` (bce's) is not used
    const parts: LossParts = { ub: ub({ user, targets, itemEmb: items, rows: rowUsers, rowUsers, historyMask }) };
    if (cfg.alignWeight > 0 && teacher) parts.align = infoNce(last, teacher, cfg.alignTau).mul(cfg.alignWeight) as tf.Scalar;
    if (cfg.itWeight > 0 && sample?.text && sample.image && sample.bothPresent && sample.bothPresent.sum().dataSync()[0] >= 2) {
      parts.it = infoNce(sample.text, sample.image, cfg.itTau, sample.bothPresent).mul(cfg.itWeight) as tf.Scalar;
    }
    if (cfg.saWeight > 0 && sample?.attributeLogits && sample.attributes) {
      const labels = tf.cast(tf.greater(sample.attributes, 0), 'float32');
      parts.sa = tf.losses.sigmoidCrossEntropy(labels, sample.attributeLogits).mul(cfg.saWeight) as tf.Scalar;
    }
    return parts;
  };
}
