/**
 * Molar's combined scoring: both user models rank the catalog, and their scores are mixed as
 * log-probabilities. Both are trained with a full softmax over the catalog, so log-softmax is
 * each one's own calibration; a raw-logit mix would let whichever has the larger logit scale win.
 * score(i) = w · log p_content(i) + (1 - w) · log p_id(i), w chosen on validation (train/molar.ts).
 * Items the ID model does not know (ids past its row: added with addItems()) take the content
 * model's log-probability for both terms, i.e. they are ranked by content alone.
 */
export function mixScores(content: Float32Array, id: Float32Array | undefined, w: number): Float32Array {
  if (!id || w >= 1) return logSoftmax(content);
  // mixLogProbs(logSoftmax(content), logSoftmax(id), w) in one pass, bit for bit (each
  // log-probability rounded to float32 as those rows hold it), without the two rows between: at
  // 100k items they were half the mix's time in every recommend()
  const lc = logSumExp(content);
  const ld = logSumExp(id);
  const out = new Float32Array(content.length);
  out[0] = -Infinity;
  for (let i = 1; i < content.length; i++) {
    const c = Math.fround(content[i] - lc);
    out[i] = i < id.length ? w * c + (1 - w) * Math.fround(id[i] - ld) : c;
  }
  return out;
}

/** The mix of rows already log-softmaxed (`logSoftmax`): for trying several weights on the same scores. */
export function mixLogProbs(c: Float32Array, d: Float32Array, w: number): Float32Array {
  const out = new Float32Array(c.length);
  out[0] = -Infinity;
  for (let i = 1; i < c.length; i++) out[i] = i < d.length ? w * c[i] + (1 - w) * d[i] : c[i];
  return out;
}

/** log-softmax over ids 1..len-1; index 0 (padding) is -Infinity and takes no mass. */
export function logSoftmax(row: Float32Array): Float32Array {
  const lse = logSumExp(row);
  const out = new Float32Array(row.length);
  out[0] = -Infinity;
  for (let i = 1; i < row.length; i++) out[i] = row[i] - lse;
  return out;
}

/** log Σ exp(row[i]) over ids 1..len-1 (the max taken out first, so no exp overflows). */
function logSumExp(row: Float32Array): number {
  let max = -Infinity;
  for (let i = 1; i < row.length; i++) if (row[i] > max) max = row[i];
  let sum = 0;
  for (let i = 1; i < row.length; i++) sum += Math.exp(row[i] - max);
  return max + Math.log(sum);
}
