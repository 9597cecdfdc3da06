/**
 * msr-gen.spec.ts's worker: the product's summary worker (src/summary/worker.ts) with WebGPU
 * command submissions counted first, so the test can tell the LM really ran on the GPU, and the
 * requests it served counted by op, so a test can tell how many LM calls a page made. Messages
 * `{ op: 'gpuSubmits' }` and `{ op: 'counts' }` are answered here; everything else goes to the product's handler.
 * (The product module sets its handler when imported; the prototype patch below still sees every
 * submission, since the GPU is first used when the model loads, after this module ran.)
 */
import '../../src/summary/worker.js';

let submits = 0;
if (typeof GPUQueue !== 'undefined') {
  const submit = GPUQueue.prototype.submit;
  GPUQueue.prototype.submit = function (this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
    submits++;
    return submit.call(this, buffers);
  };
}
const scope = globalThis as unknown as { onmessage: (e: MessageEvent) => void; postMessage(m: unknown): void };
const product = scope.onmessage;
const counts: Record<string, number> = {};
scope.onmessage = (e) => {
  const op = e.data?.op;
  if (op === 'gpuSubmits') return scope.postMessage({ gpuSubmits: submits });
  if (op === 'counts') return scope.postMessage({ counts: { ...counts } });
  counts[op] = (counts[op] ?? 0) + 1;
  product(e);
};
