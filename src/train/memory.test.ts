import { describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { resolveSasrecConfig, type SasrecConfig } from '../models/sasrec/config.js';
import { estimateSasrecMemory, HEAP_BUDGET, planSasrecMemory, SPARSE_FROM_ITEMS, validationBatchFor, WASM_HEAP_BYTES } from './memory.js';

const cfg = (c: Partial<SasrecConfig> & { numItems: number }) => resolveSasrecConfig({ maxLen: 50, batchSize: 64, ...c });

function refusal(fn: () => unknown) {
  try {
    fn();
  } catch (e) {
    expect(isMolarError(e, 'BAD_CONFIG')).toBe(true);
    return e as Error & { field?: string };
  }
  throw new Error('expected BAD_CONFIG');
}

describe('estimateSasrecMemory', () => {
  it('counts each part as its doc says (worked by hand for one small setting)', () => {
    const c = cfg({ numItems: 999, hidden: 8, ffnInner: 8, blocks: 1, heads: 2, maxLen: 10, batchSize: 4, loss: 'sampled-ce', numNegatives: 20 });
    const e = estimateSasrecMemory(c, 'dense');
    // N = 1000, D = 8, M = 4 × 10 = 40 positions
    expect(e.heap['item table']).toBe(13 * 1000 * 8 * 4);
    expect(e.heap['negative scores']).toBe(6 * 40 * 20 * 4);
    expect(e.heap.activations).toBe((12 * 40 * 8 + 2 * 40 * 8) * 2 * 4);
    expect(e.heap.attention).toBe(4 * 4 * 2 * 10 * 10 * 2 * 4);
    expect(e.heap.validation).toBe(3 * 128 * 1000 * 4);
    expect(e.heapBytes).toBe(Object.values(e.heap).reduce((a, b) => a + b, 0));
    expect(e.jsBytes).toBe(0);
    const s = estimateSasrecMemory(c, 'sparse');
    // the variable validation reads, plus the batch's rows (U ≤ 40 + 20 + 1) six times; the master copy and moments are JS
    expect(s.heap['item table']).toBe((1000 * 8 + 6 * 61 * 8) * 4);
    expect(s.jsBytes).toBe((3 * 1000 * 8 + 1000) * 4);
  });

  it('scores validation in batches whose [users, N] block stays near 256 MB', () => {
    expect(validationBatchFor(3706)).toBe(128);
    expect(validationBatchFor(1_000_000)).toBe(67);
    expect(validationBatchFor(100_000_000)).toBe(1);
  });
});

describe('planSasrecMemory', () => {
  it('keeps dense item updates (the path ML-1M always trained on) wherever they fit', () => {
    const ml1m = planSasrecMemory(cfg({ numItems: 3706, maxLen: 200, loss: 'ce' }), 2);
    expect(ml1m).toMatchObject({ itemUpdates: 'dense', workers: 2, validationBatch: 128 });
    expect(ml1m.heapBytes).toBeLessThan(HEAP_BUDGET);
    expect(planSasrecMemory(cfg({ numItems: SPARSE_FROM_ITEMS - 1, loss: 'sampled-ce' }), 4).itemUpdates).toBe('dense');
  });

  it('trains by rows from SPARSE_FROM_ITEMS items with a sampled loss (faster there), unless --workers is given above 1', () => {
    expect(planSasrecMemory(cfg({ numItems: 100_000, loss: 'sampled-ce' }), 2)).toMatchObject({ itemUpdates: 'sparse', workers: 1 });
    expect(planSasrecMemory(cfg({ numItems: 100_000, loss: 'sampled-ce' }), 2, true)).toMatchObject({ itemUpdates: 'dense', workers: 2 });
    expect(planSasrecMemory(cfg({ numItems: 100_000, loss: 'ce', batchSize: 4, maxLen: 20 }), 2).itemUpdates).toBe('dense');
  });

  it('trains a 1M-item catalog by rows on one thread, and refuses --workers given above 1', () => {
    const big = cfg({ numItems: 1_000_000, loss: 'sampled-ce' });
    expect(estimateSasrecMemory(big, 'dense').heapBytes).toBeGreaterThan(HEAP_BUDGET);
    const plan = planSasrecMemory(big, 4);
    expect(plan).toMatchObject({ itemUpdates: 'sparse', workers: 1 });
    expect(plan.heapBytes).toBeLessThan(HEAP_BUDGET);
    const e = refusal(() => planSasrecMemory(big, 4, true));
    expect(e.field).toBe('--workers');
    expect(e.message).toContain('pass --workers 1');
  });

  it('names the flag when nothing fits the 4 GiB heap', () => {
    const ce = refusal(() => planSasrecMemory(cfg({ numItems: 1_000_000, loss: 'ce' })));
    expect(ce.field).toBe('--loss');
    expect(ce.message).toContain('use --loss sampled-ce');
    const negatives = refusal(() => planSasrecMemory(cfg({ numItems: 1_000_000, loss: 'sampled-ce', numNegatives: 200_000, batchSize: 128 })));
    expect(negatives.field).toBe('--negatives');
    expect(negatives.message).toMatch(/estimated memory: [\d.]+ GiB of tfjs-wasm's 4\.00 GiB heap/);
    const len = refusal(() => planSasrecMemory(cfg({ numItems: 1000, loss: 'sampled-ce', numNegatives: 10, maxLen: 2048, batchSize: 64, heads: 4 })));
    expect(len.field).toBe('--max-len');
    expect(WASM_HEAP_BYTES).toBe(4 * 1024 ** 3);
  });
});
