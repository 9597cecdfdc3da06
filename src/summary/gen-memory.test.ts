import 'fake-indexeddb/auto';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ItemRecord } from '../bundle/manifest.js';
import { HistoryStore } from '../history/index.js';
import { loadCausalLm, type TextLm } from './gen-lm.js';
import { GenerativeMemory } from './gen-memory.js';
import { GenerativeSummarizer } from './gen-summary.js';

/**
 * The generative summary kept beside the history (gen-memory.ts) on the fixture LM: a new block
 * costs one LM call from the kept text, a reload (a new memory over the same store) costs none,
 * and what it keeps equals the recurrence run from the history's start. LM calls are counted by a
 * wrapper around the real LM, so "did not recompute" is a count, not a timing.
 */
const DIR = fileURLToPath(new URL('../../e2e/fixtures/tiny-gen/', import.meta.url));
const N = 20;
const items: ItemRecord[] = Array.from({ length: N }, (_, i) => ({ id: `sku-${i + 1}`, title: ['Green tea', 'Blue mug', 'Star socks', 'Red kettle'][i % 4] + ` ${i + 1}` }));
const itemOf = async (id: number, list: readonly ItemRecord[]) => ({ title: list[id - 1].title!, image: `picture ${id}` });

let real: TextLm;
let calls = 0;
const counted: TextLm = {
  get name() {
    return real.name;
  },
  generate: (p, n) => (calls++, real.generate(p, n)),
  yesNo: (p, w) => real.yesNo(p, w),
  dispose: () => {},
};
beforeAll(async () => {
  real = await loadCausalLm('tiny-gpt2', { localModelPath: DIR });
});
afterAll(() => real?.dispose());

let db = 0;
const open: HistoryStore[] = [];
afterEach(() => open.splice(0).forEach((h) => h.close()));
async function store(dbName = `gen-memory-${++db}`) {
  const h = await HistoryStore.open('shop', { dbName, maxEvents: 500 }, { onWarning: () => {} });
  open.push(h);
  return h;
}
const memory = (h: HistoryStore, maxBlocks = 8) => new GenerativeMemory(new GenerativeSummarizer(counted, { maxNewTokens: 6 }), h, itemOf, maxBlocks);
const ids = (...xs: number[]) => Int32Array.from(xs);

describe('GenerativeMemory', () => {
  it('steps once per completed block, resumes after a reload without recomputing, and equals the recurrence from the start', async () => {
    const h = await store();
    const first = memory(h);
    calls = 0;
    expect(await first.read(ids(1, 2), items)).toEqual({ summary: '', blocks: 0 });
    expect(calls).toBe(0);
    const six = await first.read(ids(1, 2, 3, 4, 5, 6), items);
    expect([six.blocks, calls]).toEqual([2, 2]);
    expect(six.summary.startsWith('The user appears to have a preference for')).toBe(true);
    expect(await first.read(ids(1, 2, 3, 4, 5, 6, 7), items)).toEqual(six); // a partial block waits
    expect(calls).toBe(2);

    // a reload: a new memory over the same store reads the kept summary back, no LM call
    const again = memory(h);
    calls = 0;
    expect(await again.read(ids(1, 2, 3, 4, 5, 6), items)).toEqual(six);
    expect(calls).toBe(0);
    const nine = await again.read(ids(1, 2, 3, 4, 5, 6, 7, 8, 9), items);
    expect([nine.blocks, calls]).toEqual([3, 1]);
    const kept = (await h.summary(again.provider))!;
    expect(kept).toMatchObject({ provider: 'gen-summary(hf-lm:tiny-gpt2)', blocks: 3, items: ['sku-1', 'sku-2', 'sku-3', 'sku-4', 'sku-5', 'sku-6', 'sku-7', 'sku-8', 'sku-9'], text: nine.summary });

    // the same text as the recurrence over all three blocks from nothing
    const gen = new GenerativeSummarizer(real, { maxNewTokens: 6 });
    const ref = await gen.advance({ summary: '', blocks: 0 }, await Promise.all([1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => itemOf(i, items))));
    expect(nine).toEqual(ref);
    // exported and cleared with the history
    expect(JSON.parse(await h.exportJSON()).summaries).toEqual([expect.objectContaining({ provider: again.provider, text: nine.summary })]);
    await h.clear();
    calls = 0;
    expect(await again.read(ids(1, 2), items)).toEqual({ summary: '', blocks: 0 });
    expect(await h.summary(again.provider)).toBeUndefined();
  });

  it('starts again when the history no longer starts with the blocks it read, from the newest maxBlocks blocks only', async () => {
    const h = await store();
    const m = memory(h, 2);
    calls = 0;
    await m.read(ids(1, 2, 3, 4, 5, 6), items);
    expect(calls).toBe(2);
    // another first event (a late one, a trim): the kept text is not this history's
    calls = 0;
    const other = await m.read(ids(9, 2, 3, 4, 5, 6), items);
    expect([other.blocks, calls]).toEqual([2, 2]);
    // 5 complete blocks, nothing kept: only the newest 2 are summarised
    await h.clear();
    calls = 0;
    const long = await m.read(ids(...Array.from({ length: 15 }, (_, i) => i + 1)), items);
    expect([long.blocks, calls]).toEqual([5, 2]);
    const gen = new GenerativeSummarizer(real, { maxNewTokens: 6 });
    const ref = await gen.advance({ summary: '', blocks: 3 }, await Promise.all(Array.from({ length: 15 }, (_, i) => itemOf(i + 1, items))));
    expect(long).toEqual(ref);
    // kept() generates nothing
    calls = 0;
    expect(await m.kept(ids(...Array.from({ length: 18 }, (_, i) => i + 1)), items)).toEqual(long);
    expect(calls).toBe(0);
  });

  it("ignores another summarizer's record and a malformed one", async () => {
    const h = await store();
    const m = memory(h);
    await h.putSummary({ provider: m.provider, source: 'blocks of 4, 6 new tokens', blocks: 1, items: ['sku-1', 'sku-2', 'sku-3'], states: new Float32Array(0), text: 'stale', updatedAt: 1 });
    calls = 0;
    expect((await m.read(ids(1, 2, 3), items)).summary).not.toBe('stale');
    expect(calls).toBe(1);
    await h.putSummary({ provider: m.provider, source: m.source, blocks: 2, items: ['sku-1', 'sku-2', 'sku-3'], states: new Float32Array(0), text: 'bad', updatedAt: 1 });
    calls = 0;
    expect((await m.read(ids(1, 2, 3), items)).summary).not.toBe('bad');
    expect(calls).toBe(1);
    // the store refuses a text that is not one
    await expect(h.putSummary({ provider: m.provider, source: m.source, blocks: 1, items: ['sku-1', 'sku-2', 'sku-3'], states: new Float32Array(0), text: 5 as never, updatedAt: 1 })).rejects.toMatchObject({ code: 'BAD_INPUT', field: 'text' });
  });
});
