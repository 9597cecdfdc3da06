import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../../config.js';
import { MolarError } from '../../errors.js';
import { buildCooccurrence, deserializeCsr, deserializeFloat32, scoreCooccurrence, scorePopularity, serializeCsr, serializeFloat32 } from './cooccurrence.js';

// 4 items; 1 is followed by 2 twice (distance 1) and by 3 once (distance 2)
const train = [Int32Array.from([1, 2, 3]), Int32Array.from([1, 2]), Int32Array.from([4])];

describe('buildCooccurrence', () => {
  const { csr, popularity } = buildCooccurrence(train, 4, { window: 2, topN: 10 });
  it('counts popularity over the training sequences', () => {
    expect([...popularity]).toEqual([0, 2, 2, 1, 1]);
  });
  it('weights followers by 1/distance and normalises each row', () => {
    // row 1: item 2 weight 1 + 1 = 2, item 3 weight 1/2 → 0.8 / 0.2
    const row1 = [...csr.indices.subarray(csr.indptr[1], csr.indptr[2])];
    const val1 = [...csr.values.subarray(csr.indptr[1], csr.indptr[2])];
    expect(row1).toEqual([2, 3]);
    expect(val1[0]).toBeCloseTo(0.8, 6);
    expect(val1[1]).toBeCloseTo(0.2, 6);
    // row 2: only 3 follows; rows 0, 3, 4 are empty
    expect([...csr.indices.subarray(csr.indptr[2], csr.indptr[3])]).toEqual([3]);
    expect(csr.indptr[1] - csr.indptr[0]).toBe(0);
    expect(csr.indptr[5] - csr.indptr[3]).toBe(0);
    expect(csr.indptr.length).toBe(6);
  });
  it('keeps only topN neighbours', () => {
    const m = buildCooccurrence(train, 4, { window: 2, topN: 1 });
    expect([...m.csr.indices.subarray(m.csr.indptr[1], m.csr.indptr[2])]).toEqual([2]);
    expect(m.csr.values[m.csr.indptr[1]]).toBeCloseTo(1, 6);
  });
  it('rejects bad args and out-of-range ids', () => {
    expect(() => buildCooccurrence(train, 4, { window: 0 })).toThrow(MolarError);
    expect(() => buildCooccurrence([Int32Array.from([9])], 4)).toThrow(/outside 1..4/);
  });
  it('round-trips through ArrayBuffer and rejects truncated files', () => {
    const back = deserializeCsr(serializeCsr(csr), 4);
    expect([...back.indptr]).toEqual([...csr.indptr]);
    expect([...back.indices]).toEqual([...csr.indices]);
    expect([...back.values]).toEqual([...csr.values]);
    expect(serializeCsr(csr).byteLength).toBe(4 * 6 + 8 * csr.indices.length);
    expect(() => deserializeCsr(serializeCsr(csr).slice(0, 27), 4)).toThrow(/bytes/);
    expect([...deserializeFloat32(serializeFloat32(popularity), 5)]).toEqual([...popularity]);
  });
});

describe('scoreCooccurrence', () => {
  const { csr, popularity } = buildCooccurrence(train, 4, { window: 2, topN: 10 });
  const cfg = { ...DEFAULT_CONFIG.baseline, recencyDecay: 0.5, popularityWeight: 0.01 };
  it('sums recency-decayed neighbour weights plus scaled popularity', () => {
    // history [1, 2]: most recent 2 (weight 1) → 3: 1.0 ; older 1 (weight 0.5) → 2: 0.4, 3: 0.1
    const s = scoreCooccurrence([1, 2], csr, popularity, cfg);
    expect(s[0]).toBe(-Infinity);
    expect(s[3]).toBeCloseTo(1.1 + 0.01 * (1 / 2), 6);
    expect(s[2]).toBeCloseTo(0.4 + 0.01 * (2 / 2), 6);
    expect(s[4]).toBeCloseTo(0.01 * (1 / 2), 6);
    expect(s.length).toBe(5);
  });
  it('falls back to popularity for an empty history and honours maxHistory', () => {
    const s = scoreCooccurrence([], csr, popularity, cfg);
    expect([...s.subarray(1)].map((v) => +v.toFixed(6))).toEqual([0.01, 0.01, 0.005, 0.005]);
    const only = scoreCooccurrence([1, 2], csr, popularity, { ...cfg, maxHistory: 1 });
    expect(only[2]).toBeCloseTo(0.01, 6);
    expect([...scorePopularity(popularity).subarray(1)]).toEqual([1, 1, 0.5, 0.5]);
  });
});
