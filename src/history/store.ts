/**
 * The shopper's private click history: it stays in this browser's IndexedDB, one namespace per
 * site or bundle, and the shopper can export or forget it.
 *
 * **Example:**
 * ```ts
 * const history = await HistoryStore.open('/bundles/shop/');
 * await history.record({ itemId: 'sku-42', type: 'view' });
 * await history.itemSequence(); // ['sku-42']
 * ```
 */
import { DEFAULT_CONFIG, type HistoryConfig } from '../config.js';
import { MolarError } from '../errors.js';
import { IdbBackend, MemoryBackend, type HistoryBackend } from './backends.js';
import { DB_VERSION, EVENT_TYPES, type AddedItem, type AddedItemRecord, type EventType, type HistoryEvent, type HistoryEventInput } from './schema.js';
import { consoleWarning } from '../warnings.js';

export interface HistoryOpenOptions {
  /** throw HISTORY_UNAVAILABLE instead of falling back to memory when IndexedDB fails */
  strict?: boolean;
  /** told once when history stops being persistent (and when an upgrade waits on another tab); defaults to consoleWarning */
  onWarning?: (message: string, cause?: unknown) => void;
  /** clock for events recorded without `ts` (unix ms) */
  now?: () => number;
}

/** What exportJSON() serialises: everything this namespace remembers about the shopper. */
export interface HistoryExport {
  format: 'molar-history';
  namespace: string;
  schemaVersion: number;
  exportedAt: string;
  events: HistoryEvent[];
}

export class HistoryStore {
  private backend: HistoryBackend;
  private closed = false;

  private constructor(
    readonly namespace: string,
    private readonly cfg: HistoryConfig,
    backend: HistoryBackend,
    private readonly opts: Required<Pick<HistoryOpenOptions, 'onWarning' | 'now'>> & { strict: boolean },
  ) {
    this.backend = backend;
  }

  static async open(namespace: string, cfg: HistoryConfig = DEFAULT_CONFIG.history, options: HistoryOpenOptions = {}): Promise<HistoryStore> {
    if (typeof namespace !== 'string' || namespace === '') {
      throw new MolarError('BAD_INPUT', `expected a non-empty namespace string (e.g. the bundle URL), got ${JSON.stringify(namespace)}`, { field: 'namespace' });
    }
    checkConfig(cfg);
    const opts = { strict: options.strict ?? false, onWarning: options.onWarning ?? defaultWarn, now: options.now ?? Date.now };
    let store: HistoryStore | undefined;
    const hooks = {
      onWarning: (m: string) => opts.onWarning(m),
      onTerminated: () => store?.fallBack(new MolarError('HISTORY_UNAVAILABLE', 'the browser closed the history database')),
    };
    let backend: HistoryBackend;
    try {
      backend = await IdbBackend.open(cfg.dbName, hooks);
    } catch (e) {
      if (opts.strict) throw e;
      opts.onWarning(`history: IndexedDB unavailable, keeping this session's history in memory only (${String(e)})`, e);
      backend = new MemoryBackend(cfg.dbName);
    }
    store = new HistoryStore(namespace, cfg, backend, opts);
    return store;
  }

  /** false when history lives only in memory and will be gone on reload */
  get persistent(): boolean {
    return this.backend.persistent;
  }

  /** Resolves once the event is committed (and the namespace trimmed to `maxEvents`); returns what was stored. */
  async record(input: HistoryEventInput): Promise<HistoryEvent> {
    const ev = validateEvent(input, this.opts.now);
    await this.use((b) => b.add({ ns: this.namespace, ...ev }));
    await this.use((b) => b.trim(this.namespace, this.cfg.maxEvents));
    return ev;
  }

  /** Events of this namespace, oldest first (by `ts`, ties in recording order). */
  list(): Promise<HistoryEvent[]> {
    return this.use((b) => b.list(this.namespace));
  }

  /** Item ids oldest first, optionally only some event types: the input of the sequence models. */
  async itemSequence(types?: readonly EventType[]): Promise<string[]> {
    const events = await this.list();
    return (types ? events.filter((e) => types.includes(e.type)) : events).map((e) => e.itemId);
  }

  /** A JSON document the shopper can download: see HistoryExport. */
  async exportJSON(): Promise<string> {
    const doc: HistoryExport = {
      format: 'molar-history',
      namespace: this.namespace,
      schemaVersion: DB_VERSION,
      exportedAt: new Date(this.opts.now()).toISOString(),
      events: await this.list(),
    };
    return JSON.stringify(doc, null, 2);
  }

  /** Persist a cold-start item (and its content vector) beside the history; a second call with the same id replaces it. */
  async addItem(record: AddedItemRecord, vector?: Float32Array): Promise<void> {
    if (typeof record?.id !== 'string' || record.id === '') {
      throw new MolarError('BAD_INPUT', `expected a non-empty string item id, got ${JSON.stringify(record?.id)}`, { field: 'id' });
    }
    if (vector !== undefined && !(vector instanceof Float32Array)) {
      throw new MolarError('BAD_INPUT', 'expected the item vector as a Float32Array', { field: 'vector' });
    }
    const item = { ns: this.namespace, id: record.id, record, addedAt: this.opts.now(), ...(vector ? { vector } : {}) };
    await this.use((b) => b.putItem(item));
  }

  /** Cold-start items of this namespace, in id order. */
  addedItems(): Promise<AddedItem[]> {
    return this.use((b) => b.items(this.namespace));
  }

  /** Forget this namespace: its events and added items. */
  clear(): Promise<void> {
    return this.use((b) => b.clear(this.namespace));
  }

  /** The shopper's "forget me": every namespace in this database. */
  clearAll(): Promise<void> {
    return this.use((b) => b.clearAll());
  }

  /** Safe to call twice. */
  close(): void {
    this.closed = true;
    this.backend.close();
  }

  private async use<T>(fn: (b: HistoryBackend) => Promise<T>): Promise<T> {
    if (this.closed) throw new MolarError('DISPOSED', `history "${this.namespace}" was closed`);
    try {
      return await fn(this.backend);
    } catch (e) {
      // only a lost database moves us to memory; a bad request is the caller's to see
      if (!(e instanceof MolarError && e.code === 'HISTORY_UNAVAILABLE') || this.opts.strict || !this.backend.persistent) throw e;
      this.fallBack(e);
      return fn(this.backend);
    }
  }

  private fallBack(cause: MolarError): void {
    if (!this.backend.persistent) return;
    this.backend.close();
    this.backend = new MemoryBackend(this.cfg.dbName);
    this.opts.onWarning(`history: ${cause.message}; keeping history in memory only from now on`, cause);
  }
}

function validateEvent(input: HistoryEventInput, now: () => number): HistoryEvent {
  if (typeof input !== 'object' || input === null) throw new MolarError('BAD_INPUT', `expected an event object, got ${JSON.stringify(input)}`);
  const { itemId, type } = input;
  if (typeof itemId !== 'string' || itemId === '') {
    throw new MolarError('BAD_INPUT', `expected a non-empty string, got ${JSON.stringify(itemId)}`, { field: 'itemId' });
  }
  if (!(EVENT_TYPES as readonly string[]).includes(type)) {
    throw new MolarError('BAD_INPUT', `expected one of ${EVENT_TYPES.join(', ')}, got ${JSON.stringify(type)}`, { field: 'type' });
  }
  const ts = input.ts ?? now();
  if (typeof ts !== 'number' || !Number.isFinite(ts)) {
    throw new MolarError('BAD_INPUT', `expected a finite number (unix ms), got ${String(ts)}`, { field: 'ts' });
  }
  return { itemId, type, ts };
}

function checkConfig(cfg: HistoryConfig): void {
  if (typeof cfg?.dbName !== 'string' || cfg.dbName === '') {
    throw new MolarError('BAD_CONFIG', `expected a non-empty database name, got ${JSON.stringify(cfg?.dbName)}`, { field: 'history.dbName' });
  }
  if (!Number.isInteger(cfg.maxEvents) || cfg.maxEvents < 1) {
    throw new MolarError('BAD_CONFIG', `expected a positive integer, got ${String(cfg.maxEvents)}`, { field: 'history.maxEvents' });
  }
}

function defaultWarn(message: string, cause?: unknown): void {
  consoleWarning({ code: 'HISTORY_NOT_PERSISTENT', message, cause });
}
