import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { registerWasmTrainingKernels } from './wasm-kernels.js';

export type NodeBackend = 'cpu' | 'wasm';

/**
 * Training backend in Node. Default 'wasm': measured on this project's 2-core box
 * (`npm run bench:train-speed`, BENCHMARKS.md), one SASRec training step runs several times faster
 * on tfjs-backend-wasm (XNNPACK matmuls, SIMD) than on the pure-JS 'cpu' kernels, and the results
 * agree within 1e-4. tfjs-node (native TensorFlow) is not used: it downloads libtensorflow at install
 * time, which this project forbids.
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
