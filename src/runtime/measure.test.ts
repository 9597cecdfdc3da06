import 'fake-indexeddb/auto';
import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../bundle/manifest.js';
import { MAX_BENCH_ITEMS, opLabel, scoringShape, shapeClass } from './measure.js';
import { idbTimings } from './timings-cache.js';

const sasrec = { kind: 'sasrec', files: [], config: { hidden: 64 }, weights: [] } as ModelEntry;
const molar = { kind: 'molar', files: [], config: { hidden: 128 } } as ModelEntry;
const vectors = { kind: 'item-vectors', files: [], dim: 512 } as ModelEntry;
const cooc = { kind: 'cooccurrence', files: [] } as ModelEntry;
const blend = { kind: 'blend', files: [], parts: [{ kind: 'molar', weight: 1 }, { kind: 'cooccurrence', weight: 1 }] } as ModelEntry;

describe('scoringShape', () => {
  it("takes D from the served entry's hidden size, a blend's largest part, else the item vectors", () => {
    const manifest = { numItems: 3706, models: [sasrec, molar, vectors, cooc, blend] };
    expect(scoringShape(manifest, sasrec)).toEqual({ dim: 64, items: 3707 });
    expect(scoringShape(manifest, blend)).toEqual({ dim: 128, items: 3707 });
    expect(scoringShape(manifest, cooc)).toEqual({ dim: 512, items: 3707 });
    expect(scoringShape({ numItems: 10, models: [cooc] }, cooc)).toEqual({ dim: 64, items: 11 });
  });

  it('classes shapes by D and N rounded up to a power of two, and caps the benchmark rows', () => {
    expect(shapeClass({ dim: 64, items: 3707 })).toBe('d64-n4096');
    expect(shapeClass({ dim: 64, items: 4096 })).toBe('d64-n4096');
    expect(shapeClass({ dim: 64, items: 4097 })).toBe('d64-n8192');
    expect(opLabel({ dim: 64, items: 1_000_001 })).toBe(`[1,64]×[64,${MAX_BENCH_ITEMS}] + top-50`);
    expect(opLabel({ dim: 8, items: 20 })).toBe('[1,8]×[8,20] + top-20');
  });
});

describe('idbTimings', () => {
  it('keeps a measurement per browser version and shape class; another of either is a miss', async () => {
    const rec = { userAgent: 'Chrome/131', shapeClass: 'd64-n4096', op: 'op', candidates: [{ backend: 'wasm' as const, ok: true, ms: 3 }], measuredAt: '2026-12-01T00:00:00Z' };
    await idbTimings.put(rec);
    expect(await idbTimings.get('Chrome/131', 'd64-n4096')).toMatchObject(rec);
    expect(await idbTimings.get('Chrome/132', 'd64-n4096')).toBeUndefined();
    expect(await idbTimings.get('Chrome/131', 'd64-n8192')).toBeUndefined();
  });
});
