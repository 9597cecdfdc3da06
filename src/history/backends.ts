/**
 * Where history rows live: IndexedDB when it opens, else process memory. HistoryStore picks one and
 * switches to memory if IndexedDB goes away mid-session.
 */
import { openDB, type IDBPDatabase } from 'idb';
import { MolarError } from '../errors.js';
import { DB_VERSION, migrate, namespaceRange, type AddedItem, type HistoryDB, type HistoryEvent, type StoredEvent, type StoredItem } from './schema.js';

export interface HistoryBackend {
  readonly persistent: boolean;
  add(ev: StoredEvent): Promise<void>;
  /** drop the oldest events of `ns` until at most `max` remain */
  trim(ns: string, max: number): Promise<void>;
  list(ns: string): Promise<HistoryEvent[]>;
  putItem(item: StoredItem): Promise<void>;
  items(ns: string): Promise<AddedItem[]>;
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
const stripItem = ({ id, record, vector, addedAt }: StoredItem): AddedItem => (vector ? { id, record, vector, addedAt } : { id, record, addedAt });

/** Safari kills a transaction across a task boundary (idb #201); a closed connection needs reopening. Both are worth one retry. */
const RETRYABLE = new Set(['TransactionInactiveError', 'InvalidStateError']);
const errorName = (e: unknown) => (typeof e === 'object' && e !== null && 'name' in e ? String((e as { name: unknown }).name) : '');

export class IdbBackend implements HistoryBackend {
  readonly persistent = true;
  private db?: IDBPDatabase<HistoryDB>;

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
   * (add is its own transaction, trim recounts), so retrying once after a Safari
   * TransactionInactiveError cannot write twice what committed once.
   */
  private async run<T>(fn: (db: IDBPDatabase<HistoryDB>) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.connection());
    } catch (e) {
      if (!RETRYABLE.has(errorName(e))) throw e;
      if (errorName(e) === 'InvalidStateError') this.db = undefined;
      return fn(await this.connection());
    }
  }

  add(ev: StoredEvent): Promise<void> {
    return this.run(async (db) => {
      const tx = db.transaction('events', 'readwrite');
      // like idb's shortcut writes: resolve once committed, report the request's error first, leave no unhandled rejection
      await Promise.all([tx.store.add(ev), tx.done]);
    });
  }

  trim(ns: string, max: number): Promise<void> {
    return this.run(async (db) => {
      const tx = db.transaction('events', 'readwrite');
      const work = async () => {
        let excess = (await tx.store.index('by-ns').count(ns)) - max;
        if (excess <= 0) return;
        let cursor = await tx.store.index('by-ns-ts').openCursor(namespaceRange(ns));
        while (cursor && excess-- > 0) {
          await cursor.delete();
          cursor = await cursor.continue();
        }
      };
      await Promise.all([work(), tx.done]);
    });
  }

  list(ns: string): Promise<HistoryEvent[]> {
    return this.run(async (db) => (await db.getAllFromIndex('events', 'by-ns-ts', namespaceRange(ns))).map(stripEvent));
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

  clear(ns: string): Promise<void> {
    return this.run(async (db) => {
      const tx = db.transaction(['events', 'addedItems'], 'readwrite');
      const work = async () => {
        // a union of the two store types is not callable, so one loop each
        const events = tx.objectStore('events');
        for (const key of await events.index('by-ns').getAllKeys(ns)) await events.delete(key);
        const items = tx.objectStore('addedItems');
        for (const key of await items.index('by-ns').getAllKeys(ns)) await items.delete(key);
      };
      await Promise.all([work(), tx.done]);
    });
  }

  clearAll(): Promise<void> {
    return this.run(async (db) => {
      const tx = db.transaction(['events', 'addedItems'], 'readwrite');
      await Promise.all([tx.objectStore('events').clear(), tx.objectStore('addedItems').clear(), tx.done]);
    });
  }

  close(): void {
    this.db?.close();
    this.db = undefined;
  }
}

interface MemoryTable {
  events: StoredEvent[];
  items: Map<string, StoredItem>;
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
    if (!t) db.set(ns, (t = { events: [], items: new Map() }));
    return t;
  }

  async add(ev: StoredEvent): Promise<void> {
    const events = this.table(ev.ns).events;
    // keep ts order with insertion breaking ties, as the by-ns-ts index does
    let i = events.length;
    while (i > 0 && events[i - 1].ts > ev.ts) i--;
    events.splice(i, 0, { ...ev, seq: ++this.seq });
  }
  async trim(ns: string, max: number): Promise<void> {
    const events = this.table(ns).events;
    if (events.length > max) events.splice(0, events.length - max);
  }
  async list(ns: string): Promise<HistoryEvent[]> {
    return this.table(ns).events.map(stripEvent);
  }
  async putItem(item: StoredItem): Promise<void> {
    this.table(item.ns).items.set(item.id, item);
  }
  async items(ns: string): Promise<AddedItem[]> {
    // the IndexedDB store is keyed [ns, id], so it answers in id order; match it
    return [...this.table(ns).items.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)).map(stripItem);
  }
  async clear(ns: string): Promise<void> {
    MemoryBackend.dbs.get(this.dbName)?.delete(ns);
  }
  async clearAll(): Promise<void> {
    MemoryBackend.dbs.delete(this.dbName);
  }
  close(): void {}
}
