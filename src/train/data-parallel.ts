import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { checkFinite, readParts, totalKeepingParts, type ReplicaSpec, type StepLoss, type Trainable } from './trainable.js';
import type { LossParts } from '../models/types.js';

/** One shard of a training batch, as sent to a worker (typed arrays travel by copy/transfer). */
export interface ShardRequest<Shard = unknown> {
  /** current weights (spec order, one blob); the worker keeps its own when omitted */
  weights?: Float32Array;
  shard: Shard;
  dropoutSeed: number;
}
export interface ShardResult {
  loss?: number;
  parts?: Record<string, number>;
  /** gradients of every trainable weight, spec order, concatenated */
  grads?: Float32Array;
  error?: string;
}

/** Loss and flattened gradients of one shard on `model` (used by the main thread and the workers). */
export async function shardGradients<Shard>(model: Trainable<Shard>, shard: Shard, dropoutSeed: number): Promise<StepLoss & { grads: Float32Array }> {
  model.seedDropout?.(dropoutSeed);
  const vars = model.trainable;
  let kept: LossParts | undefined;
  const { value, grads } = tf.variableGrads(() => totalKeepingParts(model.loss(shard), (p) => (kept = p)), vars);
  const out = new Float32Array(vars.reduce((n, v) => n + v.size, 0));
  let off = 0;
  for (const v of vars) {
    // a weight this loss does not reach (Molar's SA head with saWeight 0) has no gradient: zeros
    // here, as localStep's minimize leaves it untouched
    const g = grads[v.name];
    if (g) out.set(g.dataSync() as Float32Array, off);
    off += v.size;
  }
  const loss = value.dataSync()[0];
  value.dispose();
  tf.dispose(grads);
  const parts = await readParts(kept);
  return { loss, ...(parts ? { parts } : {}), grads: out };
}

/**
 * Synchronous data parallelism over worker threads, for Node training. tfjs-backend-wasm runs
 * single-threaded in Node (its threaded build needs blob workers, which Node refuses), so one
 * training process uses one core; here each batch is cut into `workers` shards by user, the main
 * thread computes shard 0 while each worker computes one more on its own replica, and the
 * gradients are averaged (weighted by each shard's target count, which makes the result the
 * gradient of the whole batch's mean loss) before one optimizer step on the main thread. Weights go
 * out to the workers after every step (~4 bytes × parameters, small next to a step). Any model
 * trains this way: the workers build their replicas from a ReplicaSpec (trainable.ts).
 */
export class DataParallel {
  private constructor(private readonly workers: Worker[]) {}

  /** Starts `count - 1` workers (the main thread is the first), each building `replica`. */
  static async start(replica: ReplicaSpec, count: number): Promise<DataParallel> {
    if (!Number.isInteger(count) || count < 1) throw new MolarError('BAD_CONFIG', `workers must be an integer ≥ 1, got ${count}`, { field: 'workers' });
    const url = new URL('./grad-worker-boot.mjs', import.meta.url);
    const workers = Array.from({ length: count - 1 }, () => new Worker(url, { workerData: replica }));
    // a worker that fails to start (bad install, wasm missing, a replica that cannot be built) must fail here, not hang the first step
    const started = workers.map((w) => new Promise<void>((resolve, reject) => {
      w.once('message', (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(new MolarError('BACKEND_UNAVAILABLE', `training worker failed to start: ${m.error}`))));
      w.once('error', (e) => reject(new MolarError('BACKEND_UNAVAILABLE', `training worker failed to start: ${e.message}`, { cause: e })));
    }));
    try {
      await Promise.all(started);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
    return new DataParallel(workers);
  }

  get size(): number {
    return this.workers.length + 1;
  }

  /**
   * One synchronous step over `shards` (one per replica, main first), its gradient multiplied by
   * `gradScale`. Returns the whole batch's mean loss (and parts) and leaves no tensor behind.
   */
  async step<Shard>(model: Trainable<Shard>, optimizer: tf.Optimizer, shards: Shard[], dropoutSeed: number, gradScale = 1): Promise<StepLoss> {
    const weights = this.workers.length ? (await model.getWeights()).data : undefined;
    const pending = this.workers.map((w, i) => {
      const shard = shards[i + 1];
      if (!shard) return Promise.resolve(undefined);
      return call(w, { weights: weights?.slice(), shard, dropoutSeed: dropoutSeed * 31 + i + 1 }).then((r) => {
        if (r.error !== undefined || !r.grads) throw new MolarError('BAD_INPUT', `training worker ${i + 1}: ${r.error}`);
        return { loss: r.loss!, parts: r.parts, grads: r.grads };
      });
    });
    const own = await shardGradients(model, shards[0], dropoutSeed * 31);
    const results = [own, ...(await Promise.all(pending))];
    const counts = shards.map((s) => model.targetCount(s));
    const total = counts.reduce((a, b) => a + b, 0);
    const sum = new Float32Array(own.grads.length);
    let loss = 0;
    let parts: Record<string, number> | undefined;
    results.forEach((p, i) => {
      if (!p) return;
      const w = counts[i] / total;
      loss += p.loss * w;
      for (const [k, v] of Object.entries(p.parts ?? {})) (parts ??= {})[k] = (parts[k] ?? 0) + v * w;
      for (let j = 0; j < sum.length; j++) sum[j] += p.grads[j] * w * gradScale;
    });
    checkFinite(loss);
    const named: tf.NamedTensorMap = {};
    let off = 0;
    for (const v of model.trainable) {
      named[v.name] = tf.tensor(sum.subarray(off, off + v.size), v.shape);
      off += v.size;
    }
    optimizer.applyGradients(named);
    tf.dispose(named);
    return parts ? { loss, parts } : { loss };
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
