import { resolveConfig, type BackendChoice, type BackendName, type DeepPartial, type MolarConfig } from '../config.js';
import { MolarError } from '../errors.js';
import type { ItemRecord, Manifest, ModelEntry } from '../bundle/manifest.js';
import { readBundle, type LoadProgress } from '../bundle/read.js';
import { createScorer, pickModel } from '../eval/scorers.js';
import type { BatchScorer } from '../eval/evaluate.js';
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
}

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

  private constructor(
    readonly manifest: Manifest,
    readonly items: readonly ItemRecord[],
    private readonly lookup: Map<string, number>,
    readonly modelEntry: ModelEntry,
    private scorer: BatchScorer,
    private report: BackendReport,
    private readonly history: HistoryStore,
    private readonly files: Map<string, ArrayBuffer>,
    private readonly config: MolarConfig,
  ) {
    super();
    this.watch();
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
    return new Recommender(bundle.manifest, bundle.items, lookup, entry, scorer, report, history, bundle.files, config);
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
    return i === undefined ? undefined : this.items[i - 1];
  }

  async record(input: RecordInput): Promise<HistoryEvent> {
    this.alive();
    if (!this.lookup.has(input?.itemId)) {
      throw new MolarError('NOT_FOUND', `item "${input?.itemId}" is not in the bundle's catalog`, { field: 'itemId' });
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
    const [scores] = await this.scorer([seq]);
    const top = await vectorTopK(scores, k, excluded);
    return Array.from(top.ids, (id, i) => ({ item: this.items[id - 1], score: top.scores[i] }));
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
      this.watch();
      this.dispatchEvent(new CustomEvent('backendchange', { detail: { ...this.report, lost } }));
    });
  }
}

function makeScorer(manifest: Manifest, entry: ModelEntry, files: Map<string, ArrayBuffer>, config: MolarConfig): Promise<BatchScorer> {
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
