/**
 * Molar's joint order (the paper's other one; the first, SASRec trained first and frozen as
 * teacher, is molar-task.ts's): SASRec and the content model trained together as ONE Trainable
 * over both models' weights. Its loss is SASRec's own (its objective, losses.ts) plus the content
 * model's parts, where align's other side is SASRec's live last-position user vector, still on the
 * tape, so align's gradient reaches both user models (no stop-gradient). Parts: `id` (SASRec's
 * loss), `ub`, `align`, `it`, `sa`.
 */
import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { ContentModel } from '../models/content/model.js';
import { specSize, type WeightBlob } from '../models/nn/weights.js';
import type { SasrecConfig } from '../models/sasrec/config.js';
import { SasrecModel } from '../models/sasrec/model.js';
import type { ScorableModel } from '../score/scorer.js';
import { MASKED, type BatchSampler, type SeqBatch } from './batches.js';
import { sasrecObjective } from './losses.js';
import { attachMolarObjective, contentBatches, contentBatchTensors, type ContentReplicaConfig, type ContentShard } from './molar-task.js';
import { batchTensors, countTargets, sasrecBatches, type SasrecShard } from './sasrec-task.js';
import type { BatchSource, ReplicaSpec, Trainable } from './trainable.js';

/** One shard of a joint batch: the same users as SASRec's shard and as the content model's. */
export interface JointShard {
  id: SasrecShard;
  content: ContentShard;
}

/**
 * The loop's view of both models. SASRec's objective is wrapped so that, while it runs inside
 * calculateLoss, the rows of its user vectors at each row's last position are kept (tf.keep: they
 * outlive calculateLoss's tidy); the content model's calculateLoss then reads them as `teacher`.
 * The kept tensor is disposed once the content loss is built: the tape keeps its own copies of
 * what the backward pass reads. Disposing it disposes both models.
 */
export function jointTrainable(sasrec: SasrecModel, content: ContentModel): Trainable<JointShard> {
  const base = sasrecObjective(sasrec.config);
  let want: tf.Tensor1D | undefined;
  let last: tf.Tensor2D | undefined;
  sasrec.setObjective((input) => {
    if (want) last = tf.keep(tf.gather(input.user, want)) as tf.Tensor2D;
    return base(input);
  });
  const k = sasrec.specs.length;
  return {
    specs: [...sasrec.specs, ...content.specs],
    get trainable() {
      return [...sasrec.trainable, ...content.trainable];
    },
    loss({ id, content: c }) {
      want = tf.tensor1d(lastRows(id.batch), 'int32');
      let own: tf.Scalar;
      try {
        own = sasrec.calculateLoss(batchTensors(sasrec.config, id.batch, id.negatives));
      } finally {
        want = undefined;
      }
      const teacher = last!;
      last = undefined;
      try {
        return { id: own, ...content.calculateLoss({ ...contentBatchTensors(content.numItems, c, content.config.hidden), teacher }) };
      } finally {
        teacher.dispose();
      }
    },
    targetCount: ({ id }) => countTargets(id.batch),
    seedDropout(seed) {
      // different streams: the same seed would give both models the same masks wherever shapes match
      sasrec.seedDropout(seed);
      content.seedDropout(seed ^ 0x5bd1e995);
    },
    async getWeights() {
      return joinBlobs(await sasrec.getWeights(), await content.getWeights());
    },
    setWeights(specs, data) {
      const n = specs.slice(0, k).reduce((a, s) => a + specSize(s), 0);
      sasrec.setWeights(specs.slice(0, k), data.subarray(0, n));
      content.setWeights(specs.slice(k), data.subarray(n));
    },
    dispose() {
      sasrec.dispose();
      content.dispose();
    },
  };
}

/**
 * Index, among the target-bearing positions (SASRec's `user` rows, flat order), of each batch
 * row's last position. Training batches are left-padded and every row has ≥ 1 target, so the last
 * position always carries one; a row without is a bug upstream.
 */
export function lastRows({ B, L, targets }: SeqBatch): Int32Array {
  const out = new Int32Array(B);
  let m = 0;
  for (let i = 0; i < B * L; i++) {
    const isLast = i % L === L - 1;
    if (targets[i] === 0) {
      if (isLast) throw new MolarError('BAD_INPUT', `batch row ${Math.floor(i / L)} has no target at its last position`, { field: 'targets' });
      continue;
    }
    if (isLast) out[Math.floor(i / L)] = m;
    m++;
  }
  return out;
}

/** Two weight blobs as one, specs and data in order (the joint model's bundle form). */
export function joinBlobs(a: WeightBlob, b: WeightBlob): WeightBlob {
  const data = new Float32Array(a.data.length + b.data.length);
  data.set(a.data);
  data.set(b.data, a.data.length);
  return { specs: [...a.specs, ...b.specs], data };
}

/** The joint blob split back into SASRec's first `idSpecs` specs and the content model's. */
export function splitJoint(blob: WeightBlob, idSpecs: number): { id: WeightBlob; content: WeightBlob } {
  const n = blob.specs.slice(0, idSpecs).reduce((a, s) => a + specSize(s), 0);
  return { id: { specs: blob.specs.slice(0, idSpecs), data: blob.data.slice(0, n) }, content: { specs: blob.specs.slice(idSpecs), data: blob.data.slice(n) } };
}

/**
 * Batches for both models from one sampler: SASRec's shards (its negatives, if its loss samples
 * any) and the content model's (the item sample; no teacher vectors: the joint loss computes them
 * live), zipped. Each builds the users' SeqBatch itself (the same rows: `batch` is deterministic).
 */
export function jointBatches(sampler: BatchSampler, idConfig: SasrecConfig, content: Omit<Parameters<typeof contentBatches>[1], 'teacher'>): BatchSource<JointShard> {
  const ids = sasrecBatches(sampler, idConfig);
  const cs = contentBatches(sampler, content);
  return {
    epoch: () => cs.epoch(),
    shards(users, count) {
      const a = ids.shards(users, count);
      const b = cs.shards(users, count);
      return a.map((id, i) => ({ id, content: b[i] }));
    },
    meanTargetsPerUser: sampler.meanTargetsPerUser,
  };
}

/**
 * Both models scored as the mix at content weight `w` (score/mix.ts: log-softmax of each over ids
 * 1..N, then w·content + (1-w)·id): what joint training validates and keeps a checkpoint on, since
 * both models change and the mix is what is served. The models belong to the caller.
 */
export function mixedModel(content: ContentModel, id: SasrecModel, w: number): ScorableModel {
  return {
    maxLen: Math.min(content.maxLen, id.maxLen),
    numItems: content.numItems,
    fullSortPredict: (seq) =>
      tf.tidy(() => {
        const pad = tf.oneHot(tf.zeros([1], 'int32'), content.numItems + 1).mul(MASKED);
        const lsm = (s: tf.Tensor2D) => tf.logSoftmax(s.add(pad));
        return lsm(content.fullSortPredict(seq)).mul(w).add(lsm(id.fullSortPredict(seq)).mul(1 - w)) as tf.Tensor2D;
      }),
    dispose() {},
  };
}

/** What a worker needs for its joint replica (structured-cloneable). */
export interface JointReplicaConfig {
  id: SasrecConfig;
  content: ContentReplicaConfig;
}

export function createJointReplica({ id, content }: JointReplicaConfig): Trainable<JointShard> {
  const c = new ContentModel(content.config, content.features);
  attachMolarObjective(c, content.objective);
  return jointTrainable(new SasrecModel(id), c);
}

export const jointReplica = (config: JointReplicaConfig): ReplicaSpec => ({ module: new URL('./molar-joint.ts', import.meta.url).href, exportName: 'createJointReplica', config });
