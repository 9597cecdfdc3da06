/**
 * Where history rows live: IndexedDB when it opens, else process memory. HistoryStore picks one and
 * switches to memory if IndexedDB goes away mid-session.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { MolarError } from '../errors.js';
import { DB_VERSION, migrate, namespaceRange, type AddedItem, type HistoryDB, type HistoryEvent, type ItemTextRecord, type StoredEvent, type StoredItem, type StoredItemText, type StoredSummary, type SummaryRecord } from './schema.js';

export interface HistoryBackend {
  readonly persistent: boolean;
  add(ev: StoredEvent): Promise<void>;
  /** how many events `ns` holds */
  count(ns: string): Promise<number>;
  /**
   * deletes the oldest events of `ns` beyond the newest `keep`, at most `limit` of them, finding
   * them in the same transaction (so two tabs trimming at once cannot both delete the same excess);
   * `left` > 0 when some may stay over `keep` (the caller asks again until a call drops none)
   */
  trimTo(ns: string, keep: number, limit: number): Promise<{ dropped: number; left: number }>;
  /** the newest `limit` events of `ns`, oldest first */
  list(ns: string, limit: number): Promise<HistoryEvent[]>;
  putItem(item: StoredItem): Promise<void>;
  items(ns: string): Promise<AddedItem[]>;
  /** the preference summary state `provider` keeps for `ns` */
  summary(ns: string, provider: string): Promise<SummaryRecord | undefined>;
  putSummary(s: StoredSummary): Promise<void>;
  /** every provider's summary state of `ns` */
  summaries(ns: string): Promise<SummaryRecord[]>;
  /** the kept stage-1 text of added item `id` of `ns` */
  itemText(ns: string, id: string): Promise<ItemTextRecord | undefined>;
  putItemText(t: StoredItemText): Promise<void>;
  clear(ns: string): Promise<void>;
  clearAll(): Promise<void>;
  close(): void;
}

export interface IdbHooks {
  /** the connection was closed by the browser (storage cleared, disk error): stop using IndexedDB */
  onTerminated(): void;
  onWarning(message: string): void;
}

const stripEvent = ({ itemId, type, ts }: StoredEvent): HistoryEvent => ({ itemId, type, ts });
const stripSummary = ({ ns: _ns, ...s }: StoredSummary): SummaryRecord => s;
const stripItemText = ({ ns: _ns, ...t }: StoredItemText): ItemTextRecord => t;
const stripItem = ({ id, record, vector, addedAt }: StoredItem): AddedItem => (vector ? { id, record, vector, addedAt } : { id, record, addedAt });

/** Safari kills a transaction across a task boundary (idb #201); a closed connection needs reopening. Both are worth one retry. */
const RETRYABLE = new Set(['TransactionInactiveError', 'InvalidStateError']);
const errorName = (e: unknown) => (typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '');

/** The browser refused a write for lack of space (the error IndexedDB raises is the cause). */
export const isQuotaError = (e: unknown): boolean => e instanceof MolarError && errorName(e.cause) === 'QuotaExceededError';

/** What IndexedDB threw, as a MolarError (IO) with the DOMException as its cause: no raw DOMException leaves history/. */
function asMolarError(e: unknown): MolarError {
  if (e instanceof MolarError) return e;
  const what = errorName(e) === 'QuotaExceededError' ? 'the storage quota is full' : `${errorName(e) || 'error'}: ${(e as Error)?.message ?? String(e)}`;
  return new MolarError('IO', `history: IndexedDB refused the operation (${what})`, { cause: e });
}

export class IdbBackend implements HistoryBackend {
  readonly persistent = true;
  private db?: IDBPDatabase<HistoryDB>;
  /** close() was called: no operation may open a connection again (one left open blocks every later upgrade) */
  private closed = false;
  /** per namespace, the ts of the newest row this connection's trims deleted (see trimTo) */
  private readonly trimFloor = new Map<string, number>();

  private constructor(
    private readonly dbName: string,
    private readonly hooks: IdbHooks,
  ) {}

  static async open(dbName: string, hooks: IdbHooks): Promise<IdbBackend> {
    const b = new IdbBackend(dbName, hooks);
    await b.connection();
    return b;
  }

  private async connection(): Promise<IDBPDatabase<HistoryDB>> {
    if (this.closed) throw new MolarError('DISPOSED', `history database "${this.dbName}" was closed`);
    if (this.db) return this.db;
    if (typeof indexedDB === 'undefined') throw new MolarError('HISTORY_UNAVAILABLE', 'IndexedDB is not available in this context');
    try {
      this.db = await openDB<HistoryDB>(this.dbName, DB_VERSION, {
        upgrade: (db, oldVersion, _newVersion, tx) => migrate(db, oldVersion, tx),
        blocked: () => this.hooks.onWarning(`history: waiting for another tab to close "${this.dbName}" before upgrading it`),
        // another tab wants a newer schema: let it; the next call here reopens (or falls back if the schema moved past us)
        blocking: () => {
          this.db?.close();
          this.db = undefined;
        },
        terminated: () => {
          this.db = undefined;
          this.hooks.onTerminated();
        },
      });
    } catch (cause) {
      throw new MolarError('HISTORY_UNAVAILABLE', `could not open IndexedDB "${this.dbName}" at version ${DB_VERSION}: ${String(cause)}`, { cause });
    }
    return this.db;
  }

  /**
   * Every operation is one short transaction that awaits only its own requests, and is idempotent
   * (add and trimTo each commit all or nothing, and trimTo counts inside its own transaction), so retrying once after a Safari
   * TransactionInactiveError cannot write twice what committed once.
   */
  private async run<T>(fn: (db: IDBPDatabase<HistoryDB>) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.connection());
    } catch (e) {
      // closed while this call waited for its connection: the InvalidStateError is our own close()
      if (this.closed && !(e instanceof MolarError)) throw new MolarError('DISPOSED', `history database "${this.dbName}" was closed`, { cause: e });
      if (!RETRYABLE.has(errorName(e))) throw asMolarError(e);
      if (errorName(e) === 'InvalidStateError') this.db = undefined;
      return fn(await this.connection()).catch((again: unknown) => {
        throw asMolarError(again);
      });
    }
  }

  add(ev: StoredEvent): Promise<void> {
    return this.run(async (db) => {
      const tx = db.transaction('events', 'readwrite');
      // like idb's shortcut writes: resolve once committed, report the request's error first, leave no unhandled rejection
      await Promise.all([tx.store.add(ev), tx.done]);
    });
  }

  count(ns: string): Promise<number> {
    return this.run((db) => db.countFromIndex('events', 'by-ns', ns));
  }

  trimTo(ns: string, keep: number, limit: number): Promise<{ dropped: number; left: number }> {
    return this.run(async (db) => {
      // relaxed: a trim lost to a crash loses nothing (the next one redoes it), and a strict
      // commit's flush is time a record() queued behind this batch waits
      const tx = db.transaction('events', 'readwrite', { durability: 'relaxed' });
      const index = tx.store.index('by-ns-ts');
      // the oldest ts this connection's trims have left: rows below it are deleted, and a range
      // starting there seeks past their tombstones instead of walking them (LevelDB keeps them
      // until compaction, so every batch of a long trim got slower than the last)
      const floor = this.trimFloor.get(ns) ?? -Infinity;
      const work = async () => {
        // Not a count of the namespace: that reads every row, and a batch of a 100k-row history
        // then held the store (and a record() queued behind it) for tens of ms. From the newest,
        // step over the `keep` kept rows; the row reached and all before it are the excess.
        const newest = await index.openKeyCursor(namespaceRange(ns), 'prev');
        const cut = newest && keep > 0 ? await newest.advance(keep) : newest;
        if (!cut) return { dropped: 0, left: 0 };
        const [, cutTs] = cut.key as [string, number];
        const cutSeq = cut.primaryKey as number;
        // oldest first: rows before the cut's ts, then those at its ts up to it (ties are in seq order)
        let keys = floor < cutTs ? await index.getAllKeys(IDBKeyRange.bound([ns, floor], [ns, cutTs], false, true), limit) : [];
        if (keys.length < limit) keys = keys.concat((await index.getAllKeys(IDBKeyRange.only([ns, cutTs]))).filter((k) => k <= cutSeq).slice(0, limit - keys.length));
        // the last key deleted is the oldest row still to look at next time (ties at its ts included)
        const last = keys.length ? await tx.store.get(keys[keys.length - 1]) : undefined;
        if (last) this.trimFloor.set(ns, last.ts);
        // issued together, not one cursor step per row: the batch commits in a few ms, so a
        // record() queued behind it on the same store waits no longer than that
        await Promise.all(keys.map((k) => tx.store.delete(k)));
        // a full batch may have left more excess: the caller asks again, and an empty one ends it
        return { dropped: keys.length, left: keys.length === limit ? 1 : 0 };
      };
      const [result] = await Promise.all([work(), tx.done]);
      return result;
    });
  }

  list(ns: string, limit: number): Promise<HistoryEvent[]> {
    // all rows then the newest `limit`: the background trim keeps a namespace near maxEvents, and one
    // getAll is faster than a reverse cursor over the same rows
    return this.run(async (db) => (await db.getAllFromIndex('events', 'by-ns-ts', namespaceRange(ns))).slice(-limit).map(stripEvent));
  }

  putItem(item: StoredItem): Promise<void> {
    return this.run(async (db) => {
      const tx = db.transaction('addedItems', 'readwrite');
      await Promise.all([tx.store.put(item), tx.done]);
    });
  }

  items(ns: string): Promise<AddedItem[]> {
    return this.run(async (db) => (await db.getAllFromIndex('addedItems', 'by-ns', ns)).map(stripItem));
  }

  summary(ns: string, provider: string): Promise<SummaryRecord | undefined> {
    return this.run(async (db) => {
      const s = await db.get('summaries', [ns, provider]);
      return s && stripSummary(s);
    });
  }

  putSummary(s: StoredSummary): Promise<void> {
    return this.run(async (db) => {
      const tx = db.transaction('summaries', 'readwrite');
      await Promise.all([tx.store.put(s), tx.done]);
    });
  }

  summaries(ns: string): Promise<SummaryRecord[]> {
    return this.run(async (db) => (await db.getAllFromIndex('summaries', 'by-ns', ns)).map(stripSummary));
  }

  itemText(ns: string, id: string): Promise<ItemTextRecord | undefined> {
    return this.run(async (db) => {
      const t = await db.get('itemTexts', [ns, id]);
      return t && stripItemText(t);
    });
  }

  putItemText(t: StoredItemText): Promise<void> {
    return this.run(async (db) => {
      const tx = db.transaction('itemTexts', 'readwrite');
      await Promise.all([tx.store.put(t), tx.done]);
    });
  }

  clear(ns: string): Promise<void> {
    return this.run(async (db) => {
      const tx = db.transaction(['events', 'addedItems', 'summaries', 'itemTexts'], 'readwrite');
      const work = async () => {
        // a union of the two store types is not callable, so one loop each
        const events = tx.objectStore('events');
        for (const key of await events.index('by-ns').getAllKeys(ns)) await events.delete(key);
        const items = tx.objectStore('addedItems');
        for (const key of await items.index('by-ns').getAllKeys(ns)) await items.delete(key);
        const summaries = tx.objectStore('summaries');
        for (const key of await summaries.index('by-ns').getAllKeys(ns)) await summaries.delete(key);
        const texts = tx.objectStore('itemTexts');
        for (const key of await texts.index('by-ns').getAllKeys(ns)) await texts.delete(key);
      };
      await Promise.all([work(), tx.done]);
    });
  }

  clearAll(): Promise<void> {
    return this.run(async (db) => {
      const tx = db.transaction(['events', 'addedItems', 'summaries', 'itemTexts'], 'readwrite');
      await Promise.all([tx.objectStore('events').clear(), tx.objectStore('addedItems').clear(), tx.objectStore('summaries').clear(), tx.objectStore('itemTexts').clear(), tx.done]);
    });
  }

  close(): void {
    this.closed = true;
    this.db?.close();
    this.db = undefined;
  }
}

interface MemoryTable {
  events: StoredEvent[];
  items: Map<string, StoredItem>;
  summaries: Map<string, StoredSummary>;
  texts: Map<string, StoredItemText>;
}

/**
 * Same contract, no persistence. Tables are shared per database name so clearAll() forgets every
 * namespace this page has touched, as it does with IndexedDB.
 */
export class MemoryBackend implements HistoryBackend {
  readonly persistent = false;
  private static readonly dbs = new Map<string, Map<string, MemoryTable>>();
  private seq = 0;

  constructor(private readonly dbName: string) {}

  private table(ns: string): MemoryTable {
    let db = MemoryBackend.dbs.get(this.dbName);
    if (!db) MemoryBackend.dbs.set(this.dbName, (db = new Map()));
    let t = db.get(ns);
    if (!t) db.set(ns, (t = { events: [], items: new Map(), summaries: new Map(), texts: new Map() }));
    return t;
  }

  async add(ev: StoredEvent): Promise<void> {
    const events = this.table(ev.ns).events;
    // keep ts order with insertion breaking ties, as the by-ns-ts index does
    let i = events.length;
    while (i > 0 && events[i - 1].ts > ev.ts) i--;
    events.splice(i, 0, { ...ev, seq: ++this.seq });
  }
  /** Replaces what `ns` holds (a store moving here from a full IndexedDB brings its rows along). */
  seed(ns: string, events: HistoryEvent[], items: AddedItem[]): void {
    MemoryBackend.dbs.get(this.dbName)?.delete(ns);
    const t = this.table(ns);
    for (const ev of events) t.events.push({ ns, ...ev, seq: ++this.seq });
    for (const it of items) t.items.set(it.id, { ns, ...it });
  }
  async count(ns: string): Promise<number> {
    return this.table(ns).events.length;
  }
  async trimTo(ns: string, keep: number, limit: number): Promise<{ dropped: number; left: number }> {
    const events = this.table(ns).events;
    const excess = Math.max(0, events.length - keep);
    const dropped = events.splice(0, Math.min(excess, limit)).length;
    return { dropped, left: excess - dropped };
  }
  async list(ns: string, limit: number): Promise<HistoryEvent[]> {
    return this.table(ns).events.slice(-limit).map(stripEvent);
  }
  async putItem(item: StoredItem): Promise<void> {
    this.table(item.ns).items.set(item.id, item);
  }
  async items(ns: string): Promise<AddedItem[]> {
    // the IndexedDB store is keyed [ns, id], so it answers in id order; match it
    return [...this.table(ns).items.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(stripItem);
  }
  async summary(ns: string, provider: string): Promise<SummaryRecord | undefined> {
    const s = this.table(ns).summaries.get(provider);
    return s && stripSummary(s);
  }
  async putSummary(s: StoredSummary): Promise<void> {
    this.table(s.ns).summaries.set(s.provider, s);
  }
  async summaries(ns: string): Promise<SummaryRecord[]> {
    return [...this.table(ns).summaries.values()].map(stripSummary);
  }
  async itemText(ns: string, id: string): Promise<ItemTextRecord | undefined> {
    const t = this.table(ns).texts.get(id);
    return t && stripItemText(t);
  }
  async putItemText(t: StoredItemText): Promise<void> {
    this.table(t.ns).texts.set(t.id, t);
  }
  async clear(ns: string): Promise<void> {
    MemoryBackend.dbs.get(this.dbName)?.delete(ns);
  }
  async clearAll(): Promise<void> {
    MemoryBackend.dbs.delete(this.dbName);
  }
  close(): void {}
}
