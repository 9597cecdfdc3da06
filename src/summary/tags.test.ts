import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../random.js';
import { choleskySolve, fitTagger } from './fit-tagger.js';
import { deserializeTagTable, LinearTagger, renderTags, serializeTagTable, tagsOfRow, tagTableOf } from './tags.js';

const vocab = ['genre=Sci-Fi', 'genre=Comedy', 'genre=Horror', 'colour=dark'];

/** 80 items of 16 dims: each attribute has a direction; an item is the sum of its attributes' plus noise. */
function synthetic(seed = 1) {
  const rnd = mulberry32(seed);
  const dim = 16;
  const dirs = vocab.map(() => Float32Array.from({ length: dim }, () => rnd() - 0.5));
  const rows = 81;
  const vectors = new Float32Array(rows * dim);
  const ptr = new Int32Array(rows + 1);
  const ids: number[] = [];
  for (let r = 1; r < rows; r++) {
    const attrs = [r % 3, ...(r % 4 === 0 ? [3] : [])];
    for (const a of attrs) for (let j = 0; j < dim; j++) vectors[r * dim + j] += dirs[a][j];
    for (let j = 0; j < dim; j++) vectors[r * dim + j] += 0.05 * (rnd() - 0.5);
    ids.push(...attrs);
    ptr[r + 1] = ids.length;
  }
  return { dim, dirs, vectors, attributes: { ptr, ids: Int32Array.from(ids) } };
}

describe('choleskySolve', () => {
  it('solves a 2x2 system by hand', () => {
    // [[4, 2], [2, 3]] x = [2, 5]  →  x = [-0.5, 2]
    const x = choleskySolve(Float64Array.from([4, 2, 2, 3]), 2, Float64Array.from([2, 5]), 1);
    expect(x[0]).toBeCloseTo(-0.5, 12);
    expect(x[1]).toBeCloseTo(2, 12);
  });
});

describe('the default tagger', () => {
  it('learns the attributes of held-out items from their vectors', () => {
    const s = synthetic();
    const fit = fitTagger(s.vectors, s.dim, s.attributes, vocab);
    expect(fit.heldOut).toBe(8);
    expect(fit.heldOutPrecision).toBe(1);
    // a new item: horror and dark
    const x = Float32Array.from(s.dirs[2], (v, j) => v + s.dirs[3][j]);
    const t = fit.tagger.tagVector(x);
    expect(t.tags.slice(0, 2).map((g) => g.token).sort()).toEqual(['colour=dark', 'genre=Horror']);
    expect(t.text.split(', ').sort()).toEqual(['Horror', 'dark']);
  });
  it('round-trips through its file and refuses a wrong size or a NaN', () => {
    const fit = fitTagger(synthetic().vectors, 16, synthetic().attributes, vocab);
    const b = fit.tagger.toBytes();
    const back = LinearTagger.fromBytes(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer, vocab, 16);
    expect([...back.scores(new Float32Array(16).fill(0.1))]).toEqual([...fit.tagger.scores(new Float32Array(16).fill(0.1))]);
    expect(() => LinearTagger.fromBytes(new ArrayBuffer(12), vocab, 16)).toThrow(/bytes/);
    const nan = new Float32Array(16 * 4 + 4);
    nan[5] = NaN;
    expect(() => LinearTagger.fromBytes(nan.buffer, vocab, 16)).toThrow(/finite/);
  });
});

describe('tag text and the tags file', () => {
  it('shows the best tag and those at least half as strong, values only', () => {
    expect(renderTags([{ token: 'genre=Sci-Fi', score: 0.9 }, { token: 'genre=Horror', score: 0.5 }, { token: 'colour=dark', score: 0.2 }])).toBe('Sci-Fi, Horror');
    expect(renderTags([{ token: 'genre=Sci-Fi', score: -0.1 }])).toBe('');
    expect(renderTags([])).toBe('');
  });
  it('round-trips and refuses ids outside the vocabulary', () => {
    const t = tagTableOf([[], [{ id: 1, score: 0.8 }], [{ id: 0, score: 0.6 }, { id: 3, score: 0.4 }]], 2);
    const b = serializeTagTable(t);
    const back = deserializeTagTable(b.buffer as ArrayBuffer, 3, 2, vocab.length);
    expect(tagsOfRow(back, vocab, 2).tags.map((g) => g.token)).toEqual(['genre=Sci-Fi', 'colour=dark']);
    expect(tagsOfRow(back, vocab, 0).tags).toEqual([]);
    expect(() => deserializeTagTable(b.buffer as ArrayBuffer, 3, 2, 2)).toThrow(/tag id 3/);
    expect(() => deserializeTagTable(new ArrayBuffer(8), 3, 2, 4)).toThrow(/bytes/);
  });
});
