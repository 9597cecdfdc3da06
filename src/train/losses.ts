import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import type { SasrecConfig } from '../models/sasrec/config.js';
import { logSumExpRows, mm } from '../models/nn/ops.js';
import type { ObjectiveInput, SasrecObjective } from '../models/sasrec/model.js';
import { MASKED } from './batches.js';

/**
 * SASRec's BCE with one negative per positive: mean over positives of
 * -log σ(s⁺) - log(1 - σ(s⁻)) (softplus(-s⁺) + softplus(s⁻), which never overflows).
 * pos: [M], neg: [M] or [M, 1].
 */
export function bceLoss(pos: tf.Tensor1D, neg: tf.Tensor): tf.Scalar {
  return tf.tidy(() => tf.softplus(pos.neg()).add(tf.softplus(neg.reshape([-1]))).mean() as tf.Scalar);
}

/**
 * gSASRec's generalised BCE (Petrov & Macdonald, RecSys 2023). With k uniform negatives out of N-1,
 * α = k/(N-1) and β = α(t(1-1/α) + 1/α); the positive probability is raised to β. Since
 * -log(σ(s)^β) = β·softplus(-s), the transformed positive term is exactly β·softplus(-s⁺), which is
 * stable in float32 (gSASRec does the same in float64 with clamps). Reduction as their
 * BCEWithLogitsLoss: mean over all M·(k+1) logits.
 * pos: [M], neg: [M, k] (masked entries may be given as MASKED and contribute ~0).
 */
export function gbceLoss(pos: tf.Tensor1D, neg: tf.Tensor2D, numItems: number, t: number): tf.Scalar {
  const k = neg.shape[1];
  const beta = gbceBeta(k, numItems, t);
  return tf.tidy(() => {
    const posTerm = tf.softplus(pos.neg()).mul(beta).sum();
    const negTerm = tf.softplus(neg).sum();
    return posTerm.add(negTerm).div(pos.shape[0] * (k + 1)) as tf.Scalar;
  });
}

/** β for k negatives out of the numItems-1 non-positive items (gSASRec's α = k/(numItems-1)). */
export function gbceBeta(numNegatives: number, numItems: number, t: number): number {
  const alpha = numNegatives / (numItems - 1);
  return alpha * (t * (1 - 1 / alpha) + 1 / alpha);
}

/**
 * Softmax cross-entropy where the target's logit is given apart: mean of logsumexp([pos, others]) - pos.
 * `others` [M, C] must not contain the target (mask it to MASKED). Covers full CE (others = all items
 * but target and padding) and sampled CE (others = sampled negatives).
 */
export function softmaxCeLoss(pos: tf.Tensor1D, others: tf.Tensor2D): tf.Scalar {
  return tf.tidy(() => {
    // log(e^pos + Σ e^others) without concatenating [M, 1+C] (its gradient is a slow split on wasm)
    const rest = logSumExpRows(others);
    const m = tf.maximum(pos, rest);
    const lse = m.add(tf.log(tf.exp(pos.sub(m)).add(tf.exp(rest.sub(m)))));
    return lse.sub(pos).mean() as tf.Scalar;
  });
}

/** Full softmax CE over every item: logits [M, N] (column 0 = padding), targets [M] in 1..N-1. */
export function fullCeLoss(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Scalar {
  return tf.tidy(() => {
    const N = logits.shape[1];
    const padMask = tf.oneHot(tf.zeros([1], 'int32'), N).mul(MASKED); // [1, N]
    const lse = tf.logSumExp(logits.add(padMask), 1);
    const pos = tf.sum(logits.mul(tf.oneHot(tf.cast(targets, 'int32'), N)), 1);
    return lse.sub(pos).mean() as tf.Scalar;
  });
}

/**
 * The objective for a config, over the model's target-bearing positions. Negatives:
 * - bce: one per position, [B, L] (or [B*L]), gathered at the same rows as the targets;
 * - gbce / sampled-ce: k ids SHARED by the whole batch ([k]); one [M,D]·[D,k] matmul instead of a
 *   [M,k,D] gather (gSASRec samples per position, SASRec+ per sequence; sharing keeps the sampling
 *   uniform, so gBCE's α and the sampled softmax stay as defined). A negative equal to the row's
 *   target is masked out (accidental hit).
 * - ce: none; all items.
 * With `historyMask` (config.excludeHistory; ce and sampled-ce only) each row's negatives leave out
 * the items of its own training window, SASRec+'s sampling; the padding column is in every window
 * mask, so full CE needs no separate padding mask then.
 */
export function sasrecObjective(cfg: Pick<SasrecConfig, 'loss' | 'numItems' | 'gbceT'>): SasrecObjective {
  return ({ user, targets, itemEmb, rows, rowUsers, negatives, historyMask, repeat }: ObjectiveInput) => {
    // with a repeat bias, every score of an item the position has already read gets + bias
    const withRepeat = <T extends tf.Tensor>(scores: T, seen: tf.Tensor | undefined): T => (repeat && seen ? (scores.add(seen.mul(repeat.bias)) as T) : scores);
    const posScore = () => withRepeat(tf.sum(user.mul(tf.gather(itemEmb, targets)), 1) as tf.Tensor1D, repeat?.pos);
    // the history mask covers the target too (it is in the window), so `others` never holds it
    const masked = (scores: tf.Tensor2D) => scores.add(tf.gather(historyMask!, rowUsers)) as tf.Tensor2D;
    if (cfg.loss === 'ce' && historyMask) return softmaxCeLoss(posScore(), masked(mm(user, itemEmb, false, true)));
    if (cfg.loss === 'ce') {
      // logsumexp over all items minus the target's score, without an [M, N] one-hot
      const logits = withRepeat(mm(user, itemEmb, false, true), repeat?.cols);
      const padMask = tf.oneHot(tf.zeros([1], 'int32'), logits.shape[1]).mul(MASKED);
      return logSumExpRows(logits.add(padMask) as tf.Tensor2D).sub(posScore()).mean() as tf.Scalar;
    }
    if (!negatives) throw new MolarError('BAD_INPUT', `loss ${cfg.loss} needs negatives`, { field: 'negatives' });
    if (cfg.loss === 'bce') {
      const neg = tf.gather(tf.cast(negatives, 'int32').reshape([-1]), rows);
      const negScore = tf.sum(user.mul(tf.gather(itemEmb, neg)), 1) as tf.Tensor1D;
      return bceLoss(posScore(), negScore);
    }
    const negIds = tf.cast(negatives, 'int32').reshape([-1]) as tf.Tensor1D;
    let negScores = withRepeat(mm(user, tf.gather(itemEmb, negIds), false, true) as tf.Tensor2D, repeat?.cols); // [M, k]
    if (historyMask && cfg.loss === 'sampled-ce') return softmaxCeLoss(posScore(), masked(negScores));
    const hits = accidentalHits(targets.dataSync(), negIds.dataSync(), negScores.shape[1]);
    if (hits.length) negScores = negScores.add(tf.scatterND(tf.tensor2d(hits, [hits.length / 2, 2], 'int32'), tf.fill([hits.length / 2], MASKED), negScores.shape));
    return cfg.loss === 'gbce' ? gbceLoss(posScore(), negScores, cfg.numItems, cfg.gbceT) : softmaxCeLoss(posScore(), negScores);
  };
}

/** [row, col] pairs where a shared negative equals the row's target (negatives are distinct, so ≤ 1 per row). */
function accidentalHits(targets: ArrayLike<number>, negatives: ArrayLike<number>, k: number): number[] {
  const col = new Map<number, number>();
  for (let j = 0; j < k; j++) col.set(negatives[j], j);
  const out: number[] = [];
  for (let r = 0; r < targets.length; r++) {
    const j = col.get(targets[r]);
    if (j !== undefined) out.push(r, j);
  }
  return out;
}
