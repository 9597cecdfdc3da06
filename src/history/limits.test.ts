/** The history store at its limits (issue 21 §6, §7): a full storage quota, and histories far over maxEvents. */
import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isMolarError } from '../errors.js';
import type { WarningCode } from '../warnings.js';
import { IdbBackend } from './backends.js';
import { fakeQuota } from './quota-fake.js';
import { HistoryStore, QUOTA_DROP_FRACTION, TRIM_BATCH } from './store.js';
import type { HistoryDB } from './schema.js';

let dbCounter = 0;
const freshCfg = (maxEvents = 500) => ({ dbName: `limits-test-${++dbCounter}`, maxEvents });
const stores: HistoryStore[] = [];
afterEach(() => {
  for (const s of stores.splice(0)) s.close();
  vi.restoreAllMocks();
});

async function openStore(cfg = freshCfg(), strict = false) {
  const warnings: { message: string; code?: WarningCode }[] = [];
  const h = await HistoryStore.open('shop', cfg, { strict, onWarning: (message, _cause, code) => warnings.push({ message, code }) });
  stores.push(h);
  return { h, warnings };
}

const droppedIn = (warnings: { message: string }[]) => warnings.reduce((n, w) => n + Number(/dropped the (\d+) oldest/.exec(w.message)?.[1] ?? 0), 0);
const ids = (n: number) => Array.from({ length: n }, (_, i) => `i${i}`);

describe('a full storage quota', () => {
  it('drops the oldest events by the policy, warns HISTORY_TRIMMED, and loses nothing else', async () => {
    const { h, warnings } = await openStore();
    fakeQuota(50, true);
    const recorded = ids(120);
    for (const [i, itemId] of recorded.entries()) await h.record({ itemId, type: 'view', ts: i });
    expect(h.persistent).toBe(true);
    const kept = await h.itemSequence();
    const dropped = droppedIn(warnings);
    expect(dropped).toBeGreaterThan(0);
    expect(warnings.every((w) => w.code === 'HISTORY_TRIMMED')).toBe(true);
    // what is left is exactly what was recorded, minus the oldest the warnings reported
    expect(kept).toEqual(recorded.slice(dropped));
    // each clean-up drops a tenth of what is stored, no more
    expect(warnings.length).toBeGreaterThan(1);
    for (const w of warnings) {
      const [, n, of] = /dropped the (\d+) oldest of (\d+)/.exec(w.message)!.map(Number);
      expect(n).toBe(Math.ceil(of * QUOTA_DROP_FRACTION));
    }
  });

  it('when dropping frees no space, keeps everything stored (events and added items) in memory and goes on there', async () => {
    const { h, warnings } = await openStore();
    await h.addItem({ id: 'new', title: 'New' }, new Float32Array([1, 2]));
    fakeQuota(40, false);
    const recorded = ids(60);
    for (const [i, itemId] of recorded.entries()) await h.record({ itemId, type: 'view', ts: i });
    expect(h.persistent).toBe(false);
    expect(warnings.map((w) => w.code)).toEqual(['HISTORY_TRIMMED', 'HISTORY_NOT_PERSISTENT']);
    expect(droppedIn(warnings)).toBe(4); // a tenth of the 40 stored when the quota was met
    expect(await h.itemSequence()).toEqual(recorded.slice(4));
    const [item] = await h.addedItems();
    expect(item).toMatchObject({ id: 'new', record: { title: 'New' } });
    expect(Array.from(item.vector!)).toEqual([1, 2]);
  });

  it('strict: rejects with a MolarError (IO) caused by the QuotaExceededError, never the raw DOMException', async () => {
    const { h } = await openStore(freshCfg(), true);
    fakeQuota(0, false);
    const e = await h.record({ itemId: 'x', type: 'view', ts: 1 }).catch((x) => x);
    expect(isMolarError(e, 'IO')).toBe(true);
    expect(e.cause).toMatchObject({ name: 'QuotaExceededError' });
  });
});

/** A database whose namespace "shop" already holds `n` events (ts 0..n-1), as an old version could leave it. */
async function seeded(n: number, maxEvents: number) {
  const cfg = freshCfg(maxEvents);
  (await openStore(cfg)).h.close(); // creates the schema
  const raw = await openDB<HistoryDB>(cfg.dbName);
  const tx = raw.transaction('events', 'readwrite');
  await Promise.all([...Array.from({ length: n }, (_, i) => tx.store.add({ ns: 'shop', itemId: `old${i}`, type: 'view', ts: i })), tx.done]);
  raw.close();
  return cfg;
}

async function storedCount(dbName: string): Promise<number> {
  const db = await openDB<HistoryDB>(dbName);
  const n = await db.countFromIndex('events', 'by-ns', 'shop');
  db.close();
  return n;
}

describe('a history far over maxEvents', () => {
  it('record() does not wait for the trim, which runs in batches of TRIM_BATCH down to maxEvents', async () => {
    const cfg = await seeded(2050, 500);

    const batches: number[] = [];
    const trimTo = IdbBackend.prototype.trimTo;
    vi.spyOn(IdbBackend.prototype, 'trimTo').mockImplementation(async function (this: IdbBackend, ns, keep, limit) {
      const r = await trimTo.call(this, ns, keep, limit);
      if (r.dropped > 0) batches.push(r.dropped);
      return r;
    });
    const { h } = await openStore(cfg);
    await h.record({ itemId: 'newest', type: 'view', ts: 10_000 });
    const doneWhenRecordResolved = batches.length;
    // what the namespace serves is already bounded, before the trim has caught up
    const seq = await h.itemSequence();
    expect(seq).toHaveLength(500);
    expect(seq.at(-1)).toBe('newest');
    await h.settled();
    expect(doneWhenRecordResolved).toBeLessThan(batches.length);
    expect(Math.max(...batches)).toBeLessThanOrEqual(TRIM_BATCH);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(2051 - 500);
    expect(await h.itemSequence()).toEqual(seq);
    expect(await storedCount(cfg.dbName)).toBe(500);
  });

  it('a cut inside a run of equal timestamps keeps exactly the newest maxEvents, ties in recording order', async () => {
    const cfg = freshCfg(120);
    (await openStore(cfg)).h.close();
    const raw = await openDB<HistoryDB>(cfg.dbName);
    const tx = raw.transaction('events', 'readwrite');
    // 300 rows, 50 per timestamp: the 120th newest sits in the middle of a run of ties
    await Promise.all([...Array.from({ length: 300 }, (_, i) => tx.store.add({ ns: 'shop', itemId: `t${i}`, type: 'view', ts: Math.floor(i / 50) })), tx.done]);
    raw.close();
    const { h } = await openStore(cfg);
    await h.record({ itemId: 'new', type: 'view', ts: 5 }); // a tie with the newest run too
    await h.settled();
    expect(await storedCount(cfg.dbName)).toBe(120);
    expect(await h.itemSequence()).toEqual([...Array.from({ length: 119 }, (_, i) => `t${181 + i}`), 'new']);
  });

  it('two tabs trimming the same namespace at once drop the excess once, not twice', async () => {
    const cfg = await seeded(1000, 100);
    const [a, b] = [(await openStore(cfg)).h, (await openStore(cfg)).h];
    await Promise.all([a.record({ itemId: 'from-a', type: 'view', ts: 5000 }), b.record({ itemId: 'from-b', type: 'view', ts: 5001 })]);
    await Promise.all([a.settled(), b.settled()]);
    expect(await storedCount(cfg.dbName)).toBe(100);
    expect((await a.itemSequence()).slice(-3)).toEqual(['old999', 'from-a', 'from-b']);
  });
});

describe('close() during a background trim', () => {
  it('leaves no connection open behind it (one would block every later schema upgrade in this browser)', async () => {
    const cfg = await seeded(300, 10);
    const b = await IdbBackend.open(cfg.dbName, { onTerminated: () => {}, onWarning: () => {} });
    // a trim batch on its way to its transaction when the store closes (HistoryStore.close() during settled())
    const batch = b.trimTo('shop', 10, TRIM_BATCH).then(() => 'ran', (e: unknown) => (isMolarError(e) ? e.code : String(e)));
    b.close();
    expect(await batch).toBe('DISPOSED');
    let blocked = false;
    const upgraded = await Promise.race([openDB(cfg.dbName, 99, { blocked: () => (blocked = true) }), new Promise<null>((r) => setTimeout(r, 1000, null))]);
    expect(blocked).toBe(false);
    upgraded?.close();
  });
});
