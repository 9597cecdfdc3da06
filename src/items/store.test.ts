import { describe, expect, it } from 'vitest';
import { ItemVectorStore } from './store.js';
import { cosine, getRow } from '../encoders/matrix.js';
import { isMolarError } from '../errors.js';

function seeded(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}
function gaussian(rows: number, dim: number, seed = 1) {
  const rnd = seeded(seed);
  const data = new Float32Array(rows * dim);
  for (let i = 0; i < data.length; i++) data[i] = Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
  return { data, rows, dim };
}

describe('ItemVectorStore', () => {
  it('keeps cosine >= 0.99 against the float vectors, row 0 = padding', () => {
    const m = gaussian(200, 64);
    const s = ItemVectorStore.fromItems(m);
    expect(s.rows).toBe(201);
    expect(s.numItems).toBe(200);
    expect(Array.from(s.row(0)).every((v) => v === 0)).toBe(true);
    let min = 1;
    for (let r = 0; r < 200; r++) min = Math.min(min, cosine(getRow(m, r), s.row(r + 1)));
    expect(min).toBeGreaterThan(0.99);
  });

  it('round-trips through an ArrayBuffer bit for bit', () => {
    const s = ItemVectorStore.fromItems(gaussian(37, 10, 7));
    const buf = s.toArrayBuffer();
    expect(buf.byteLength).toBe(16 + 38 * 4 + 38 * 10);
    const t = ItemVectorStore.fromArrayBuffer(buf);
    expect(t.dim).toBe(10);
    expect(Array.from(t.codes)).toEqual(Array.from(s.codes));
    expect(Array.from(t.scales)).toEqual(Array.from(s.scales));
    expect(Array.from(t.dequantize().data)).toEqual(Array.from(s.dequantize().data));
  });

  it('handles all-zero rows, tiny and huge scales, and extreme values exactly', () => {
    const dim = 4;
    const data = new Float32Array([0, 0, 0, 0, 1e-30, -1e-30, 0, 2e-30, 3e30, -3e30, 1e30, 0, 127, -127, 1, 0]);
    const s = ItemVectorStore.fromItems({ data, rows: 4, dim });
    expect(s.scales[1]).toBe(0);
    expect(Array.from(s.row(1))).toEqual([0, 0, 0, 0]);
    for (let r = 1; r < 4; r++) {
      const back = s.row(r + 1);
      expect(back.every(Number.isFinite)).toBe(true);
      expect(cosine(data.subarray(r * dim, (r + 1) * dim), back)).toBeGreaterThan(0.99);
    }
    // max |v| maps to exactly ±127
    expect(Array.from(s.codes.subarray(4 * dim, 5 * dim))).toEqual([127, -127, 1, 0]);
  });

  it('appends cold-start rows and returns their first id, growing past capacity', () => {
    const s = ItemVectorStore.fromItems(gaussian(3, 8, 2));
    const before = s.row(2);
    const extra = gaussian(40, 8, 3);
    expect(s.append(extra)).toBe(4);
    expect(s.rows).toBe(44);
    expect(Array.from(s.row(2))).toEqual(Array.from(before));
    expect(cosine(getRow(extra, 39), s.row(43))).toBeGreaterThan(0.99);
  });

  it('replaces rows in place (a fork copies first, so the parse it shares is never written), never the padding', () => {
    const shared = ItemVectorStore.fromItems(gaussian(3, 8, 2));
    const codes = Array.from(shared.codes);
    const fork = shared.fork();
    const fresh = gaussian(1, 8, 5);
    fork.replace(2, fresh);
    expect(cosine(getRow(fresh, 0), fork.row(2))).toBeGreaterThan(0.99);
    expect(Array.from(fork.row(1))).toEqual(Array.from(shared.row(1)));
    expect(Array.from(shared.codes)).toEqual(codes);
    expect(fork.rows).toBe(4);
    expect(() => fork.replace(0, fresh)).toThrow(/outside/);
    expect(() => fork.replace(4, fresh)).toThrow(/outside/);
    expect(() => fork.replace(1, gaussian(1, 4, 5))).toThrow(/dim 4/);
  });

  it('refuses bad input with MolarError codes', () => {
    const s = ItemVectorStore.empty(3);
    const nan = () => s.append({ data: new Float32Array([1, NaN, 0]), rows: 1, dim: 3 });
    expect(nan).toThrow(/finite/);
    try { nan(); } catch (e) { expect(isMolarError(e, 'BAD_INPUT')).toBe(true); }
    expect(() => s.append({ data: new Float32Array(4), rows: 1, dim: 4 })).toThrow(/dim 4/);
    expect(() => s.row(5)).toThrow(/outside/);
    const bad = ItemVectorStore.fromItems(gaussian(2, 3)).toArrayBuffer().slice(0, 30);
    expect(() => ItemVectorStore.fromArrayBuffer(bad)).toThrow(/header says/);
    expect(() => ItemVectorStore.fromArrayBuffer(new ArrayBuffer(20))).toThrow(/magic/);
  });
});
