/**
 * The micro-benchmark `auto` chooses by: the serving hot path, one user vector against the item
 * table ([1, D] × [D, N], then top-k), timed warm on the active backend with public tf ops only
 * (the scorers in score/ are tuned elsewhere; this measures the op they are built on).
 */
import * as tf from '@tensorflow/tfjs-core';
import type { Manifest, ModelEntry } from '../bundle/manifest.js';

/** The scoring op's size for a bundle: `dim` D of the user vector, `items` N rows scored (padding row included). */
export interface ScoringShape {
  dim: number;
  items: number;
}

/** D when the served entry does not say (co-occurrence and popularity score on the CPU, then rank [N]). */
const DEFAULT_DIM = 64;
/**
 * Rows the benchmark scores at most. Above this the per-row cost is what grows, not which backend
 * wins, and a 1M-row table would make the "few ms" probe allocate 256 MB on every candidate.
 */
export const MAX_BENCH_ITEMS = 1 << 17;
/** k of the benchmark's top-k (the served rerankDepth is of this order) */
export const BENCH_K = 50;
/** warm runs after the first (which compiles shaders, plans the kernels) */
const RUNS = 5;
/** the whole probe stops after this much wall time even with runs left */
const BUDGET_MS = 150;

const hidden = (e: ModelEntry | undefined): number | undefined => {
  const h = (e as { config?: Record<string, unknown> } | undefined)?.config?.hidden;
  return typeof h === 'number' && Number.isInteger(h) && h > 0 ? h : undefined;
};

/**
 * The scoring shape of the entry a bundle serves: D is its hidden size (sasrec, molar), the largest
 * of a blend's parts, or the item vectors' dim; N is numItems + 1.
 */
export function scoringShape(manifest: Pick<Manifest, 'numItems' | 'models'>, entry: ModelEntry): ScoringShape {
  const byKind = (k: string) => manifest.models.find((m) => m.kind === k);
  const parts = entry.kind === 'blend' ? ((entry as { parts?: { kind: string }[] }).parts ?? []).map((p) => byKind(p.kind)) : [entry];
  const dims = parts.map(hidden).filter((d): d is number => d !== undefined);
  const vectors = (byKind('item-vectors') as { dim?: number } | undefined)?.dim;
  const dim = dims.length ? Math.max(...dims) : (vectors ?? DEFAULT_DIM);
  return { dim, items: manifest.numItems + 1 };
}

/**
 * Cache key part for a shape: D exactly, N to the next power of two (a catalog that grows by a few
 * items keeps its measurement; one that doubles is measured again).
 */
export function shapeClass(s: ScoringShape): string {
  return `d${s.dim}-n${2 ** Math.ceil(Math.log2(Math.max(2, s.items)))}`;
}

/** The shape the benchmark runs: the bundle's, with N capped at MAX_BENCH_ITEMS. */
export const benchShape = (s: ScoringShape): ScoringShape => ({ dim: s.dim, items: Math.min(s.items, MAX_BENCH_ITEMS) });

/** A description of the op for the report, e.g. "[1,64]×[64,3707] + top-50". */
export const opLabel = (s: ScoringShape): string => {
  const b = benchShape(s);
  return `[1,${b.dim}]×[${b.dim},${b.items}] + top-${Math.min(BENCH_K, b.items)}`;
};

/**
 * Median wall ms of one warm scoring pass on the active backend, read back asynchronously as the
 * scorers read (so GPU queue time counts). Throws what the backend throws; leaves no tensor.
 */
export async function measureScoring(shape: ScoringShape, now: () => number = () => performance.now()): Promise<number> {
  const { dim, items } = benchShape(shape);
  const k = Math.min(BENCH_K, items);
  // fixed values, not random: every backend sees the same inputs (and no tie-heavy zeros)
  // (functional ops: runtime/ imports tfjs-core, whose chained tensor methods the umbrella registers)
  const user = tf.tidy(() => tf.reshape(tf.linspace(-1, 1, dim), [1, dim]));
  const table = tf.tidy(() => tf.reshape(tf.sin(tf.linspace(0, items * dim * 0.37, items * dim)), [items, dim]));
  const pass = async () => {
    const { values, indices } = tf.tidy(() => tf.topk(tf.reshape(tf.matMul(user, table, false, true), [-1]), k));
    await Promise.all([values.data(), indices.data()]);
    tf.dispose([values, indices]);
  };
  try {
    await pass(); // warm-up: shader compiles and kernel set-up are paid once per page, not per pass
    const times: number[] = [];
    const start = now();
    while (times.length < RUNS && (times.length === 0 || now() - start < BUDGET_MS)) {
      const t0 = now();
      await pass();
      times.push(now() - t0);
    }
    times.sort((a, b) => a - b);
    return times[Math.floor(times.length / 2)];
  } finally {
    tf.dispose([user, table]);
  }
}
