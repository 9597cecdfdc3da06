import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

export type NodeBackend = 'cpu' | 'wasm';

/**
 * Training backend in Node: 'wasm'. Measured with `npm run bench:train-speed` (BENCHMARKS.md,
 * 2-core box shared with other jobs): one Adam step at B=8 L=50 took 77 ms on wasm and 43,438 ms on
 * the pure-JS 'cpu' backend (PyTorch CPU, 1 thread: 50 ms); at the ML-1M shape (B=32 L=200, 512
 * negatives) one cpu step did not finish in 8 minutes while wasm took 0.7-1.3 s (torch: 1.9-2.4 s).
 * Why: wasm runs 2-D matmuls through XNNPACK (SIMD, ~20-30 GFLOPS measured vs ~0.7 on cpu); that
 * speed needs the fast-path rules in models/sasrec/ops.ts and the kernels in wasm-kernels.ts.
 * Scores agree across the two within 1e-4 (model.test.ts). tfjs-node (native TensorFlow) is not
 * used: it downloads libtensorflow at install time, which this project forbids.
 */
export const DEFAULT_NODE_BACKEND: NodeBackend = 'wasm';

export async function useNodeBackend(name: NodeBackend = DEFAULT_NODE_BACKEND): Promise<string> {
  if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
    registerWasmTrainingKernels();
  }
  else if (name !== 'cpu') throw new MolarError('BAD_CONFIG', `backend must be cpu or wasm, got ${JSON.stringify(name)}`, { field: 'backend' });
  const ok = await tf.setBackend(name);
  if (!ok) throw new MolarError('BACKEND_UNAVAILABLE', `tfjs backend ${name} failed to initialise in Node`);
  await tf.ready();
  return tf.getBackend();
}
