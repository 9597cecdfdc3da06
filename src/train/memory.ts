/**
 * How much memory SASRec training will take, estimated before it starts, and the plan that fits
 * it into tfjs-wasm's heap: dense item updates where they fit (every catalog up to a few hundred
 * thousand items, ML-1M included, trains exactly as before), item rows trained sparsely
 * (sparse-items.ts) where the dense table's gradients would not, and a BAD_CONFIG naming the flag
 * to lower when neither fits.
 *
 * The figures are upper-bound counts of float32 tensors alive at once, from how tfjs computes each
 * part (listed in `estimateSasrecMemory`), not measurements; BENCHMARKS.md's catalog-scale rows
 * put the measured peak RSS beside them.
 */
import { MolarError } from '../errors.js';
import type { SasrecConfig } from '../models/sasrec/config.js';
import { VALIDATION_BATCH } from './loop.js';

/** tfjs-backend-wasm's memory: a 32-bit wasm heap, at most 4 GiB. Every tensor of a thread lives in it. */
export const WASM_HEAP_BYTES = 4 * 1024 ** 3;
/** the share of the heap a plan may fill: the allocator fragments, and the estimate is rough */
export const HEAP_BUDGET = 0.75 * WASM_HEAP_BYTES;
/**
 * From this many items a sampled loss trains its item table by rows even where dense updates fit:
 * on 100k items that was 397 ms a step on one thread against 2,249 ms dense over 2 workers, whose
 * every step moves, averages and Adam-updates the whole table (BENCHMARKS.md, catalog-scale rows).
 * Below it (full-softmax shops up to 20k items, ML-1M) nothing changes. `--workers` given above 1
 * keeps dense updates where they fit.
 */
export const SPARSE_FROM_ITEMS = 50_000;
/** validation scores at most this many bytes of [users, numItems+1] at once */
const VALID_BLOCK_BYTES = 256 * 1024 ** 2;

const F32 = 4;

export type ItemUpdates = 'dense' | 'sparse';

/** One estimate: bytes on the wasm heap of the main thread (by part) and in JS memory. */
export interface MemoryEstimate {
  itemUpdates: ItemUpdates;
  /** users per validation scoring batch the plan uses */
  validationBatch: number;
  heap: Record<string, number>;
  heapBytes: number;
  /** JS memory outside the heap (sparse item table and its Adam moments; data not counted) */
  jsBytes: number;
}

/** What a part of the heap estimate is driven by: the flag to lower when it does not fit. */
const FLAG_OF: Record<string, string> = {
  'item table': '--hidden',
  'negative scores': '--negatives',
  'full softmax': '--loss',
  activations: '--batch-size',
  attention: '--max-len',
  validation: '--hidden',
  weights: '--hidden',
};

/** Users per validation batch so that one [users, numItems+1] score block stays within VALID_BLOCK_BYTES. */
export const validationBatchFor = (numItems: number): number => Math.max(1, Math.min(VALIDATION_BATCH, Math.floor(VALID_BLOCK_BYTES / ((numItems + 1) * F32))));

type Shape = Pick<SasrecConfig, 'numItems' | 'hidden' | 'ffnInner' | 'blocks' | 'heads' | 'maxLen' | 'batchSize' | 'loss' | 'numNegatives'>;

/**
 * The estimate for one plan. Per part (floats × 4 bytes; N = numItems + 1, M = batchSize × maxLen
 * positions at most, k negatives):
 * - item table, dense: the variable, Adam's two moments, and per step the dense gradients of its
 *   three gathers (inputs, targets, negatives) plus their sum, and Adam's update temporaries
 *   (new moments, two bias-corrected copies, the square, the new value): 13 × N × D.
 * - item table, sparse: the variable validation reads (1 × N × D), and per step the batch's rows,
 *   their gradient and copies (6 × U × D, U ≤ M + k + 1). The master copy and moments are JS (3 × N × D).
 * - negative scores: [M, k] scores with the history mask added, the softmax and their gradients (6 × M × k).
 * - full softmax (loss ce): the same over [M, N].
 * - activations: per block about 12 [M, D] and 2 [M, ffnInner] tensors kept for backprop, × 2 for
 *   the backward pass's temporaries.
 * - attention: per block 4 [batch, heads, L, L] tensors (logits, mask, softmax, dropout) × 2.
 * - weights: the other weights with Adam's moments and gradient (4 ×).
 * - validation: a [users, N] score block, its masked copy and top-k input (3 ×).
 */
export function estimateSasrecMemory(cfg: Shape, itemUpdates: ItemUpdates, workers = 1): MemoryEstimate {
  const N = cfg.numItems + 1;
  const D = cfg.hidden;
  const B = Math.ceil(cfg.batchSize / workers);
  const M = B * cfg.maxLen;
  const k = cfg.loss === 'ce' ? 0 : cfg.numNegatives;
  const validationBatch = validationBatchFor(cfg.numItems);
  const U = Math.min(N, M + k + 1);
  const heap: Record<string, number> = {
    'item table': (itemUpdates === 'dense' ? 13 * N * D : N * D + 6 * U * D) * F32,
    ...(cfg.loss === 'ce' ? { 'full softmax': 6 * M * N * F32 } : { 'negative scores': 6 * M * k * F32 }),
    activations: cfg.blocks * (12 * M * D + 2 * M * cfg.ffnInner) * 2 * F32,
    attention: cfg.blocks * 4 * B * cfg.heads * cfg.maxLen * cfg.maxLen * 2 * F32,
    weights: 4 * (cfg.maxLen * D + cfg.blocks * (4 * D * D + 2 * D * cfg.ffnInner + 8 * D)) * F32,
    validation: 3 * validationBatch * N * F32,
  };
  const heapBytes = Object.values(heap).reduce((a, b) => a + b, 0);
  return { itemUpdates, validationBatch, heap, heapBytes, jsBytes: itemUpdates === 'sparse' ? (3 * N * D + N) * F32 : 0 };
}

const gib = (b: number) => `${(b / 1024 ** 3).toFixed(2)} GiB`;

/** The estimate as lines for the log printed before training. */
export function describeMemory(e: MemoryEstimate): string {
  const parts = Object.entries(e.heap)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${gib(v)}`)
    .join(', ');
  return (
    `estimated memory: ${gib(e.heapBytes)} of tfjs-wasm's ${gib(WASM_HEAP_BYTES)} heap (${parts})` +
    (e.jsBytes ? ` + ${gib(e.jsBytes)} JS for the item table trained by rows` : '') +
    `; item updates ${e.itemUpdates}, validation ${e.validationBatch} users at a time`
  );
}

/**
 * The plan training runs. Dense item updates when they fit HEAP_BUDGET and the catalog is under
 * SPARSE_FROM_ITEMS (or full softmax): the path every small catalog has always trained on, numerics
 * unchanged. Else sparse ones (not for full-softmax ce,
 * which scores every row anyway), with one worker: the table lives in one thread's memory, so
 * `workersGiven` > 1 is then an error naming --workers. A plan over the budget but within the
 * whole heap still runs (the estimate is an upper bound: M counts every position as a target);
 * one over the whole heap is BAD_CONFIG naming the flag behind its largest part.
 */
export function planSasrecMemory(cfg: Shape, workers = 1, workersGiven = false): MemoryEstimate & { workers: number } {
  const dense = estimateSasrecMemory(cfg, 'dense', workers);
  const fast = cfg.loss !== 'ce' && cfg.numItems >= SPARSE_FROM_ITEMS && !(workersGiven && workers > 1);
  if (dense.heapBytes <= HEAP_BUDGET && !fast) return { ...dense, workers };
  const sparse = cfg.loss === 'ce' ? undefined : estimateSasrecMemory(cfg, 'sparse', 1);
  const useSparse = sparse !== undefined; // never more than dense: it only drops the table's gradients
  const plan = sparse ?? dense;
  if (plan.heapBytes > WASM_HEAP_BYTES) {
    const [part] = Object.entries(plan.heap).sort((a, b) => b[1] - a[1])[0];
    const flag = FLAG_OF[part];
    const advice = part === 'full softmax' ? 'use --loss sampled-ce (full softmax scores every item at every position)' : `lower ${flag}`;
    throw new MolarError('BAD_CONFIG', `this setting cannot fit: ${describeMemory(plan)}; the largest part is the ${part}: ${advice}`, { field: flag });
  }
  if (useSparse && workersGiven && workers > 1) {
    throw new MolarError('BAD_CONFIG', `${cfg.numItems} items train their item rows sparsely on one thread (dense item updates would need ${gib(dense.heapBytes)} of the ${gib(WASM_HEAP_BYTES)} heap); pass --workers 1`, { field: '--workers' });
  }
  return { ...plan, workers: useSparse ? 1 : workers };
}
