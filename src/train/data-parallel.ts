import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import type { SasrecConfig } from '../models/sasrec/config.js';
import type { SasrecModel } from '../models/sasrec/model.js';
import { historyMask, type SeqBatch } from './batches.js';

/** One shard of a training batch, as sent to a worker (typed arrays travel by copy/transfer). */
export interface ShardRequest {
  /** current weights (spec order, one blob); the worker keeps its own when omitted */
  weights?: Float32Array;
  batch: SeqBatch;
  /** bce: [B*L] per position; gbce / sampled-ce: [k] shared by the whole batch */
  negatives?: Int32Array;
  dropoutSeed: number;
}
export interface ShardResult {
  loss?: number;
  /** gradients of every trainable weight, spec order, concatenated */
  grads?: Float32Array;
  error?: string;
}

export type Shard = Pick<ShardRequest, 'batch' | 'negatives'>;

/** Target-bearing positions of a batch: each shard's mean loss is weighted by its share of these. */
export const countTargets = (b: SeqBatch): number => b.targets.reduce((n, t) => n + (t !== 0 ? 1 : 0), 0);

/** Loss and flattened gradients of one shard on `model` (used by the main thread and the workers). */
export function shardGradients(model: SasrecModel, req: ShardRequest): { loss: number; grads: Float32Array } {
  model.seedDropout(req.dropoutSeed);
  const t = batchTensors(model.config, req.batch, req.negatives);
  try {
    const vars = model.trainable;
    const { value, grads } = tf.variableGrads(() => model.calculateLoss(t.seq, t.targets, t.negatives, t.historyMask), vars);
    const out = new Float32Array(vars.reduce((n, v) => n + v.size, 0));
    let off = 0;
    for (const v of vars) {
      out.set(grads[v.name].dataSync() as Float32Array, off);
      off += v.size;
    }
    const loss = value.dataSync()[0];
    value.dispose();
    tf.dispose(grads);
    return { loss, grads: out };
  } finally {
    disposeBatch(t);
  }
}

export interface BatchTensors {
  seq: tf.Tensor2D;
  targets: tf.Tensor2D;
  negatives?: tf.Tensor;
  historyMask?: tf.Tensor2D;
}

/**
 * A batch as the tensors calculateLoss takes; bce negatives are per position [B, L], others shared
 * [k]; with excludeHistory (ce, sampled-ce) also the [B, C] history mask (batches.ts).
 */
export function batchTensors(cfg: Pick<SasrecConfig, 'loss' | 'numItems' | 'excludeHistory'>, b: SeqBatch, negatives?: Int32Array): BatchTensors {
  const seq = tf.tensor2d(b.seq, [b.B, b.L], 'int32');
  const targets = tf.tensor2d(b.targets, [b.B, b.L], 'int32');
  const out: BatchTensors = { seq, targets };
  if (negatives !== undefined) out.negatives = cfg.loss === 'bce' ? tf.tensor2d(negatives, [b.B, b.L], 'int32') : tf.tensor1d(negatives, 'int32');
  if (cfg.excludeHistory && (cfg.loss === 'ce' || cfg.loss === 'sampled-ce')) {
    const cols = cfg.loss === 'ce' ? cfg.numItems + 1 : negatives!.length;
    out.historyMask = tf.tensor2d(historyMask(b, cfg.numItems, cfg.loss === 'ce' ? undefined : negatives), [b.B, cols]);
  }
  return out;
}

export const disposeBatch = (t: BatchTensors): void => tf.dispose([t.seq, t.targets, ...(t.negatives ? [t.negatives] : []), ...(t.historyMask ? [t.historyMask] : [])]);

/**
 * Synchronous data parallelism over worker threads, for Node training. tfjs-backend-wasm runs
 * single-threaded in Node (its threaded build needs blob workers, which Node refuses), so one
 * training process uses one core; here each batch is cut into `workers` shards by user, the main
 * thread computes shard 0 while each worker computes one more on its own replica, and the
 * gradients are averaged (weighted by each shard's target count, which makes the result the
 * gradient of the whole batch's mean loss) before one Adam step on the main thread. Weights go out
 * to the workers after every step (~4 bytes × parameters, small next to a step).
 */
export class DataParallel {
  private constructor(private readonly workers: Worker[]) {}

  /** Starts `count - 1` workers (the main thread is the first). */
  static async start(config: SasrecConfig, count: number): Promise<DataParallel> {
    if (!Number.isInteger(count) || count < 1) throw new MolarError('BAD_CONFIG', `workers must be an integer ≥ 1, got ${count}`, { field: 'workers' });
    const url = new URL('./grad-worker-boot.mjs', import.meta.url);
    const workers = Array.from({ length: count - 1 }, () => new Worker(url, { workerData: { config } }));
    // a worker that fails to start (bad install, wasm missing) must fail here, not hang the first step
    await Promise.all(workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('online', () => resolve());
      w.once('error', (e) => reject(new MolarError('BACKEND_UNAVAILABLE', `training worker failed to start: ${e.message}`, { cause: e })));
    })));
    return new DataParallel(workers);
  }

  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * One synchronous step over `shards` (one per replica, main first), its gradient multiplied by
   * `gradScale`. Returns the whole batch's mean loss and leaves no tensor behind.
   */
  async step(model: SasrecModel, optimizer: tf.Optimizer, shards: Shard[], dropoutSeed: number, gradScale = 1): Promise<number> {
    const weights = this.workers.length ? (await model.getWeights()).data : undefined;
    const pending = this.workers.map((w, i) => {
      const shard = shards[i + 1];
      if (!shard) return Promise.resolve(undefined);
      return call(w, { weights: weights?.slice(), ...shard, dropoutSeed: dropoutSeed * 31 + i + 1 }).then((r) => {
        if (r.error !== undefined || !r.grads) throw new MolarError('BAD_INPUT', `training worker ${i + 1}: ${r.error}`);
        return { loss: r.loss!, grads: r.grads };
      });
    });
    const own = shardGradients(model, { ...shards[0], dropoutSeed: dropoutSeed * 31 });
    const parts = [own, ...(await Promise.all(pending))];
    const counts = shards.map((s) => countTargets(s.batch));
    const total = counts.reduce((a, b) => a + b, 0);
    const sum = new Float32Array(own.grads.length);
    let loss = 0;
    parts.forEach((p, i) => {
      if (!p) return;
      const w = counts[i] / total;
      loss += p.loss * w;
      for (let j = 0; j < sum.length; j++) sum[j] += p.grads[j] * w * gradScale;
    });
    if (!Number.isFinite(loss)) throw new MolarError('BAD_CONFIG', `training loss became ${loss}; lower learningRate`, { field: 'learningRate' });
    const named: tf.NamedTensorMap = {};
    let off = 0;
    for (const v of model.trainable) {
      named[v.name] = tf.tensor(sum.subarray(off, off + v.size), v.shape);
      off += v.size;
    }
    optimizer.applyGradients(named);
    tf.dispose(named);
    return loss;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** One request/reply with a worker; listeners removed either way (a step must not pile them up). */
function call(w: Worker, req: ShardRequest): Promise<ShardResult> {
  return new Promise((resolve, reject) => {
    const onMessage = (r: ShardResult) => {
      w.off('error', onError);
      resolve(r);
    };
    const onError = (e: Error) => {
      w.off('message', onMessage);
      reject(e);
    };
    w.once('message', onMessage);
    w.once('error', onError);
    w.postMessage(req);
  });
}
