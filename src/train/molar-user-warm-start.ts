/**
 * User-level warm start (MolarTrainConfig.userWarmStart), after the item-level one: the content user
 * model starts as the ID model it aligns to. Its positions, blocks and final layer norm are copied
 * from SASRec, and each known item's ID residual is set so its item vector is SASRec's row exactly
 * (times √D: SASRec reads its table scaled by √D on input and unscaled on output, the content model
 * reads its table unscaled on input and at 1/√D on output; ContentModel.outputScale). The content
 * model then scores warm items as SASRec does before its first step, and training adds what the
 * content features and the alignment can, from there instead of from random blocks: on ML-1M the
 * content path, trained from scratch, stays well behind a converged SASRec at equal minutes.
 *
 * Items the training data does not know (held out, never seen) keep content alone, as always; a
 * repeat bias the ID model has is not carried (the content model has none).
 */
import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { FREEZE_ROWS, type ContentModel } from '../models/content/model.js';
import type { SasrecModel } from '../models/sasrec/model.js';

const PREFIX = 'content.';
/** the content model's user-model weights that have a same-named SASRec weight (under PREFIX) */
const COPIED = /^content\.(position_embedding|blocks\.\d+\.|final_ln\.)/;

export function startAsIdModel(model: ContentModel, id: SasrecModel, known: Int32Array): void {
  const c = model.config;
  if (!c.idResidual) throw new MolarError('BAD_CONFIG', 'the user-level warm start sets the ID residual: give the content model one (idResidual)', { field: 'idResidual' });
  const want: [string, unknown, unknown][] = [
    ['hidden', c.hidden, id.config.hidden],
    ['blocks', c.blocks, id.config.blocks],
    ['heads', c.heads, id.config.heads],
    ['block', c.block, id.config.block],
    ['positions', c.positions, id.config.positions],
    ['maxLen', c.maxLen, id.config.maxLen],
    // the content model's FFN is hidden wide (nn/transformer.ts without ffnInner)
    ['ffnInner', c.hidden, id.config.ffnInner],
  ];
  for (const [field, mine, theirs] of want) {
    if (mine !== theirs) throw new MolarError('BAD_CONFIG', `the user-level warm start copies the ID model's blocks: the content model's ${field} (${JSON.stringify(mine)}) must equal the ID model's (${JSON.stringify(theirs)})`, { field });
  }
  const source = new Map(id.specs.map((s, i) => [s.name, i]));
  model.specs.forEach((s, i) => {
    if (!COPIED.test(s.name)) return;
    const j = source.get(s.name.slice(PREFIX.length));
    if (j === undefined) throw new MolarError('BAD_INPUT', `the ID model has no weight ${s.name.slice(PREFIX.length)}`, { field: s.name });
    model.trainable[i].assign(id.trainable[j]);
  });
  // ID vector = √D · SASRec row − the head's fused vector, so that their sum is √D · the row
  if (!known.length) return;
  const scale = Math.sqrt(c.hidden);
  const gaps: tf.Tensor2D[] = [];
  try {
    for (let r = 0; r < known.length; r += FREEZE_ROWS) {
      const part = known.subarray(r, r + FREEZE_ROWS);
      gaps.push(tf.tidy(() => {
        const ids = tf.tensor1d(part, 'int32');
        return tf.gather(id.itemEmbedding, ids).mul(scale).sub(model.fusedRows(ids)) as tf.Tensor2D;
      }));
    }
    if (gaps.length > 1) gaps.push(tf.concat(gaps) as tf.Tensor2D);
    model.setIdVectors(known, gaps[gaps.length - 1]);
  } finally {
    tf.dispose(gaps);
  }
}
