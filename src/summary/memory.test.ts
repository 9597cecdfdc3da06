import 'fake-indexeddb/auto';
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ItemRecord } from '../bundle/manifest.js';
import { HistoryStore } from '../history/index.js';
import { resolveMsrConfig } from '../models/msr/config.js';
import { MsrModel } from '../models/msr/model.js';
import { mulberry32 } from '../random.js';
import { MSR_PROVIDER, SummaryMemory } from './memory.js';

const N = 30;
const items: ItemRecord[] = Array.from({ length: N }, (_, i) => ({ id: `it-${i + 1}` }));
let db = 0;
const open: HistoryStore[] = [];
const models: MsrModel[] = [];
afterEach(() => {
  open.splice(0).forEach((h) => h.close());
  models.splice(0).forEach((m) => m.dispose());
});

/** a small untrained model (random weights are as good as trained ones for equality), window of 4 blocks of 3 */
function model(seed = 5): MsrModel {
  const rnd = mulberry32(seed);
  const d = 5;
  const vectors = Float32Array.from({ length: (N + 1) * d }, (_, i) => (i < d ? 0 : rnd() * 2 - 1));
  const m = new MsrModel(resolveMsrConfig({ numItems: N, itemDim: d, hidden: 8, rerankHidden: 8, blockSize: 3, maxBlocks: 4, seed }), vectors);
  models.push(m);
  return m;
}

async function store(maxEvents = 500) {
  const h = await HistoryStore.open('shop', { dbName: `memory-test-${++db}`, maxEvents }, { onWarning: () => {} });
  open.push(h);
  return h;
}

/** the state computed from scratch, as the re-ranker did before the memory */
async function scratch(m: MsrModel, history: Int32Array): Promise<Float32Array> {
  const t = m.summaryStates([history]);
  const v = (await t.data()) as Float32Array;
  t.dispose();
  return v;
}

const historyIds = async (h: HistoryStore) => Int32Array.from((await h.itemSequence()).map((id) => Number(id.slice(3))));
const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i])), 0);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('SummaryMemory: stage 2 kept beside the history', () => {
  it('after each of 40 records the kept state equals the one computed from scratch (1e-5), past the 4-block window, with one GRU step per completed block and no tensor left', async () => {
    const m = model();
    const h = await store();
    const memory = new SummaryMemory(m, h, 'sha');
    const steps = vi.spyOn(m, 'stepSummary');
    const rnd = mulberry32(9);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 40; i++) {
      await h.record({ itemId: `it-${1 + Math.floor(rnd() * N)}`, type: 'view', ts: i });
      const seq = await historyIds(h);
      const kept = await memory.state(seq, items);
      expect(maxDiff(kept, await scratch(m, seq)), `after ${i + 1} records`).toBeLessThan(1e-5);
    }
    // 40 records = 13 complete blocks: each stepped once, when it completed
    const stepped = steps.mock.calls.map(([, , blocks]) => blocks.length);
    expect(stepped.reduce((a, b) => a + b, 0)).toBe(13);
    expect(Math.max(...stepped)).toBe(1);
    expect(tf.memory().numTensors).toBe(before);
    const r = (await h.summary(MSR_PROVIDER))!;
    expect([r.blocks, r.items.length, r.states.length]).toEqual([13, 39, 4 * 8]);
  });

  it('a new page (a new memory over the same store) goes on from the stored blocks; another bundle\'s state is read again', async () => {
    const m = model();
    const h = await store();
    for (let i = 0; i < 20; i++) await h.record({ itemId: `it-${(i * 7) % N + 1}`, type: 'view', ts: i });
    await new SummaryMemory(m, h, 'sha').state(await historyIds(h), items);
    for (let i = 20; i < 23; i++) await h.record({ itemId: `it-${(i * 7) % N + 1}`, type: 'view', ts: i });
    const seq = await historyIds(h);
    const steps = vi.spyOn(m, 'stepSummary');
    expect(maxDiff(await new SummaryMemory(m, h, 'sha').state(seq, items), await scratch(m, seq))).toBeLessThan(1e-5);
    expect(steps.mock.calls.map(([, , b]) => b.length).filter((n) => n > 0)).toEqual([1]); // block 7 only
    steps.mockClear();
    // another bundle: the window is replayed from the history (its newest 4 blocks), not from the start
    expect(maxDiff(await new SummaryMemory(m, h, 'other-sha').state(seq, items), await scratch(m, seq))).toBeLessThan(1e-5);
    expect(steps.mock.calls.map(([, , b]) => b.length).filter((n) => n > 0)).toEqual([4]);
    expect((await h.summary(MSR_PROVIDER))!.source).toBe('other-sha');
  });

  it('a history trimmed to maxEvents, cleared, or changed in its middle (a late event) is read again, still equal to the state from scratch', async () => {
    const m = model();
    const h = await store(10);
    const memory = new SummaryMemory(m, h, 'sha');
    const check = async (what: string) => {
      await h.settled();
      const seq = await historyIds(h);
      expect(maxDiff(await memory.state(seq, items), await scratch(m, seq)), what).toBeLessThan(1e-5);
    };
    for (let i = 0; i < 25; i++) {
      await h.record({ itemId: `it-${(i * 11) % N + 1}`, type: 'view', ts: 100 + i });
      await check(`trimmed, record ${i + 1}`);
    }
    await h.record({ itemId: 'it-3', type: 'view', ts: 118.5 }); // lands inside the kept blocks
    await check('a late event');
    await h.clear();
    await check('cleared');
    expect((await h.summary(MSR_PROVIDER))!.blocks).toBe(0);
    await h.record({ itemId: 'it-4', type: 'view', ts: 1 });
    await check('after clear');
    // cleared, then the same history again: the state is written back, so an export holds it
    const again = await historyIds(h);
    for (let i = 0; i < 5; i++) await h.record({ itemId: 'it-5', type: 'view', ts: 2 + i });
    await check('six events');
    await h.clear();
    for (const [i, id] of [...again, 5, 5, 5, 5, 5].entries()) await h.record({ itemId: `it-${id}`, type: 'view', ts: 1 + i });
    await check('the same six after a clear');
    expect((await h.summary(MSR_PROVIDER))!.blocks).toBe(2);
  });

  it('a kept state that is malformed (wrong length, non-finite) is not read: it is recomputed', async () => {
    const m = model();
    const h = await store();
    for (let i = 0; i < 9; i++) await h.record({ itemId: `it-${i + 1}`, type: 'view', ts: i });
    const seq = await historyIds(h);
    const good = await scratch(m, seq);
    await h.putSummary({ provider: MSR_PROVIDER, source: 'sha', blocks: 3, items: Array.from(seq, (id) => `it-${id}`), states: new Float32Array(3 * 8).fill(NaN), updatedAt: 0 });
    expect(maxDiff(await new SummaryMemory(m, h, 'sha').state(seq, items), good)).toBeLessThan(1e-5);
    await h.putSummary({ provider: MSR_PROVIDER, source: 'sha', blocks: 3, items: Array.from(seq, (id) => `it-${id}`), states: new Float32Array(5), updatedAt: 0 });
    expect(maxDiff(await new SummaryMemory(m, h, 'sha').state(seq, items), good)).toBeLessThan(1e-5);
  });
});
