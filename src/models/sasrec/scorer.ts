import * as tf from '@tensorflow/tfjs';
import { padLeft } from '../types.js';
import type { SasrecModel } from './model.js';

/** Scores over ids 0..N for each history (the evaluator's BatchScorer shape). */
export type SasrecBatchScorer = (histories: Int32Array[]) => Promise<Float32Array[]>;

/**
 * Full-catalog scorer over a SASRec model. Each call pads only to the longest history it was given
 * (capped at maxLen): positions count from the end, so shorter padding scores the same and costs less.
 * Column 0 (padding) is set to -Infinity so it never ranks.
 */
export function sasrecScorer(model: SasrecModel): SasrecBatchScorer {
  return async (histories) => {
    if (histories.length === 0) return [];
    const L = Math.max(1, Math.min(model.maxLen, Math.max(...histories.map((h) => h.length))));
    const flat = new Int32Array(histories.length * L);
    histories.forEach((h, i) => flat.set(padLeft(h, L), i * L));
    const seq = tf.tensor2d(flat, [histories.length, L], 'int32');
    const scores = model.fullSortPredict(seq);
    seq.dispose();
    const data = (await scores.data()) as Float32Array;
    scores.dispose();
    const N = model.numItems + 1;
    return histories.map((_, i) => {
      const row = data.slice(i * N, (i + 1) * N);
      row[0] = -Infinity;
      return row;
    });
  };
}
