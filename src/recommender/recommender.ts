import { resolveConfig, type BackendChoice, type BackendName, type DeepPartial, type MolarConfig } from '../config.js';
import { MolarError } from '../errors.js';
import type { ItemRecord, ItemVectorsEntry, Manifest, ModelEntry } from '../bundle/manifest.js';
import { DEFAULT_MODEL_BASE_URL, encodeItemsInBrowser, loadBrowserItemEncoder } from '../encoders/browser.js';
import { itemText, type ItemEncoder } from '../encoders/item-encoder.js';
import type { AddedItemRecord } from '../history/schema.js';
import { ItemVectorStore } from '../items/store.js';
import { readBundle, type LoadProgress } from '../bundle/read.js';
import { createScorer, pickModel } from '../eval/scorers.js';
import type { Scorer } from '../score/scorer.js';
import { HistoryStore, type EventType, type HistoryEvent } from '../history/index.js';
import { selectBackend, watchDeviceLoss, type BackendReport } from '../runtime/backend.js';
import { vectorTopK } from '../score/topk.js';

export interface LoadOptions {
  /** folder holding manifest.json, e.g. "/bundles/shop/" */
  bundleUrl: string;
  backend?: BackendChoice;
  /** history namespace; defaults to the bundle's absolute URL so two shops never share a history */
  namespace?: string;
  /** pick a model kind from the bundle instead of the best one it holds */
  model?: string;
  config?: DeepPartial<MolarConfig>;
  onProgress?: (p: LoadProgress) => void;
  fetch?: typeof fetch;
  /** URL prefix of the encoder model folders addItems() loads (default "/models/") */
  modelBaseUrl?: string;
}

/** A cold-start item for addItems(): the catalog's fields; `image` may be a URL or a Blob. */
export type AddItemInput = AddedItemRecord;

export interface RecordInput {
  itemId: string;
  type?: EventType;
  ts?: number;
}

export interface RecommendOptions {
  k?: number;
  /** 'seen' drops everything in the shopper's history; a list drops those ids too */
  exclude?: 'seen' | 'none' | string[];
}

export interface Recommendation {
  item: ItemRecord;
  score: number;
}

/**
 * The front door: loads a bundle, picks a compute backend, keeps the shopper's history in
 * IndexedDB and ranks the catalog from it. Nothing about the shopper leaves the page.
 *
 * **Example:**
 * ```ts
 * const rec = await Recommender.load({ bundleUrl: '/bundles/shop/' });
 * rec.backend;                               // 'webgpu'
 * await rec.record({ itemId: 'sku-42', type: 'view' });
 * await rec.recommend({ k: 3 });             // [{ item: { id: 'sku-7', … }, score: 0.41 }, …]
 * ```
 * Events: 'backendchange' (detail: BackendReport & { lost }) when a lost GPU forced a fallback.
 */
export class Recommender extends EventTarget {
  private disposed = false;
  private stopWatching: () => void = () => {};
  private encoder: Promise<ItemEncoder> | undefined;
  /** catalog items (ids 1..numItems) then added items (numItems+1…) */
  private readonly all: ItemRecord[];

  private constructor(
    readonly manifest: Manifest,
    items: readonly ItemRecord[],
    private readonly lookup: Map<string, number>,
    readonly modelEntry: ModelEntry,
    private scorer: Scorer,
    private report: BackendReport,
    private readonly history: HistoryStore,
    private readonly files: Map<string, ArrayBuffer>,
    private readonly config: MolarConfig,
    /** the bundle's item-vectors entry and its vectors (null: the bundle was built without --encode) */
    private readonly vectors: { entry: ItemVectorsEntry; store: ItemVectorStore } | null,
    private readonly modelBaseUrl: string,
  ) {
    super();
    this.all = [...items];
    this.watch();
  }

  /** Catalog items then items added with addItems(); position i has internal id i+1. */
  get items(): readonly ItemRecord[] {
    return this.all;
  }

  static async load(opts: LoadOptions): Promise<Recommender> {
    const { bundleUrl, backend = 'auto', model, onProgress } = opts;
    if (!bundleUrl) throw new MolarError('BAD_CONFIG', 'bundleUrl is required', { field: 'bundleUrl' });
    const config = resolveConfig(opts.config);
    const absolute = typeof location !== 'undefined' ? new URL(bundleUrl, location.href).href : bundleUrl;
    // The three slow starts are independent: run them together.
    const [report, bundle, history] = await Promise.all([
      selectBackend(backend, config.runtime),
      readBundle(absolute, { fetch: opts.fetch, onProgress }),
      HistoryStore.open(opts.namespace ?? absolute, config.history),
    ]);
    const entry = pickModel(bundle.manifest, model);
    const scorer = await makeScorer(bundle.manifest, entry, bundle.files, config);
    const lookup = new Map(bundle.items.map((it, i) => [it.id, i + 1]));
    const vEntry = bundle.manifest.models.find((m): m is ItemVectorsEntry => m.kind === 'item-vectors');
    let vectors: { entry: ItemVectorsEntry; store: ItemVectorStore } | null = null;
    if (vEntry) {
      const name = vEntry.files[0];
      const buf = bundle.files.get(name);
      if (!buf) throw new MolarError('BUNDLE_INVALID', `file "${name}" is not in the bundle`, { file: name });
      const store = ItemVectorStore.fromArrayBuffer(buf, name);
      if (store.numItems !== bundle.manifest.numItems || store.dim !== vEntry.dim) {
        throw new MolarError('BUNDLE_INVALID', `item vectors hold ${store.numItems} items x ${store.dim} dims, expected ${bundle.manifest.numItems} x ${vEntry.dim}`, { file: name });
      }
      vectors = { entry: vEntry, store };
    }
    const rec = new Recommender(bundle.manifest, bundle.items, lookup, entry, scorer, report, history, bundle.files, config, vectors, opts.modelBaseUrl ?? DEFAULT_MODEL_BASE_URL);
    if (vectors) await rec.restoreAddedItems();
    return rec;
  }

  /** The active compute backend. */
  get backend(): BackendName {
    return this.report.backend;
  }

  /** Why the active backend won and why the ones before it were skipped. */
  get backendReport(): BackendReport {
    return this.report;
  }

  /** Is the history kept in IndexedDB (true) or only in memory because IndexedDB failed (false)? */
  get persistent(): boolean {
    return this.history.persistent;
  }

  item(id: string): ItemRecord | undefined {
    const i = this.lookup.get(id);
    return i === undefined ? undefined : this.all[i - 1];
  }

  /**
   * Cold start: encodes new items in the page with the encoder that made the bundle's item vectors
   * (loaded once, from `modelBaseUrl`), so they can be recorded and recommended at once, without
   * retraining. Each is persisted (record + vector) beside the history and comes back on the next
   * load. Ids already in the catalog (or added before) are refused. Returns the new ItemRecords.
   *
   * **Example:**
   * ```ts
   * await rec.addItems([{ id: 'sku-new', title: 'Matcha whisk', description: 'Bamboo chasen' }]);
   * await rec.recommend({ k: 5 }); // may now hold { item: { id: 'sku-new', … }, score }
   * ```
   */
  async addItems(items: AddItemInput[]): Promise<ItemRecord[]> {
    this.alive();
    if (!this.vectors) {
      throw new MolarError('BAD_CONFIG', 'this bundle has no item vectors, so new items cannot be encoded: build it with `molar build --encode <encoder id>` (e.g. --encode use-lite)', { field: 'addItems' });
    }
    if (!Array.isArray(items)) throw new MolarError('BAD_INPUT', 'addItems expects an array of items', { field: 'items' });
    const fresh = new Set<string>();
    for (const it of items) {
      if (typeof it?.id !== 'string' || it.id === '') throw new MolarError('BAD_INPUT', `expected a non-empty string item id, got ${JSON.stringify(it?.id)}`, { field: 'id' });
      if (this.lookup.has(it.id)) throw new MolarError('BAD_INPUT', `item "${it.id}" is already in the catalog`, { field: 'id' });
      if (fresh.has(it.id)) throw new MolarError('BAD_INPUT', `item "${it.id}" appears twice in this call`, { field: 'id' });
      fresh.add(it.id);
    }
    if (items.length === 0) return [];
    const { entry, store } = this.vectors;
    this.encoder ??= loadBrowserItemEncoder(entry.encoder, { modelBaseUrl: this.modelBaseUrl, config: this.config });
    let encoder: ItemEncoder;
    try {
      encoder = await this.encoder;
    } catch (e) {
      this.encoder = undefined; // let a later call retry (e.g. the model files were not served yet)
      throw e;
    }
    const m = await encodeItemsInBrowser(items, encoder, { id: entry.encoder.id, dim: entry.dim }, (id, reason) => console.warn(`addItems: item "${id}": ${reason}`));
    this.alive();
    for (const [r, it] of items.entries()) await this.history.addItem(it, m.data.slice(r * m.dim, (r + 1) * m.dim));
    return items.map((it, r) => this.attach(it, m.data.subarray(r * m.dim, (r + 1) * m.dim), store));
  }

  async record(input: RecordInput): Promise<HistoryEvent> {
    this.alive();
    if (!this.lookup.has(input?.itemId)) {
      throw new MolarError('NOT_FOUND', `item "${input?.itemId}" is neither in the bundle's catalog nor added with addItems()`, { field: 'itemId' });
    }
    return this.history.record({ itemId: input.itemId, type: input.type ?? 'view', ts: input.ts });
  }

  async recommend(opts: RecommendOptions = {}): Promise<Recommendation[]> {
    this.alive();
    const { k = 8, exclude = 'seen' } = opts;
    if (!Number.isInteger(k) || k < 1) throw new MolarError('BAD_CONFIG', `k must be a positive integer, got ${k}`, { field: 'k' });
    const seq = Int32Array.from(
      (await this.history.itemSequence()).map((id) => this.lookup.get(id) ?? 0).filter((i) => i > 0),
    );
    const excluded: number[] = [];
    if (exclude === 'seen') excluded.push(...seq);
    else if (Array.isArray(exclude)) for (const id of exclude) excluded.push(this.lookup.get(id) ?? 0);
    const n = this.manifest.numItems;
    // the primary model only knows catalog ids; added items are scored by content below
    const [primary] = await this.scorer.score([seq.filter((i) => i <= n)]);
    const scores = this.all.length > n ? this.withAddedItems(primary, seq) : primary;
    const top = await vectorTopK(scores, k, excluded);
    return Array.from(top.ids, (id, i) => ({ item: this.all[id - 1], score: top.scores[i] }));
  }

  /**
   * Scores of added items (ids > numItems), which the primary model has never seen.
   *
   * Content user vector u = recency-weighted mean of the history items' vectors (the last item
   * weight 1, each earlier one RECENCY_DECAY times the next), L2-normalised; content score of an
   * item = cosine(u, item vector). Cosines and the primary model's scores live on different scales,
   * so an added item's cosine is z-scored against the cosines of the catalog items (ids 1..numItems)
   * and mapped onto the mean/std of the primary model's catalog scores:
   *   score = mean(primary) + std(primary) * (cos - mean(cos_catalog)) / std(cos_catalog).
   * An added item as close to the history as the catalog's best match thus ranks about where that
   * match would rank under the primary model. Catalog items keep their primary scores unchanged.
   * With no history (u = 0) or flat cosines the z-score is 0 (the primary mean); a flat primary
   * (std 0) uses std 1 so content still orders the added items.
   */
  private withAddedItems(primary: Float32Array, seq: Int32Array): Float32Array {
    const store = this.vectors!.store;
    const n = this.manifest.numItems;
    const total = this.all.length;
    const dim = store.dim;
    const u = new Float32Array(dim);
    let w = 1;
    for (let p = seq.length - 1; p >= 0; p--, w *= RECENCY_DECAY) {
      const v = unit(store.row(seq[p]));
      for (let j = 0; j < dim; j++) u[j] += w * v[j];
    }
    const uu = unit(u);
    const cos = new Float32Array(total + 1);
    const codes = store.codes;
    for (let i = 1; i <= total; i++) {
      let dot = 0;
      let sq = 0;
      const base = i * dim;
      for (let j = 0; j < dim; j++) {
        dot += codes[base + j] * uu[j];
        sq += codes[base + j] * codes[base + j];
      }
      cos[i] = sq > 0 ? dot / Math.sqrt(sq) : 0; // the row scale cancels in a cosine
    }
    const c = meanStd(cos.subarray(1, n + 1));
    const p = meanStd(primary.subarray(1, n + 1));
    const out = new Float32Array(total + 1);
    out.set(primary.subarray(0, n + 1));
    for (let i = n + 1; i <= total; i++) {
      const z = c.std > 0 ? (cos[i] - c.mean) / c.std : 0;
      out[i] = p.mean + (p.std > 0 ? p.std : 1) * z;
    }
    return out;
  }

  /** Re-adds the items persisted by earlier addItems() calls (their vectors, no re-encoding). */
  private async restoreAddedItems(): Promise<void> {
    const { entry, store } = this.vectors!;
    for (const a of await this.history.addedItems()) {
      if (this.lookup.has(a.id)) continue; // the bundle now ships it itself
      if (!a.vector || a.vector.length !== entry.dim) {
        console.warn(`addItems: persisted item "${a.id}" has no ${entry.dim}-d vector (the bundle's encoder changed?); add it again`);
        continue;
      }
      this.attach(a.record, a.vector, store);
    }
  }

  private attach(it: AddedItemRecord, vector: Float32Array, store: ItemVectorStore): ItemRecord {
    store.append({ data: vector, rows: 1, dim: vector.length });
    const item: ItemRecord = {
      id: it.id,
      ...(it.title !== undefined ? { title: it.title } : {}),
      text: itemText(it),
      ...(typeof it.image === 'string' ? { image: it.image } : {}),
      ...(it.url !== undefined ? { url: it.url } : {}),
      ...(it.price !== undefined ? { price: it.price } : {}),
    };
    this.all.push(item);
    this.lookup.set(it.id, this.all.length);
    return item;
  }

  /** The shopper's events, oldest first. */
  events(): Promise<HistoryEvent[]> {
    this.alive();
    return this.history.list();
  }

  /** A JSON document of everything this site remembers about the shopper. */
  exportHistory(): Promise<string> {
    this.alive();
    return this.history.exportJSON();
  }

  /** Forget the shopper on this site (`all: true`: on every site using molar-web in this browser). */
  async clearHistory({ all = false } = {}): Promise<void> {
    this.alive();
    await (all ? this.history.clearAll() : this.history.clear());
  }

  /** Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopWatching();
    this.history.close();
  }

  private alive(): void {
    if (this.disposed) throw new MolarError('DISPOSED', 'this Recommender was disposed; load a new one');
  }

  /** On GPU loss: move to the next backend, rebuild the model's tensors there, keep the history. */
  private watch(): void {
    this.stopWatching = watchDeviceLoss(async (lost) => {
      const skip: BackendName[] = [this.report.backend];
      this.report = await selectBackend('auto', this.config.runtime, skip);
      this.scorer = await makeScorer(this.manifest, this.modelEntry, this.files, this.config);
      this.encoder = undefined; // its tensors lived on the lost device
      this.watch();
      this.dispatchEvent(new CustomEvent('backendchange', { detail: { ...this.report, lost } }));
    });
  }
}

function makeScorer(manifest: Manifest, entry: ModelEntry, files: Map<string, ArrayBuffer>, config: MolarConfig): Promise<Scorer> {
  return createScorer({
    manifest,
    entry,
    config,
    readFile: async (name) => {
      const f = files.get(name);
      if (!f) throw new MolarError('BUNDLE_INVALID', `file "${name}" is not in the bundle`, { file: name });
      return f;
    },
  });
}

/** weight of each earlier history item relative to the next one in the content user vector */
const RECENCY_DECAY = 0.8;

function unit(v: Float32Array): Float32Array {
  let sq = 0;
  for (const x of v) sq += x * x;
  if (sq === 0) return v;
  const inv = 1 / Math.sqrt(sq);
  for (let j = 0; j < v.length; j++) v[j] *= inv;
  return v;
}

function meanStd(xs: Float32Array): { mean: number; std: number } {
  let sum = 0;
  let count = 0;
  for (const x of xs) if (Number.isFinite(x)) { sum += x; count++; }
  const mean = count ? sum / count : 0;
  let ss = 0;
  for (const x of xs) if (Number.isFinite(x)) ss += (x - mean) ** 2;
  return { mean, std: count ? Math.sqrt(ss / count) : 0 };
}
