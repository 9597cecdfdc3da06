/**
 * One data-parallel gradient worker (see data-parallel.ts). It holds a replica of the model,
 * takes the current weights and one shard of a batch, and returns that shard's loss and gradients.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { SasrecConfig } from '../models/sasrec/config.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { useNodeBackend } from './backend-node.js';
import { shardGradients, type ShardRequest, type ShardResult } from './data-parallel.js';
import { sasrecObjective } from './losses.js';

await useNodeBackend('wasm');
const model = new SasrecModel(workerData.config as SasrecConfig);
model.setObjective(sasrecObjective(model.config));

parentPort!.on('message', (req: ShardRequest) => {
  try {
    if (req.weights) model.setWeights(model.specs, req.weights);
    const { loss, grads } = shardGradients(model, req);
    const res: ShardResult = { loss, grads };
    parentPort!.postMessage(res, [grads.buffer as ArrayBuffer]);
  } catch (e) {
    parentPort!.postMessage({ error: (e as Error).message } satisfies ShardResult);
  }
});
