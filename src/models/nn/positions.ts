import * as tf from '@tensorflow/tfjs';

/**
 * How a model counts learned positions within the window it reads. 'from-newest': row 0 of the
 * table is the most recent item (what bundles written before the field existed hold). 'from-oldest':
 * row 0 is the window's oldest item (SASRec+, whose batches are right-padded), so in training the
 * item at each position carries the index it would carry if it were the newest at serving time.
 * Either way a history padded to any length reads the same.
 */
export const POSITION_COUNTS = ['from-newest', 'from-oldest'] as const;
export type PositionCount = (typeof POSITION_COUNTS)[number];

/**
 * The position rows to add to the item rows of a left-padded batch: `table` [maxLen, D], `valid`
 * [B, L] 1 at real items. 'from-newest': [L, D], shared by every row (row L-1 = newest);
 * 'from-oldest': [B, L, D], each item's index from its row's oldest (padding reads row 0 and is
 * zeroed by the caller).
 */
export function positionRows(table: tf.Tensor2D, valid: tf.Tensor2D, count: PositionCount): tf.Tensor {
  return tf.tidy(() => {
    const L = valid.shape[1];
    return count === 'from-newest' ? tf.reverse(table.slice([0, 0], [L, -1]), 0) : tf.gather(table, tf.cast(tf.relu(tf.cumsum(valid, 1).sub(1)), 'int32'));
  });
}
