import * as tf from '@tensorflow/tfjs';

interface WasmBackendLike {
  typedArrayFromHeap(t: tf.TensorInfo): Float32Array | Int32Array;
  makeOutput(shape: number[], dtype: tf.DataType, memoryOffset?: number, values?: Float32Array | Int32Array): tf.TensorInfo;
}

/**
 * tfjs-backend-wasm 4.22 has no UnsortedSegmentSum, which the gradient of tf.gather (our embedding
 * lookup) needs, so training on wasm would throw. This JS kernel reads the wasm heap directly and
 * scatter-adds rows; it is O(M·D) and small next to the matmuls. Registered once, Node training only.
 */
export function registerWasmTrainingKernels(): void {
  if (tf.getKernel('UnsortedSegmentSum', 'wasm')) return;
  tf.registerKernel({
    kernelName: 'UnsortedSegmentSum',
    backendName: 'wasm',
    kernelFunc: ({ inputs, backend, attrs }) => {
      const b = backend as unknown as WasmBackendLike;
      const x = inputs.x as tf.TensorInfo;
      const ids = inputs.segmentIds as tf.TensorInfo;
      const numSegments = (attrs as { numSegments: number }).numSegments;
      const xs = b.typedArrayFromHeap(x);
      const is = b.typedArrayFromHeap(ids);
      const inner = x.shape.slice(1).reduce((p, d) => p * d, 1);
      const out = x.dtype === 'int32' ? new Int32Array(numSegments * inner) : new Float32Array(numSegments * inner);
      for (let r = 0; r < is.length; r++) {
        const s = is[r];
        if (s < 0 || s >= numSegments) continue; // as TF: out-of-range ids are dropped
        const src = r * inner;
        const dst = s * inner;
        for (let j = 0; j < inner; j++) out[dst + j] += xs[src + j];
      }
      return b.makeOutput([numSegments, ...x.shape.slice(1)], x.dtype, undefined, out);
    },
  });
}
