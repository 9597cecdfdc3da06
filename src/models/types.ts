import type * as tf from '@tensorflow/tfjs';

/**
 * The contract every sequential model keeps (RecBole's AbstractRecommender, in TS), so the evaluator
 * and the scorer never care which model they hold. Models are pure: weights and tensors in, tensors
 * out; no DOM, no IndexedDB, no files.
 *
 * Shapes: B = batch, L = max sequence length, N = numItems + 1 (row 0 = padding), K = candidates.
 * Sequences are left-padded with 0 so the most recent item is always at position L-1.
 */
export interface SequentialModel {
  readonly kind: string;
  readonly numItems: number;
  readonly maxLen: number;
  /** user representations at every position [B, L, D] (training) */
  forward(seq: tf.Tensor2D, training?: boolean): tf.Tensor3D;
  /** scalar loss for a batch of input sequences and next-item targets [B, L] (0 = ignore) */
  calculateLoss(seq: tf.Tensor2D, targets: tf.Tensor2D, negatives?: tf.Tensor, historyMask?: tf.Tensor2D): tf.Scalar;
  /** scores of given candidates [B, K] for the last position */
  predict(seq: tf.Tensor2D, candidates: tf.Tensor2D): tf.Tensor2D;
  /** scores of all items [B, N] for the last position (column 0 = padding, caller masks it) */
  fullSortPredict(seq: tf.Tensor2D): tf.Tensor2D;
  dispose(): void;
}

/** Left-pad / truncate a sequence to `maxLen`, most recent item last. */
export function padLeft(seq: ArrayLike<number>, maxLen: number): Int32Array {
  const out = new Int32Array(maxLen);
  const n = Math.min(seq.length, maxLen);
  const start = seq.length - n;
  for (let i = 0; i < n; i++) out[maxLen - n + i] = seq[start + i];
  return out;
}
