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
import { IdbBackend, isQuotaError, MemoryBackend, type HistoryBackend } from './backends.js';
import { DB_VERSION, EVENT_TYPES, type AddedItem, type AddedItemRecord, type EventType, type HistoryEvent, type HistoryEventInput, type ItemTextRecord, type SummaryRecord } from './schema.js';
import { consoleWarning, type WarningCode } from '../warnings.js';

/** Deletes per transaction when trimming: few enough that a record() queued behind a batch waits only a few ms. */
export const TRIM_BATCH = 20;
/**
 * A background trim batch starts only once record() has been quiet this long: a batch holds the
 * events store, and in Chromium one of a 100k-row history took over 100 ms on a loaded machine, so a
 * burst of clicks queued behind batch after batch (bench:history-browser).
 */
export const TRIM_IDLE_MS = 50;
/** The longest item id record() takes: data/table.ts's INPUT_LIMITS.fieldChars (not imported: it would pull the CSV parser into the widget). */
export const MAX_ITEM_ID_CHARS = 65_536;
/** When the quota is full, the share of this namespace's oldest events dropped to make room (README, "Storage quota"). */
export const QUOTA_DROP_FRACTION = 0.1;
/** A kept summary text is a paragraph at most (the generative summarizer's, summary/gen-memory.ts). */
export const MAX_SUMMARY_TEXT = 8_000;
/** A kept caption of an added item (summary/item-texts.ts) and what it was computed from: a paragraph, a URL. */
export const MAX_ITEM_TEXT = 8_000;

export interface HistoryOpenOptions {
  /** throw HISTORY_UNAVAILABLE instead of falling back to memory when IndexedDB fails */
  strict?: boolean;
  /**
   * told once when history stops being persistent, each time a full quota made it drop old events
   * (`code` HISTORY_TRIMMED), and when an upgrade waits on another tab; defaults to consoleWarning
   */
  onWarning?: (message: string, cause?: unknown, code?: WarningCode) => void;
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
  /** the preference summary's state, per provider (the default one's GRU states as plain numbers) */
  summaries: (Omit<SummaryRecord, 'states'> & { states: number[] })[];
}

export class HistoryStore {
  private backend: HistoryBackend;
  private closed = false;
  /** the background trim to maxEvents, while one runs */
  private trimming?: Promise<void>;
  /** an event came in while trimming: count again when done */
  private trimAgain = false;
  /** the one quota clean-up in progress, which concurrent writes share */
  private makingRoom?: Promise<number>;
  /** performance.now() of the latest record() (start and end), which background trim batches wait to be TRIM_IDLE_MS behind */
  private lastRecord = -Infinity;

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

  /**
   * Resolves once the event is committed; returns what was stored. The trim to `maxEvents` runs
   * after, in batches, off this path, so the cost of a call does not grow with the history.
   */
  async record(input: HistoryEventInput): Promise<HistoryEvent> {
    const ev = validateEvent(input, this.opts.now);
    this.lastRecord = performance.now();
    await this.write((b) => b.add({ ns: this.namespace, ...ev }));
    this.lastRecord = performance.now();
    this.trimSoon();
    return ev;
  }

  /** The newest `maxEvents` events of this namespace, oldest first (by `ts`, ties in recording order). */
  list(): Promise<HistoryEvent[]> {
    return this.use((b) => b.list(this.namespace, this.cfg.maxEvents));
  }

  /** Resolves once the background trim has brought the namespace down to `maxEvents`. */
  async settled(): Promise<void> {
    while (this.trimming) await this.trimming;
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
      summaries: (await this.use((b) => b.summaries(this.namespace))).map((r) => ({ ...r, states: Array.from(r.states) })),
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
    await this.write((b) => b.putItem(item));
  }

  /** Cold-start items of this namespace, in id order. */
  addedItems(): Promise<AddedItem[]> {
    return this.use((b) => b.items(this.namespace));
  }

  /** The preference summary state `provider` keeps for this namespace (summary/memory.ts), if any. */
  summary(provider: string): Promise<SummaryRecord | undefined> {
    return this.use((b) => b.summary(this.namespace, provider));
  }

  /**
   * Keep a preference summary state beside the history (one per provider; a second call replaces
   * it). It is derived data: if the store falls back to memory it is recomputed, not carried over.
   */
  async putSummary(record: SummaryRecord): Promise<void> {
    if (typeof record?.provider !== 'string' || record.provider === '') throw new MolarError('BAD_INPUT', `expected a non-empty provider name, got ${JSON.stringify(record?.provider)}`, { field: 'provider' });
    if (!(record.states instanceof Float32Array)) throw new MolarError('BAD_INPUT', 'expected the summary state as a Float32Array', { field: 'states' });
    if (record.text !== undefined && (typeof record.text !== 'string' || record.text.length > MAX_SUMMARY_TEXT)) throw new MolarError('BAD_INPUT', `expected the summary text as a string of at most ${MAX_SUMMARY_TEXT} characters`, { field: 'text' });
    await this.write((b) => b.putSummary({ ns: this.namespace, ...record }));
  }

  /** The kept stage-1 text of added item `id` (summary/item-texts.ts), if any. */
  itemText(id: string): Promise<ItemTextRecord | undefined> {
    return this.use((b) => b.itemText(this.namespace, id));
  }

  /** Keep an added item's stage-1 text (one per item; a second call replaces it). Derived data, like the summary. */
  async putItemText(record: ItemTextRecord): Promise<void> {
    if (typeof record?.id !== 'string' || record.id === '') throw new MolarError('BAD_INPUT', `expected a non-empty string item id, got ${JSON.stringify(record?.id)}`, { field: 'id' });
    for (const field of ['source', 'text'] as const) {
      const v = record[field];
      if (typeof v !== 'string' || v.length > MAX_ITEM_TEXT) throw new MolarError('BAD_INPUT', `expected the ${field} as a string of at most ${MAX_ITEM_TEXT} characters`, { field });
    }
    await this.write((b) => b.putItemText({ ns: this.namespace, ...record }));
  }

  /** Forget this namespace: its events, added items (and their kept texts) and preference summary. */
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
    const backend = this.backend;
    try {
      return await fn(backend);
    } catch (e) {
      // IndexedDB was swapped for memory under this call (fallBack closed it): run it there instead
      if (backend !== this.backend && !this.closed) return fn(this.backend);
      // only a lost database moves us to memory; a bad request is the caller's to see
      if (!(e instanceof MolarError && e.code === 'HISTORY_UNAVAILABLE') || this.opts.strict || !this.backend.persistent) throw e;
      this.fallBack(e);
      return fn(this.backend);
    }
  }

  /**
   * A write that may meet a full quota. The policy (README, "Storage quota"): drop this namespace's
   * oldest QUOTA_DROP_FRACTION of events and retry once; if the write still does not fit, keep
   * everything stored so far in memory and go on there. Nothing else is dropped.
   */
  private async write<T>(fn: (b: HistoryBackend) => Promise<T>): Promise<T> {
    for (let retried = false; ; retried = true) {
      try {
        return await this.use(fn);
      } catch (e) {
        if (!isQuotaError(e)) throw e;
        if (!retried && (await this.makeRoom(e)) > 0) continue;
        if (this.opts.strict) throw e;
        const events = await this.backend.list(this.namespace, Infinity).catch(() => []);
        const items = await this.backend.items(this.namespace).catch(() => []);
        this.fallBack(e as MolarError, { events, items });
        return fn(this.backend);
      }
    }
  }

  private makeRoom(cause: unknown): Promise<number> {
    this.makingRoom ??= (async () => {
      const stored = await this.use((b) => b.count(this.namespace));
      const dropped = await this.shrinkTo(stored - Math.max(1, Math.ceil(stored * QUOTA_DROP_FRACTION)));
      if (dropped > 0) this.opts.onWarning(`history: the storage quota is full; dropped the ${dropped} oldest of ${stored} events of this site to make room`, cause, 'HISTORY_TRIMMED');
      return dropped;
    })().finally(() => (this.makingRoom = undefined));
    return this.makingRoom;
  }

  /** Starts the trim to maxEvents unless one runs (which then counts again when it is done). */
  private trimSoon(): void {
    if (this.trimming) {
      this.trimAgain = true;
      return;
    }
    const run = async () => {
      do {
        this.trimAgain = false;
        await this.shrinkTo(this.cfg.maxEvents, true);
      } while (this.trimAgain && !this.closed);
    };
    // a failed trim loses nothing and hides nothing: list() already shows only the newest
    // maxEvents, and the next record() trims again
    this.trimming = run()
      .catch(() => undefined)
      .finally(() => (this.trimming = undefined));
  }

  /** Drops the oldest events, TRIM_BATCH per transaction, until at most `target` remain; returns how many went. */
  private async shrinkTo(target: number, whenIdle = false): Promise<number> {
    let total = 0;
    while (!this.closed) {
      // the quota clean-up (whenIdle false) is on a write's path and goes at once
      while (whenIdle && !this.closed) {
        const quiet = performance.now() - this.lastRecord;
        if (quiet >= TRIM_IDLE_MS) break;
        await new Promise((r) => setTimeout(r, TRIM_IDLE_MS - quiet));
      }
      if (this.closed) break;
      const { dropped, left } = await this.use((b) => b.trimTo(this.namespace, target, TRIM_BATCH));
      total += dropped;
      if (left <= 0 || dropped === 0) break;
    }
    return total;
  }

  /** Memory from now on, holding `keep` (what IndexedDB still had) when it could be read. */
  private fallBack(cause: MolarError, keep?: { events: HistoryEvent[]; items: AddedItem[] }): void {
    if (!this.backend.persistent) return;
    this.backend.close();
    const memory = new MemoryBackend(this.cfg.dbName);
    if (keep) memory.seed(this.namespace, keep.events, keep.items);
    this.backend = memory;
    this.opts.onWarning(`history: ${cause.message}; keeping history in memory only from now on${keep ? ' (what was stored is kept)' : ''}`, cause, 'HISTORY_NOT_PERSISTENT');
  }
}

function validateEvent(input: HistoryEventInput, now: () => number): HistoryEvent {
  if (typeof input !== 'object' || input === null) throw new MolarError('BAD_INPUT', `expected an event object, got ${JSON.stringify(input)}`);
  const { itemId, type } = input;
  if (typeof itemId !== 'string' || itemId === '') {
    throw new MolarError('BAD_INPUT', `expected a non-empty string, got ${JSON.stringify(itemId)}`, { field: 'itemId' });
  }
  // no catalog id is longer than a catalog field: a longer one is a page bug or an attack on the
  // origin's quota, and each would be stored and exported
  if (itemId.length > MAX_ITEM_ID_CHARS) {
    throw new MolarError('BAD_INPUT', `expected at most ${MAX_ITEM_ID_CHARS} characters, got ${itemId.length}`, { field: 'itemId' });
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

function defaultWarn(message: string, cause?: unknown, code: WarningCode = 'HISTORY_NOT_PERSISTENT'): void {
  consoleWarning({ code, message, cause });
}
