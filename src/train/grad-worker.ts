/**
 * One data-parallel gradient worker (see data-parallel.ts). It builds its model replica from the
 * ReplicaSpec in workerData (module URL + export name + config), takes the current weights and one
 * shard of a batch, and returns that shard's loss and gradients.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { useNodeBackend } from './backend-node.js';
import { shardGradients, type ShardRequest, type ShardResult } from './data-parallel.js';
import type { ReplicaSpec, Trainable } from './trainable.js';

const port = parentPort!;
let model: Trainable<unknown>;
try {
  await useNodeBackend('wasm');
  const spec = workerData as ReplicaSpec;
  const mod = (await import(spec.module)) as Record<string, (config: unknown) => Trainable<unknown> | Promise<Trainable<unknown>>>;
  if (typeof mod[spec.exportName] !== 'function') throw new Error(`${spec.module} exports no function ${spec.exportName}`);
  model = await mod[spec.exportName](spec.config);
  port.postMessage({ ready: true });
} catch (e) {
  port.postMessage({ error: (e as Error).message });
}

port.on('message', async (req: ShardRequest) => {
  try {
    if (req.weights) model.setWeights(model.specs, req.weights);
    const { loss, parts, grads } = await shardGradients(model, req.shard, req.dropoutSeed);
    const res: ShardResult = { loss, parts, grads };
    port.postMessage(res, [grads.buffer as ArrayBuffer]);
  } catch (e) {
    port.postMessage({ error: (e as Error).message } satisfies ShardResult);
  }
});
