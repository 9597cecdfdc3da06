import 'fake-indexeddb/auto';
import { forceCloseDatabase } from 'fake-indexeddb';
import { openDB } from 'idb';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { isMolarError, type MolarErrorCode } from '../errors.js';
import { INPUT_LIMITS } from '../data/table.js';
import { DB_VERSION, HistoryStore, type HistoryExport } from './index.js';
import { MAX_ITEM_ID_CHARS } from './store.js';

let dbCounter = 0;
/** a fresh database per test, as idb's own tests do with a version counter */
const freshCfg = (maxEvents = 500) => ({ dbName: `history-test-${++dbCounter}`, maxEvents });
const quiet = { onWarning: () => {} };
const open: HistoryStore[] = [];
async function openStore(ns: string, cfg = freshCfg(), opts = {}) {
  const s = await HistoryStore.open(ns, cfg, { ...quiet, ...opts });
  open.push(s);
  return s;
}
afterEach(() => {
  for (const s of open.splice(0)) s.close();
});

async function expectMolar(p: Promise<unknown> | (() => unknown), code: MolarErrorCode, field?: string) {
  let err: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    err = e;
  }
  expect(isMolarError(err, code), String(err)).toBe(true);
  if (field) expect((err as { field?: string }).field).toBe(field);
}

describe('HistoryStore on IndexedDB', () => {
  it('lists events oldest first by ts, ties in recording order, and gives the item sequence', async () => {
    const h = await openStore('shop-a');
    expect(h.persistent).toBe(true);
    await h.record({ itemId: 'b', type: 'click', ts: 2000 });
    await h.record({ itemId: 'a', type: 'view', ts: 1000 });
    await h.record({ itemId: 'c', type: 'add_to_cart', ts: 2000 });
    await h.record({ itemId: 'd', type: 'purchase', ts: 3000 });
    expect(await h.list()).toEqual([
      { itemId: 'a', type: 'view', ts: 1000 },
      { itemId: 'b', type: 'click', ts: 2000 },
      { itemId: 'c', type: 'add_to_cart', ts: 2000 },
      { itemId: 'd', type: 'purchase', ts: 3000 },
    ]);
    expect(await h.itemSequence()).toEqual(['a', 'b', 'c', 'd']);
    expect(await h.itemSequence(['click', 'purchase'])).toEqual(['b', 'd']);
  });

  it('stamps events without ts from the clock', async () => {
    const h = await openStore('shop', freshCfg(), { now: () => 1234 });
    expect(await h.record({ itemId: 'x', type: 'view' })).toEqual({ itemId: 'x', type: 'view', ts: 1234 });
  });

  it('keeps at most maxEvents, dropping the oldest', async () => {
    const h = await openStore('shop', freshCfg(3));
    for (let i = 1; i <= 7; i++) await h.record({ itemId: `i${i}`, type: 'view', ts: i });
    expect(await h.itemSequence()).toEqual(['i5', 'i6', 'i7']);
    // a late event with an old timestamp is itself the oldest, so it is the one dropped
    await h.record({ itemId: 'late', type: 'view', ts: 0 });
    expect(await h.itemSequence()).toEqual(['i5', 'i6', 'i7']);
  });

  it('isolates namespaces in one database; clear() forgets one, clearAll() every one', async () => {
    const cfg = freshCfg();
    const a = await openStore('https://a.example/bundle/', cfg);
    const b = await openStore('https://b.example/bundle/', cfg);
    await a.record({ itemId: 'a1', type: 'view', ts: 1 });
    await b.record({ itemId: 'b1', type: 'view', ts: 1 });
    await a.addItem({ id: 'new-a', title: 'A' });
    await b.addItem({ id: 'new-b', title: 'B' });
    expect(await a.itemSequence()).toEqual(['a1']);
    expect(await b.itemSequence()).toEqual(['b1']);
    expect((await a.addedItems()).map((i) => i.id)).toEqual(['new-a']);

    await a.clear();
    expect(await a.list()).toEqual([]);
    expect(await a.addedItems()).toEqual([]);
    expect(await b.itemSequence()).toEqual(['b1']);
    expect((await b.addedItems()).map((i) => i.id)).toEqual(['new-b']);

    await a.record({ itemId: 'a2', type: 'view', ts: 2 });
    await b.clearAll();
    expect(await a.list()).toEqual([]);
    expect(await b.list()).toEqual([]);
    expect(await b.addedItems()).toEqual([]);
  });

  it('exports a JSON document with namespace, schema version and events', async () => {
    const h = await openStore('shop', freshCfg(), { now: () => Date.UTC(2026, 10, 23) });
    await h.record({ itemId: 'x', type: 'view', ts: 5 });
    await h.record({ itemId: 'y', type: 'purchase', ts: 6 });
    const doc = JSON.parse(await h.exportJSON()) as HistoryExport;
    expect(doc).toEqual({
      format: 'molar-history',
      namespace: 'shop',
      schemaVersion: DB_VERSION,
      exportedAt: '2026-11-23T00:00:00.000Z',
      events: [
        { itemId: 'x', type: 'view', ts: 5 },
        { itemId: 'y', type: 'purchase', ts: 6 },
      ],
      summaries: [],
    });
  });

  it('keeps a preference summary state per provider beside the events, exports it and forgets it with them', async () => {
    const cfg = freshCfg();
    const h = await openStore('shop', cfg, { now: () => 7 });
    const other = await openStore('other', cfg);
    const rec = { provider: 'msr', source: 'sha-a:sha-b', blocks: 1, items: ['x', 'y', 'z'], states: Float32Array.of(0.25, -1), updatedAt: 7 };
    await h.record({ itemId: 'x', type: 'view', ts: 1 });
    await h.putSummary(rec);
    await other.putSummary({ ...rec, items: ['o', 'o', 'o'] });
    expect(await h.summary('gen')).toBeUndefined();
    const back = await h.summary('msr');
    expect(back).toEqual(rec);
    expect(back!.states).toBeInstanceOf(Float32Array);
    expect((JSON.parse(await h.exportJSON()) as HistoryExport).summaries).toEqual([{ ...rec, states: [0.25, -1] }]);
    await h.putSummary({ ...rec, blocks: 0, items: [], states: new Float32Array(0) }); // replaces
    expect((await h.summary('msr'))!.blocks).toBe(0);
    await expectMolar(h.putSummary({ ...rec, states: [1, 2] as never }), 'BAD_INPUT', 'states');
    await expectMolar(h.putSummary({ ...rec, provider: '' }), 'BAD_INPUT', 'provider');
    await h.clear();
    expect(await h.summary('msr')).toBeUndefined();
    expect((await other.summary('msr'))!.items).toEqual(['o', 'o', 'o']);
    await h.putSummary(rec);
    await other.clearAll();
    expect(await h.summary('msr')).toBeUndefined();
    expect(await other.summary('msr')).toBeUndefined();
  });

  it('exports hostile item ids as data: the document parses back to the same events and sets no prototype', async () => {
    const h = await openStore('shop');
    const hostile = ['</script><script>alert(1)</script>', '"},{"itemId":"injected', '\u2028\u2029line separators', '__proto__', 'constructor', '\u0000nul', '\ud83d\ude00', 'x'.repeat(65_536)];
    for (const [i, itemId] of hostile.entries()) await h.record({ itemId, type: 'view', ts: i });
    const text = await h.exportJSON();
    const doc = JSON.parse(text) as HistoryExport;
    expect(doc.events.map((e) => e.itemId)).toEqual(hostile);
    expect(doc.events).toHaveLength(hostile.length); // the quote in an id did not add an event
    expect(Object.getPrototypeOf(doc.events[3])).toBe(Object.prototype);
    expect(MAX_ITEM_ID_CHARS).toBe(INPUT_LIMITS.fieldChars); // the catalog's own limit
    await expectMolar(h.record({ itemId: 'y'.repeat(MAX_ITEM_ID_CHARS + 1), type: 'view' }), 'BAD_INPUT', 'itemId');
    expect((await h.list()).length).toBe(hostile.length);
  });

  it('rejects bad events naming the field, and stores nothing for them', async () => {
    const h = await openStore('shop');
    await expectMolar(h.record({ itemId: '', type: 'view' }), 'BAD_INPUT', 'itemId');
    await expectMolar(h.record({ itemId: 'x', type: 'like' as never }), 'BAD_INPUT', 'type');
    await expectMolar(h.record({ itemId: 'x', type: 'view', ts: NaN }), 'BAD_INPUT', 'ts');
    await expectMolar(h.record({ itemId: 'x', type: 'view', ts: Infinity }), 'BAD_INPUT', 'ts');
    await expectMolar(h.addItem({ id: '' }), 'BAD_INPUT', 'id');
    expect(await h.list()).toEqual([]);
    await expectMolar(HistoryStore.open('', freshCfg()), 'BAD_INPUT', 'namespace');
    await expectMolar(HistoryStore.open('ns', { dbName: 'x', maxEvents: 0 }), 'BAD_CONFIG', 'history.maxEvents');
  });

  it('keeps events and added items (with vectors) across close and reopen', async () => {
    const cfg = freshCfg();
    const h1 = await HistoryStore.open('shop', cfg, quiet);
    await h1.record({ itemId: 'x', type: 'click', ts: 10 });
    await h1.addItem({ id: 'sku-new', title: 'New', price: 3 }, new Float32Array([0.5, -1, 2]));
    h1.close();
    h1.close();
    await expectMolar(h1.list(), 'DISPOSED');

    const h2 = await openStore('shop', cfg);
    expect(await h2.list()).toEqual([{ itemId: 'x', type: 'click', ts: 10 }]);
    const [item] = await h2.addedItems();
    expect(item.record).toEqual({ id: 'sku-new', title: 'New', price: 3 });
    expect(item.vector).toBeInstanceOf(Float32Array);
    expect(Array.from(item.vector!)).toEqual([0.5, -1, 2]);
    await h2.addItem({ id: 'sku-new', title: 'Renamed' });
    expect((await h2.addedItems()).map((i) => [i.id, i.record.title, i.vector])).toEqual([['sku-new', 'Renamed', undefined]]);
  });

  it('migrates a hand-made v1 database, keeping its events in order', async () => {
    const cfg = freshCfg(3);
    // the v1 schema written out by hand, not through migrate(), so a change to migrate() cannot hide a break
    const v1 = await openDB(cfg.dbName, 1, {
      upgrade(db) {
        db.createObjectStore('events', { keyPath: 'seq', autoIncrement: true }).createIndex('by-ns', 'ns');
      },
    });
    await v1.add('events', { ns: 'shop', itemId: 'old2', type: 'view', ts: 20 });
    await v1.add('events', { ns: 'shop', itemId: 'old1', type: 'click', ts: 10 });
    await v1.add('events', { ns: 'other', itemId: 'o', type: 'view', ts: 5 });
    v1.close();

    const h = await openStore('shop', cfg);
    expect(await h.list()).toEqual([
      { itemId: 'old1', type: 'click', ts: 10 },
      { itemId: 'old2', type: 'view', ts: 20 },
    ]);
    await h.addItem({ id: 'fresh' }); // the v2 store exists
    await h.record({ itemId: 'n1', type: 'view', ts: 30 });
    await h.record({ itemId: 'n2', type: 'view', ts: 40 });
    expect(await h.itemSequence()).toEqual(['old2', 'n1', 'n2']); // trim walks the new ts index
    const raw = await openDB(cfg.dbName);
    expect(raw.version).toBe(DB_VERSION);
    expect(await raw.countFromIndex('events', 'by-ns', 'other')).toBe(1);
    raw.close();
  });

  it('migrates a hand-made v3 database to v4, keeping every event, added item and summary; item texts are kept and forgotten with the namespace', async () => {
    const cfg = freshCfg();
    // the v3 schema written out by hand, as the v1 test does
    const v3 = await openDB(cfg.dbName, 3, {
      upgrade(db) {
        const events = db.createObjectStore('events', { keyPath: 'seq', autoIncrement: true });
        events.createIndex('by-ns', 'ns');
        events.createIndex('by-ns-ts', ['ns', 'ts']);
        db.createObjectStore('addedItems', { keyPath: ['ns', 'id'] }).createIndex('by-ns', 'ns');
        db.createObjectStore('summaries', { keyPath: ['ns', 'provider'] }).createIndex('by-ns', 'ns');
      },
    });
    const events = Array.from({ length: 12 }, (_, i) => ({ ns: i % 3 === 0 ? 'other' : 'shop', itemId: `i${i}`, type: 'view', ts: 100 + i }));
    for (const ev of events) await v3.add('events', ev);
    await v3.put('addedItems', { ns: 'shop', id: 'sku-new', record: { id: 'sku-new', title: 'New' }, addedAt: 5 });
    await v3.put('summaries', { ns: 'shop', provider: 'gen', source: 's', blocks: 1, items: ['i1', 'i2', 'i4'], states: new Float32Array(0), text: 'kept', updatedAt: 7 });
    v3.close();

    const h = await openStore('shop', cfg);
    expect(await h.list()).toEqual(events.filter((e) => e.ns === 'shop').map(({ itemId, type, ts }) => ({ itemId, type, ts })));
    expect((await h.addedItems()).map((i) => i.id)).toEqual(['sku-new']);
    expect((await h.summary('gen'))?.text).toBe('kept');
    const raw = await openDB(cfg.dbName);
    expect(raw.version).toBe(4);
    raw.close();
    // the v4 store: one text per item, replaced by a second put, checked, not exported
    await h.putItemText({ id: 'sku-new', source: 'cap a', text: 'a mug', updatedAt: 1 });
    await h.putItemText({ id: 'sku-new', source: 'cap b', text: 'a blue mug', updatedAt: 2 });
    expect(await h.itemText('sku-new')).toEqual({ id: 'sku-new', source: 'cap b', text: 'a blue mug', updatedAt: 2 });
    await expectMolar(h.putItemText({ id: 'sku-new', source: 'cap', text: 5 as never, updatedAt: 1 }), 'BAD_INPUT', 'text');
    await expectMolar(h.putItemText({ id: '', source: 'cap', text: 't', updatedAt: 1 }), 'BAD_INPUT', 'id');
    expect(Object.keys(JSON.parse(await h.exportJSON()))).not.toContain('itemTexts');
    const other = await openStore('other', cfg);
    await other.putItemText({ id: 'o', source: 'cap', text: 'other shop', updatedAt: 1 });
    // clear() forgets this namespace's, clearAll() every namespace's
    await h.clear();
    expect(await h.itemText('sku-new')).toBeUndefined();
    expect((await other.itemText('o'))?.text).toBe('other shop');
    await h.putItemText({ id: 'sku-new', source: 'cap', text: 'again', updatedAt: 3 });
    await h.clearAll();
    expect(await h.itemText('sku-new')).toBeUndefined();
    expect(await other.itemText('o')).toBeUndefined();
  });

  it('migrates a hand-made v2 database to v3 (and on), keeping every event and added item', async () => {
    const cfg = freshCfg();
    // the v2 schema written out by hand, as the v1 test does
    const v2 = await openDB(cfg.dbName, 2, {
      upgrade(db) {
        const events = db.createObjectStore('events', { keyPath: 'seq', autoIncrement: true });
        events.createIndex('by-ns', 'ns');
        events.createIndex('by-ns-ts', ['ns', 'ts']);
        db.createObjectStore('addedItems', { keyPath: ['ns', 'id'] }).createIndex('by-ns', 'ns');
      },
    });
    const events = Array.from({ length: 40 }, (_, i) => ({ ns: i % 4 === 0 ? 'other' : 'shop', itemId: `i${i}`, type: 'view', ts: 1000 - i }));
    for (const ev of events) await v2.add('events', ev);
    await v2.put('addedItems', { ns: 'shop', id: 'sku-new', record: { id: 'sku-new', title: 'New' }, vector: Float32Array.of(1, 2), addedAt: 5 });
    v2.close();

    const h = await openStore('shop', cfg);
    const want = events.filter((e) => e.ns === 'shop').sort((a, b) => a.ts - b.ts).map(({ itemId, type, ts }) => ({ itemId, type, ts }));
    expect(await h.list()).toEqual(want);
    const [item] = await h.addedItems();
    expect([item.id, item.record.title, Array.from(item.vector!)]).toEqual(['sku-new', 'New', [1, 2]]);
    await h.putSummary({ provider: 'msr', source: 's', blocks: 0, items: [], states: new Float32Array(0), updatedAt: 1 }); // the v3 store exists
    expect((await h.summary('msr'))!.source).toBe('s');
    const raw = await openDB(cfg.dbName);
    expect(raw.version).toBe(DB_VERSION);
    expect(await raw.countFromIndex('events', 'by-ns', 'other')).toBe(10);
    expect(await raw.count('events')).toBe(40);
    raw.close();
  });

  it('closes when another tab upgrades (blocking), and falls back if the schema moved past it', async () => {
    const cfg = freshCfg();
    const warnings: string[] = [];
    const h = await openStore('shop', cfg, { onWarning: (m: string) => warnings.push(m) });
    await h.record({ itemId: 'x', type: 'view', ts: 1 });
    const blocked = vi.fn();
    // without the blocking handler this open would wait forever on our connection
    const newer = await openDB(cfg.dbName, DB_VERSION + 1, { blocked });
    expect(blocked).not.toHaveBeenCalled();
    newer.close();
    // our version is now too old to reopen: memory from here on, with a warning, and no throw
    await h.record({ itemId: 'y', type: 'view', ts: 2 });
    expect(h.persistent).toBe(false);
    expect(await h.itemSequence()).toEqual(['y']);
    expect(warnings.some((w) => w.includes('memory'))).toBe(true);
  });

  it('switches to memory with a warning when the browser terminates the connection', async () => {
    const warn = vi.fn();
    const { store: h, conn } = await withConnection(() => openStore('shop', freshCfg(), { onWarning: warn }));
    await h.record({ itemId: 'x', type: 'view', ts: 1 });
    expect(conn).toBeDefined();
    forceCloseDatabase(conn as never); // its .d.ts types the argument as the class, not an instance
    // the close event is delivered as a later task; under load more than one task later (CI saw it late)
    await vi.waitFor(() => expect(h.persistent).toBe(false));
    expect(warn).toHaveBeenCalledOnce();
    await h.record({ itemId: 'y', type: 'view', ts: 2 });
    expect(await h.itemSequence()).toEqual(['y']);
  });
});

/** Opens a store while capturing the connection idb opens for it, so a test can act on exactly that one. */
async function withConnection<T>(open: () => Promise<T>): Promise<{ store: T; conn: IDBDatabase | undefined }> {
  const realOpen = indexedDB.open.bind(indexedDB);
  let conn: IDBDatabase | undefined;
  const spy = vi.spyOn(indexedDB, 'open').mockImplementation((name, version) => {
    const req = realOpen(name, version);
    req.addEventListener('success', () => (conn = req.result));
    return req;
  });
  const store = await open().finally(() => spy.mockRestore());
  return { store, conn };
}

describe('Safari TransactionInactiveError', () => {
  async function storeWithFlakyTransactions(failures: number) {
    const { store: h, conn } = await withConnection(() => openStore('shop'));
    const realTx = conn!.transaction.bind(conn!);
    let left = failures;
    // what WebKit throws when a transaction is used after the task that opened it ended
    conn!.transaction = ((...args: Parameters<IDBDatabase['transaction']>) => {
      if (left-- > 0) throw new DOMException('The transaction is inactive or finished.', 'TransactionInactiveError');
      return realTx(...args);
    }) as IDBDatabase['transaction'];
    return h;
  }

  it('retries once and writes the event exactly once', async () => {
    const h = await storeWithFlakyTransactions(1);
    await h.record({ itemId: 'x', type: 'view', ts: 1 });
    expect(await h.list()).toEqual([{ itemId: 'x', type: 'view', ts: 1 }]);
  });

  it('gives up after the one retry and reports the error, as a MolarError caused by it', async () => {
    const h = await storeWithFlakyTransactions(2);
    const e = await h.record({ itemId: 'x', type: 'view', ts: 1 }).catch((x) => x);
    expect(isMolarError(e, 'IO')).toBe(true);
    expect(e.cause).toMatchObject({ name: 'TransactionInactiveError' });
    expect(h.persistent).toBe(true);
  });
});

describe('HistoryStore without IndexedDB', () => {
  it('falls back to memory with a warning, same behaviour', async () => {
    const saved = globalThis.indexedDB;
    // @ts-expect-error simulating a browser (private mode, old WebView) without IndexedDB
    delete globalThis.indexedDB;
    try {
      const warn = vi.fn();
      const cfg = freshCfg(2);
      const h = await openStore('shop', cfg, { onWarning: warn });
      expect(h.persistent).toBe(false);
      expect(warn).toHaveBeenCalledOnce();
      for (let i = 1; i <= 3; i++) await h.record({ itemId: `i${i}`, type: 'view', ts: i });
      await h.record({ itemId: 'early', type: 'view', ts: 2.5 });
      expect(await h.itemSequence()).toEqual(['early', 'i3']);
      await h.addItem({ id: 'z' });
      await h.addItem({ id: 'a' });
      expect((await h.addedItems()).map((i) => i.id)).toEqual(['a', 'z']);
      await h.clearAll();
      expect(await h.list()).toEqual([]);
      await expectMolar(HistoryStore.open('shop', freshCfg(), { strict: true }), 'HISTORY_UNAVAILABLE');
    } finally {
      globalThis.indexedDB = saved;
    }
  });
});
