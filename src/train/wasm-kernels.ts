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
  fastContiguousSlice();
  fastRowGather();
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

/**
 * tfjs-backend-wasm's Slice reads its input with readSync, which copies the WHOLE input off the
 * heap before taking the slice; cutting a [B·L, D] tensor into B row blocks (ops.ts, batched
 * matmul) was therefore O(B²) and the top kernel of a training step (bench:train-speed profile).
 * For contiguous float32/int32 slices we copy straight from the heap view; anything else goes to
 * the original kernel.
 */
function fastContiguousSlice(): void {
  overrideKernel('Slice', ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const { begin, size } = attrs as unknown as { begin: number[]; size: number[] };
    if (x.dtype !== 'float32' && x.dtype !== 'int32') return undefined;
    const [b, s] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
    if (!tf.slice_util.isSliceContinous(x.shape, b, s)) return undefined;
    const w = backend as unknown as WasmBackendLike;
    const strides = tf.util.computeStrides(x.shape);
    const off = tf.slice_util.computeFlatOffset(b, strides);
    const n = tf.util.sizeFromShape(s);
    const out = w.makeOutput(s, x.dtype);
    w.typedArrayFromHeap(out).set(w.typedArrayFromHeap(x).subarray(off, off + n));
    return out;
  });
}

/**
 * tfjs-backend-wasm's GatherV2 walks the output element by element through stride arithmetic; for
 * the [M, k] history mask of a sampled-CE step (M ≈ 3,500 rows × 2,048 negatives) that cost more
 * than the step's largest matmul. A gather along one axis is a copy of contiguous blocks (the
 * dims after the axis), so float32/int32 gathers without batch dims copy blocks straight between
 * heap views; anything else goes to the original kernel.
 */
function fastRowGather(): void {
  overrideKernel('GatherV2', ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const indices = inputs.indices as tf.TensorInfo;
    const { axis, batchDims } = attrs as unknown as { axis: number; batchDims?: number };
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0) return undefined;
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const dim = x.shape[ax];
    const outer = tf.util.sizeFromShape(x.shape.slice(0, ax));
    const inner = tf.util.sizeFromShape(x.shape.slice(ax + 1));
    const n = tf.util.sizeFromShape(indices.shape);
    const w = backend as unknown as WasmBackendLike;
    const out = w.makeOutput([...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)], x.dtype);
    // views taken after makeOutput: allocating may grow (and so detach) the wasm memory
    const xs = w.typedArrayFromHeap(x);
    const is = w.typedArrayFromHeap(indices);
    const os = w.typedArrayFromHeap(out);
    for (let i = 0; i < n; i++) {
      if (!(is[i] >= 0 && is[i] < dim)) throw new Error(`GatherV2: the index value ${is[i]} is not in [0, ${dim - 1}]`);
    }
    for (let o = 0; o < outer; o++) {
      for (let i = 0; i < n; i++) {
        const src = (o * dim + is[i]) * inner;
        const dst = (o * n + i) * inner;
        if (inner === 1) os[dst] = xs[src];
        else os.set(xs.subarray(src, src + inner), dst);
      }
    }
    return out;
  });
}

const overridden = new Set<string>();
/**
 * Replaces wasm's `kernelName` (once) with `fast`, which returns undefined for the inputs it does
 * not cover; those go to the original kernel.
 */
function overrideKernel(kernelName: string, fast: (args: Parameters<tf.KernelFunc>[0]) => tf.TensorInfo | undefined): void {
  if (overridden.has(kernelName)) return;
  const orig = tf.getKernel(kernelName, 'wasm');
  if (!orig) return;
  overridden.add(kernelName);
  tf.unregisterKernel(kernelName, 'wasm');
  tf.registerKernel({ ...orig, kernelFunc: (args) => fast(args) ?? (orig.kernelFunc as (a: typeof args) => tf.TensorInfo)(args) });
}
