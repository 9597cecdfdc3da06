import type * as tf from '@tensorflow/tfjs';

/**
 * The contract every sequential model keeps (RecBole's AbstractRecommender, in TS), so the evaluator
 * and the scorer never care which model they hold. Models are pure: weights and tensors in, tensors
 * out; no DOM, no IndexedDB, no files.
 *
 * Shapes: B = batch, L = max sequence length, N = numItems + 1 (row 0 = padding), K = candidates.
 * Sequences are left-padded with 0 so the most recent item is always at position L-1.
 */
export interface SequentialModel<Batch extends LossBatch = LossBatch> {
  readonly kind: string;
  readonly numItems: number;
  readonly maxLen: number;
  /** user representations at every position [B, L, D] (training) */
  forward(seq: tf.Tensor2D, training?: boolean): tf.Tensor3D;
  /** the user representation at the last position [B, D]: what scoring reads, and what user models align */
  userVector(seq: tf.Tensor2D): tf.Tensor2D;
  /** training loss of one batch: a scalar, or named parts whose sum is the total */
  calculateLoss(batch: Batch): LossOutput;
  /** scores of given candidates [B, K] for the last position */
  predict(seq: tf.Tensor2D, candidates: tf.Tensor2D): tf.Tensor2D;
  /** scores of all items [B, N] for the last position (column 0 = padding, caller masks it) */
  fullSortPredict(seq: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/**
 * One training batch as tensors. Models needing more (a repeat-bias indicator, item vectors for an
 * alignment loss) extend it with their own optional fields.
 */
export interface LossBatch {
  /** [B, L] left-padded inputs */
  seq: tf.Tensor2D;
  /** [B, L] next item at each position, 0 = no target */
  targets: tf.Tensor2D;
  /** sampled negative ids: [B, L] per position or [k] shared by the batch */
  negatives?: tf.Tensor;
  /** [B, C] additive mask over the negative columns (each row's own history out of its softmax) */
  historyMask?: tf.Tensor2D;
}

/** A loss split into named parts (e.g. `{ rec, align }`); training minimises their sum and reports each. */
export type LossParts = Record<string, tf.Scalar>;
export type LossOutput = tf.Scalar | LossParts;

/** Left-pad / truncate a sequence to `maxLen`, most recent item last. */
export function padLeft(seq: ArrayLike<number>, maxLen: number): Int32Array {
  const out = new Int32Array(maxLen);
  const n = Math.min(seq.length, maxLen);
  const start = seq.length - n;
  for (let i = 0; i < n; i++) out[maxLen - n + i] = seq[start + i];
  return out;
}
