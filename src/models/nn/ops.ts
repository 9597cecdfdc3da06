import * as tf from '@tensorflow/tfjs';

/**
 * Matrix product that stays on tfjs-backend-wasm's fast path. Measured in Node (bench/train-speed.ts):
 * wasm runs a 2-D, non-transposed matmul through XNNPACK (~20-30 GFLOPS on one core) but any
 * transposed or batched (rank 3) matmul through a naive loop (~2 GFLOPS), and tf.matMul's own
 * gradient is made of exactly those transposed products. So on wasm we transpose explicitly (cheap
 * next to the product), split batches into 2-D products, and give the op a gradient built the same
 * way. Other backends get plain tf.matMul, which is already fast there.
 */
export function mm<T extends tf.Tensor2D | tf.Tensor3D>(a: T, b: T | tf.Tensor2D, transposeA = false, transposeB = false): T {
  if (tf.getBackend() !== 'wasm') return tf.matMul(a, b, transposeA, transposeB) as T;
  const at = transposeA ? swapLast(a) : a;
  const bt = transposeB ? swapLast(b) : b;
  return nnGrad(at, bt) as T;
}

const swapLast = (x: tf.Tensor): tf.Tensor => (x.rank === 2 ? tf.transpose(x) : tf.transpose(x, [0, 2, 1]));

/** a·b with neither transposed; batched (rank 3) inputs as one 2-D product per batch row. */
function nn(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank === 2 && b.rank === 2) return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  if (a.rank === 3 && b.rank === 2) {
    const [B, L, D] = a.shape;
    return tf.matMul(a.reshape([B * L, D]) as tf.Tensor2D, b as tf.Tensor2D).reshape([B, L, b.shape[1]!]);
  }
  // per-batch 2-D products over row slices (measured faster on wasm than unstack or batched matmul)
  const [B, M, K] = a.shape as [number, number, number];
  const N = b.shape[2]!;
  const a2 = a.reshape([B * M, K]);
  const b2 = b.reshape([B * K, N]);
  const parts: tf.Tensor[] = [];
  for (let i = 0; i < B; i++) parts.push(tf.matMul(a2.slice([i * M, 0], [M, K]) as tf.Tensor2D, b2.slice([i * K, 0], [K, N]) as tf.Tensor2D));
  const out = tf.concat(parts, 0).reshape([B, M, N]);
  for (const t of [a2, b2, ...parts]) t.dispose();
  return out;
}

const nnGrad = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: nn(a, b),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor;
      const [sa, sb] = saved;
      const da = nn(g, swapLast(sb));
      // [B,L,D]·[D,K] weight: its gradient sums over B·L rows as one 2-D product
      const db = sa.rank === 3 && sb.rank === 2 ? nn(tf.transpose(sa.reshape([-1, sa.shape[2]!])), g.reshape([-1, g.shape[2]!])) : nn(swapLast(sa), g);
      return [da, db];
    },
  };
}) as unknown as CustomGradFn) as unknown as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * log Σ exp(x) over the last axis of [M, C], with the softmax as its gradient written directly.
 * Built on tf.softmax, not tf.exp: on wasm, Softmax is one XNNPACK kernel (vectorised exp) while Exp
 * is a scalar loop, measured 4× slower on a [6400, 2048] logit block, and the training step's
 * softmax over thousands of negatives is its largest elementwise cost. Forward: P = softmax(x) and
 * lse = max(x) - log(max(P)) (the largest probability sits at the largest logit, and is ≥ 1/C, so
 * the log is finite); backward reuses P, with no second exp. tf.logSumExp's own gradient also goes
 * through tf.max's broadcast Equal mask, the slowest kernel of a step on wasm.
 */
export const logSumExpRows = tf.customGrad(((x: tf.Tensor, save: tf.GradSaveFunc) => {
  const p = tf.softmax(x);
  const lse = tf.max(x, 1).sub(tf.log(tf.max(p, 1)));
  save([p]);
  return {
    value: lse,
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [saved[0].mul((dy as tf.Tensor).expandDims(1))],
  };
}) as unknown as CustomGradFn) as unknown as (x: tf.Tensor2D) => tf.Tensor1D;

/** x · W + b over the last axis of [B, L, D], as one 2-D product (mm's fast path). W is [D, out]. */
export function dense(x: tf.Tensor3D, w: tf.Tensor, b: tf.Tensor): tf.Tensor3D {
  const [B, L, D] = x.shape;
  const out = w.shape[1]!;
  return mm(x.reshape([B * L, D]) as tf.Tensor2D, w as tf.Tensor2D).add(b).reshape([B, L, out]);
}

const LN_EPS = 1e-8; // as the SASRec reference code

/** Layer normalisation over the last axis. */
export function layerNorm(x: tf.Tensor3D, gamma: tf.Tensor, beta: tf.Tensor): tf.Tensor3D {
  const { mean, variance } = tf.moments(x, -1, true);
  return x.sub(mean).mul(tf.rsqrt(variance.add(LN_EPS))).mul(gamma).add(beta) as tf.Tensor3D;
}

/**
 * An item table with `rows` put in: appended after its last row, or, with `first`, in place of rows
 * first..first+n-1 (an item added again with new content keeps its id). A new tensor; the caller
 * disposes the old table.
 */
export function putRows(table: tf.Tensor2D, rows: tf.Tensor2D, first?: number): tf.Tensor2D {
  if (first === undefined) return tf.concat([table, rows]);
  const n = rows.shape[0];
  return tf.tidy(() => tf.concat([table.slice([0, 0], [first, -1]), rows, table.slice([first + n, 0], [-1, -1])]));
}
