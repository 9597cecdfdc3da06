import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import type { LossOutput, LossParts } from '../models/types.js';
import type { WeightBlob, WeightSpec } from '../models/nn/weights.js';

/**
 * What the training loop (loop.ts) and the data-parallel workers (data-parallel.ts) train: a model's
 * weights plus how one shard of a batch becomes its loss. `Shard` is the host-side slice of a batch
 * (typed arrays), so it can be posted to a worker thread; `loss` turns it into tensors and calls the
 * model's calculateLoss. A new model trains by providing one of these (see sasrec-task.ts).
 */
export interface Trainable<Shard> {
  /** weight specs, in the order `trainable` and the gradient blobs follow */
  readonly specs: WeightSpec[];
  /** trainable variables, in spec order */
  readonly trainable: tf.Variable[];
  /**
   * Loss of one shard: a scalar, or named parts (total = their sum). Runs inside a gradient tape,
   * which is a tidy, so tensors made from the shard are freed with the step.
   */
  loss(shard: Shard): LossOutput;
  /** positions that carry a target: a shard's weight in the batch mean, and a step's in position weighting */
  targetCount(shard: Shard): number;
  /** makes dropout a function of (seed, call number), so a seeded run repeats */
  seedDropout?(seed: number): void;
  getWeights(): Promise<WeightBlob>;
  setWeights(specs: WeightSpec[], data: Float32Array): void;
  dispose(): void;
  /**
   * A model some of whose weights are not tf variables on the tape (catalog-scale SASRec's item
   * rows, sparse-items.ts) makes its own optimizer step; the loop then calls this instead of
   * minimising `loss` over `trainable`. One thread only (no data-parallel workers).
   */
  step?(shard: Shard, optimizer: tf.Optimizer, gradScale: number): Promise<StepLoss>;
  /** brings weights kept outside the variables into them, before validation reads the model */
  sync?(): void;
}

/** Where a run's batches come from (seeded: one seed, one sequence of batches). */
export interface BatchSource<Shard> {
  /** one epoch's batches, each a list of user indices */
  epoch(): number[][];
  /** the batch of `users` cut into `count` shards (count 1: the whole batch), sampled negatives included */
  shards(users: number[], count: number): Shard[];
  /** mean target-bearing positions per user: a batch's expected targets / its users (position weighting) */
  readonly meanTargetsPerUser: number;
}

/**
 * How a worker thread builds its own replica: it imports `module` (a file URL) and calls
 * `module[exportName](config)`, which returns a Trainable (or a promise of one). `config` must
 * survive structured cloning.
 */
export interface ReplicaSpec {
  module: string;
  exportName: string;
  config: unknown;
}

/** A step's loss, as numbers: the total, and each part when the model names them. */
export interface StepLoss {
  loss: number;
  parts?: Record<string, number>;
}

/** The total of a loss output: the scalar itself, or the sum of the parts. */
export function totalLoss(out: LossOutput): tf.Scalar {
  return out instanceof tf.Tensor ? out : (tf.addN(Object.values(out)) as tf.Scalar);
}

/**
 * The total of a loss output computed inside a gradient tape; named parts are kept out of the
 * tape's tidy and handed to `keep`, whose caller reads and disposes them (readParts).
 */
export function totalKeepingParts(out: LossOutput, keep: (parts: LossParts) => void): tf.Scalar {
  if (!(out instanceof tf.Tensor)) keep(Object.fromEntries(Object.entries(out).map(([k, v]) => [k, tf.keep(v)])));
  return totalLoss(out);
}

/** Reads kept parts into numbers and disposes them. */
export async function readParts(parts: LossParts | undefined): Promise<Record<string, number> | undefined> {
  if (!parts) return undefined;
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(parts)) out[k] = (await v.data())[0];
  tf.dispose(Object.values(parts));
  return out;
}

/** A loss that is no longer finite means the rate blew the weights up: say which knob to turn. */
export function checkFinite(loss: number): void {
  if (!Number.isFinite(loss)) throw new MolarError('BAD_CONFIG', `training loss became ${loss}; lower learningRate`, { field: 'learningRate' });
}
