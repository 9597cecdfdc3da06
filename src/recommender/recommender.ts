import { resolveConfig, type BackendChoice, type BackendName, type DeepPartial, type MolarConfig } from '../config.js';
import { MolarError } from '../errors.js';
import { entryOf, type ItemRecord, type Manifest, type ModelEntry } from '../bundle/manifest.js';
import { readBundle, type LoadedBundle, type LoadProgress } from '../bundle/read.js';
import { HistoryStore, type AddedItemRecord, type EventType, type HistoryEvent } from '../history/index.js';
import { resolveItemUrls } from '../items/urls.js';
import { selectBackend, type BackendReport } from '../runtime/backend.js';
import { scoringShape } from '../runtime/measure.js';
import { fuseAddedItems } from '../score/fuse.js';
import { createScorer, pickModel } from '../score/registry.js';
import { KEEP_ORDER, rerank, type Reranker } from '../score/rerank.js';
import type { Scorer } from '../score/scorer.js';
import { vectorTopK, type TopK } from '../score/topk.js';
import type { PreferenceSummary } from '../summary/describe.js';
import type { Generative } from '../summary/gen-load.js';
import { loadItemTexts, type ItemTexts } from '../summary/item-texts.js';
import { loadMsrReranker } from '../summary/load.js';
import { MsrReranker } from '../summary/rerank.js';
import { consoleWarning, type MolarWarning, type WarningHandler } from '../warnings.js';
import { addedItemRecord, changeOf, ColdStart } from './cold-start.js';
import { contributions, type Explanation } from './explain.js';
import { checkScores, checkStreamedTopK, checkTopK, DeviceGuard } from './recovery.js';

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
  /**
   * Where warnings go (an image that did not decode, history kept in memory only, a catalog link
   * that is not http(s)). Default: one console line each. They are also 'warning' events.
   */
  onWarning?: WarningHandler;
  /**
   * the last stage of recommend() (score/rerank.ts); default: the bundle's MLLM-MSR re-ranker when
   * it has one over the served model (summary/; off with `config.summary.rerank: false`), else
   * keep the model's order
   */
  reranker?: Reranker;
  fetch?: typeof fetch;
  /**
   * the module worker the generative providers run in (`config.summary`: summarizer / reranker /
   * captioner 'generative'), one per model; default summary/worker.ts, which Vite bundles. A shop's
   * bundler that cannot follow `new URL('./worker.ts', import.meta.url)` hands in its own here
   * (used wherever it is given, in Node too: a test's stand-in worker).
   */
  summaryWorker?: () => Worker;
  /** URL prefix of the encoder model folders addItems() loads; default `config.encoders.modelBaseUrl` ("/models/") */
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

/** Everything a Recommender is made of; `Recommender.load` assembles it. */
interface Parts {
  bundle: LoadedBundle;
  /** catalog items with image / link URLs resolved (items/urls.ts) */
  items: ItemRecord[];
  modelEntry: ModelEntry;
  scorer: Scorer;
  report: BackendReport;
  history: HistoryStore;
  config: MolarConfig;
  /** null: the bundle was built without --encode, so addItems() cannot encode */
  coldStart: ColdStart | null;
  reranker: Reranker;
  onWarning: WarningHandler;
  /** MLLM-MSR stage 1's text per item (the bundle's image summaries or tags; added items on demand) */
  texts?: ItemTexts;
  /** the generative summarizer (and re-ranker), when config.summary chose them; its LM loads in the background */
  gen?: Generative;
  /** the page passed its own re-ranker: the generative one never replaces it */
  pageReranker: boolean;
}

/**
 * Where the generative LM (`config.summary.summarizer: 'generative'`) stands: 'none' (not
 * configured), 'loading' (the default providers serve meanwhile), 'ready' (the generative summary
 * caught up, the generative re-ranker serving), 'failed' (a GENERATOR_UNAVAILABLE warning said why,
 * or the Recommender was disposed first; the default providers go on serving).
 */
export type GeneratorState = 'none' | 'loading' | 'ready' | 'failed';

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
 * Events: 'backendchange' (detail: BackendReport & { lost }) when a lost GPU forced a fallback;
 * 'warning' (detail: MolarWarning); 'generatorready' once the generative LM serves (see generatorReady).
 */
export class Recommender extends EventTarget {
  private disposed = false;
  private stopWatching: () => void = () => {};
  /** runs recommend()'s device work; moves to the next backend when the GPU goes (recovery.ts) */
  private guard!: DeviceGuard;
  /** catalog items (ids 1..numItems) then added items (numItems+1…) */
  private readonly all: ItemRecord[];
  private readonly lookup: Map<string, number>;
  /** the items added with addItems(), as the page gave them, in the order added (ids numItems+1…) */
  private readonly added: AddedItemRecord[] = [];
  /** unknown ids record() has warned about already (one warning per id, not per view) */
  private readonly unknownWarned = new Set<string>();
  private genState: GeneratorState;
  private genSettled: Promise<GeneratorState> = Promise.resolve('none');
  /** the bundle's re-ranker that served while the LM loaded, kept (unserved) until dispose: a recommend() in flight may still hold it */
  private retired?: Reranker;

  private constructor(private readonly parts: Parts) {
    super();
    this.all = [...parts.items];
    this.lookup = new Map(this.all.map((it, i) => [it.id, i + 1]));
    this.genState = parts.gen ? 'loading' : 'none';
    this.watch();
  }

  static async load(opts: LoadOptions): Promise<Recommender> {
    const { bundleUrl, backend = 'auto', model, onProgress } = opts;
    if (!bundleUrl) throw new MolarError('BAD_CONFIG', 'bundleUrl is required', { field: 'bundleUrl' });
    const config = resolveConfig(opts.config);
    const page = typeof location !== 'undefined' ? location.href : undefined;
    let absolute: string;
    try {
      absolute = new URL(bundleUrl, page).href;
    } catch (e) {
      throw new MolarError('BAD_CONFIG', `expected a URL (absolute, or relative to the page), got ${JSON.stringify(String(bundleUrl).slice(0, 200))}`, { field: 'bundleUrl', cause: e });
    }
    // Warnings raised before the Recommender exists go straight to the handler, later ones through it.
    let warn: WarningHandler = opts.onWarning ?? consoleWarning;
    const relay: WarningHandler = (w) => warn(w);
    // Fetch the item table and the files of the model this load serves (plus the item vectors
    // cold start needs), nothing else: a bundle may hold several models.
    // `auto` times the scoring op at the served model's shape: hand it over as soon as the manifest is read
    let manifestRead!: (m: Manifest) => void;
    let manifestFailed!: (e: unknown) => void;
    const manifestP = new Promise<Manifest>((resolve, reject) => ((manifestRead = resolve), (manifestFailed = reject)));
    const shape = manifestP.then((m) => scoringShape(m, pickModel(m, model)));
    // a forced backend never reads the shape: its rejection (a bad bundle) must not go unhandled
    shape.catch(() => {});
    const prefetch = (m: Manifest) => {
      manifestRead(m);
      return [...pickModel(m, model).files, ...(m.models.find((e) => e.kind === 'item-vectors')?.files ?? [])];
    };
    const bundleP = readBundle(absolute, { fetch: opts.fetch, onProgress, prefetch });
    bundleP.catch(manifestFailed); // no manifest: selection goes on without a shape, the bundle's error is what load throws
    // The three slow starts are independent: run them together.
    const [report, bundle, history] = await Promise.all([
      selectBackend(backend, config.runtime, [], { shape }),
      bundleP,
      HistoryStore.open(opts.namespace ?? absolute, config.history, { onWarning: (message, cause, code = 'HISTORY_NOT_PERSISTENT') => relay({ code, message, cause }) }),
    ]);
    // a missing wasm file is a deployment mistake, not a browser's limit: say so even though auto moved on
    for (const t of report.tried) {
      if (t.missingFile) relay({ code: 'BACKEND_FILE_MISSING', message: `${t.backend} backend skipped: ${t.reason}; using ${report.backend}` });
    }
    const { manifest } = bundle;
    const modelEntry = pickModel(manifest, model);
    const scorer = await createScorer({ manifest, entry: modelEntry, readFile: bundle.readFile, release: bundle.release, config });
    let bundled: Reranker | undefined;
    let texts: ItemTexts | undefined;
    let gen: Generative | undefined;
    try {
      // MLLM-MSR as config.summary chooses: stage 1's texts, the generative LM (in a worker), else the bundle's
      // re-ranker; the generative code is fetched only by a page that configured it (the widget's eager script stays small)
      const g = config.summary.summarizer === 'generative' || config.summary.captioner === 'generative' ? await import('../summary/gen-load.js') : undefined;
      // added items' captions are kept beside the history, so a reload does not caption them again
      texts = loadItemTexts(manifest, bundle.readFile, { captioner: g?.configuredCaptioner(config, opts.summaryWorker), captionSource: g?.captionSource(config), store: history, warn: relay });
      // the LM loads in the background (tens of seconds to minutes for a real one): nothing here waits for it
      gen = g?.startGenerative(config, { storage: history, texts, makeWorker: opts.summaryWorker });
      // the bundle's re-ranker serves until a generative one is ready, and for good if it never is
      const generativeReranker = config.summary.reranker === 'generative';
      if (!opts.reranker && config.summary.rerank) bundled = await loadMsrReranker(manifest, bundle.readFile, { served: modelEntry.kind, weight: config.summary.weight, warn: generativeReranker ? undefined : relay, storage: history });
      const vEntry = manifest.models.map((m) => entryOf(m, 'item-vectors')).find((e) => e !== undefined);
      const coldStart = vEntry ? await ColdStart.load(vEntry, bundle.readFile, manifest.numItems, { config, modelBaseUrl: opts.modelBaseUrl, warn: relay }) : null;
      const items = resolveItemUrls(bundle.items, bundle.baseUrl, page, relay, config.items);
      const rec = new Recommender({ bundle, items, modelEntry, scorer, report, history, config, coldStart, reranker: opts.reranker ?? bundled ?? KEEP_ORDER, onWarning: opts.onWarning ?? consoleWarning, texts, gen, pageReranker: !!opts.reranker });
      warn = (w) => rec.warn(w);
      if (coldStart) for (const a of await coldStart.restore(history, (id) => rec.lookup.has(id))) rec.attach(a.record, a.vector);
      // followed once the added items are back: the catch-up reads the history through them
      if (gen) rec.genSettled = rec.follow(gen);
      return rec;
    } catch (e) {
      scorer.dispose();
      bundled?.dispose?.();
      gen?.dispose();
      texts?.dispose();
      history.close();
      throw e;
    }
  }

  get manifest(): Manifest {
    return this.parts.bundle.manifest;
  }

  /** The bundle's entry of the model being served. */
  get modelEntry(): ModelEntry {
    return this.parts.modelEntry;
  }

  /** Catalog items then items added with addItems(); position i has internal id i+1. Image and link URLs are absolute. */
  get items(): readonly ItemRecord[] {
    return this.all;
  }

  /** The active compute backend. */
  get backend(): BackendName {
    return this.parts.report.backend;
  }

  /** Why the active backend won and why the ones before it were skipped. */
  get backendReport(): BackendReport {
    return this.parts.report;
  }

  /** Where the generative LM stands (GeneratorState); 'none' unless `config.summary.summarizer` is 'generative'. */
  get generatorState(): GeneratorState {
    return this.genState;
  }

  /**
   * Settles when the generative LM serves ('ready': loaded, and the summary caught up with the
   * blocks completed meanwhile, one LM call each) or never will ('failed', with a
   * GENERATOR_UNAVAILABLE warning); 'none' at once without one. It never rejects: a failed LM
   * leaves the default providers serving, which is no error of the page's.
   *
   * **Example:**
   * ```ts
   * const rec = await Recommender.load({ bundleUrl, config: { summary: { summarizer: 'generative', generator } } });
   * await rec.recommend({ k: 8 });                 // at once: the first stage (and the bundle's re-ranker)
   * if ((await rec.generatorReady) === 'ready') (await rec.preferenceSummary())?.text; // "The user appears to …"
   * ```
   */
  get generatorReady(): Promise<GeneratorState> {
    return this.genSettled;
  }

  /** Is the history kept in IndexedDB (true) or only in memory because IndexedDB failed (false)? */
  get persistent(): boolean {
    return this.parts.history.persistent;
  }

  item(id: string): ItemRecord | undefined {
    const i = this.lookup.get(id);
    return i === undefined ? undefined : this.all[i - 1];
  }

  /**
   * Cold start: encodes new items in the page with the encoder that made the bundle's item vectors
   * (loaded once, from `modelBaseUrl`), so they can be recorded and recommended at once, without
   * retraining. Each is persisted (record + vector) beside the history and comes back on the next
   * load. Safe to call with the same products on every page load: an item added before with the
   * same content is left as it is (nothing is encoded), one whose text, attributes or image changed
   * is encoded again and keeps its place in the history, and one whose link, price or title
   * wording alone changed gets its new record. An id the bundle's catalog ships is left to the
   * bundle (its trained vector wins; a rebuilt bundle that now ships a product added here takes it
   * over). Returns the ItemRecords of the given items, in order.
   *
   * **Example:**
   * ```ts
   * await rec.addItems([{ id: 'sku-new', title: 'Matcha whisk', description: 'Bamboo chasen' }]);
   * await rec.recommend({ k: 5 }); // may now hold { item: { id: 'sku-new', … }, score }
   * ```
   */
  async addItems(items: AddItemInput[]): Promise<ItemRecord[]> {
    this.alive();
    const cold = this.parts.coldStart;
    if (!cold) {
      throw new MolarError('BAD_CONFIG', 'this bundle has no item vectors, so new items cannot be encoded: build it with `molar build --encode <encoder id>` (e.g. --encode use-lite)', { field: 'addItems' });
    }
    if (!Array.isArray(items)) throw new MolarError('BAD_INPUT', 'addItems expects an array of items', { field: 'items' });
    const given = new Set<string>();
    for (const it of items) {
      if (typeof it?.id !== 'string' || it.id === '') throw new MolarError('BAD_INPUT', `expected a non-empty string item id, got ${JSON.stringify(it?.id)}`, { field: 'id' });
      if (given.has(it.id)) throw new MolarError('BAD_INPUT', `item "${it.id}" appears twice in this call`, { field: 'id' });
      given.add(it.id);
    }
    const n = this.manifest.numItems;
    const change = await Promise.all(items.map((it) => {
      const i = this.lookup.get(it.id);
      if (i === undefined) return 'content';
      return i <= n ? 'none' : changeOf(this.added[i - n - 1], it);
    }));
    const encode = items.filter((_, r) => change[r] === 'content');
    const m = encode.length ? await cold.encode(encode, this.parts.history) : undefined;
    this.alive();
    const out: ItemRecord[] = [];
    let e = 0;
    for (const [r, it] of items.entries()) {
      const i = this.lookup.get(it.id); // read again: a call running beside this one may have added it meanwhile
      if (change[r] === 'content') {
        const v = m!.data.subarray(e * m!.dim, ++e * m!.dim);
        out.push(i === undefined ? this.attach(it, v) : this.replace(i, it, v));
      } else if (change[r] === 'record') {
        await this.parts.history.addItem(it, cold.store.row(i!));
        out.push(this.setRecord(i!, it));
      } else out.push(this.all[i! - 1]);
    }
    return out;
  }

  /**
   * Adds one event to the shopper's history. An id the bundle does not know (a product newer than
   * the bundle: a shop's catalog moves faster than its bundle) is still recorded, and an
   * UNKNOWN_ITEM warning says so, once per id: recommend() leaves it out until addItems() or a
   * rebuilt bundle knows it, and then counts it where it stands in the history.
   */
  async record(input: RecordInput): Promise<HistoryEvent> {
    this.alive();
    // the store checks the event (BAD_INPUT naming the field) before anything is said about it
    const ev = await this.parts.history.record({ itemId: input?.itemId, type: input?.type ?? 'view', ts: input?.ts });
    if (!this.lookup.has(ev.itemId) && !this.unknownWarned.has(ev.itemId)) {
      this.unknownWarned.add(ev.itemId);
      this.warn({ code: 'UNKNOWN_ITEM', itemId: ev.itemId, message: `item "${ev.itemId}" is neither in the bundle's catalog nor added with addItems(): recorded, but left out of recommendations until addItems() or a rebuilt bundle knows it` });
    }
    return ev;
  }

  /**
   * scorer → fuse (added items) → top-N → re-rank → top-k. When the GPU goes during a call, the call
   * moves to the next backend and runs again there (`backendchange` is dispatched); it rejects with
   * DEVICE_LOST only when no backend is left.
   */
  async recommend(opts: RecommendOptions = {}): Promise<Recommendation[]> {
    this.alive();
    const { k = 8, exclude = 'seen' } = opts ?? {};
    if (!Number.isInteger(k) || k < 1) throw new MolarError('BAD_CONFIG', `k must be a positive integer, got ${k}`, { field: 'k' });
    // anything else would silently mean "exclude nothing"
    if (exclude !== 'seen' && exclude !== 'none' && !(Array.isArray(exclude) && exclude.every((id) => typeof id === 'string'))) {
      throw new MolarError('BAD_CONFIG', `expected 'seen', 'none' or a list of item ids, got ${JSON.stringify(exclude)}`, { field: 'exclude' });
    }
    const { config } = this.parts;
    const seq = await this.historyIds();
    const excluded: number[] = [];
    if (exclude === 'seen') excluded.push(...seq);
    else if (Array.isArray(exclude)) for (const id of exclude) excluded.push(this.lookup.get(id) ?? 0);
    const depth = Math.max(k, config.score.rerankDepth);
    const n = this.manifest.numItems;
    const top = await this.guard.run(async (): Promise<{ picked: TopK; scores?: Float32Array }> => {
      const scorer = this.parts.scorer; // read here: a recovery replaces it
      const native = scorer.addItems !== undefined; // a content model scores added items itself
      // no full row when nothing reads one: no added items to fuse in, and not the bundle's MSR
      // re-ranker (it puts candidates on the catalog's scale); top-K streams through the table
      if (scorer.topK && !(this.all.length > n && !native) && !(this.parts.reranker instanceof MsrReranker)) {
        const skip = new Set(excluded.filter((i) => i > 0));
        skip.add(0);
        const picked = await scorer.topK(native ? seq : seq.filter((i) => i <= n), depth, skip);
        checkStreamedTopK(picked, native ? this.all.length : n, depth, skip, this.onGpu());
        return { picked };
      }
      const [scores] = await this.scoreRows([seq]);
      const picked = await vectorTopK(scores, depth, excluded);
      checkTopK(picked, scores, depth, excluded);
      return { picked, scores };
    });
    this.alive();
    const candidates = Array.from(top.picked.ids, (id, i) => ({ id, score: top.picked.scores[i] }));
    // read after the device work: a recovery there replaces the bundle's re-ranker too
    const ranked = await rerank(this.parts.reranker, candidates, { history: seq, items: this.all, k, scores: top.scores });
    return ranked.slice(0, k).map((c) => ({ item: this.all[c.id - 1], score: c.score }));
  }

  /**
   * The shopper's preference summary (MLLM-MSR stage 2), text only: the generative one ("The user
   * appears to have a preference for …", advanced by the blocks completed since the kept one) when
   * `config.summary.summarizer` is 'generative' and its LM is ready; else the bundle's learned state
   * read through stage 1's tags ("Prefers …; lately …") when its re-ranker is in use; null otherwise.
   * While the LM loads (or when it failed) no LM runs: the kept generative text is served if one
   * fits the history (a returning shopper's, possibly a block or more behind), else the learned one,
   * else '' (nothing yet). `source` says which it is.
   */
  async preferenceSummary(): Promise<PreferenceSummary | null> {
    this.alive();
    const gen = this.parts.gen;
    const seq = await this.historyIds();
    const generative = (text: string): PreferenceSummary => ({ text, prefers: [], lately: [], source: 'generative' });
    if (gen && this.genState === 'ready') return generative((await gen.memory.read(seq, this.all)).summary);
    // not waiting on a catch-up in progress either: what it has written so far
    const kept = gen && (await gen.memory.kept(seq, this.all, { wait: false })).summary;
    if (kept) return generative(kept);
    const r = this.parts.reranker;
    if (r instanceof MsrReranker) return { ...(await r.describe(seq, this.all)), source: 'learned' };
    return gen ? generative('') : null;
  }

  /**
   * "Why this?" for one item (any catalog or added item, recommended or not): its served score, the
   * shopper's preference summary (null without the bundle's MLLM-MSR re-ranker) and the history
   * items that raise its score most, measured by leave-one-out on the served score (explain.ts:
   * the history scored again without each of its newest 20 distinct items; top 3). Text only.
   *
   * **Example:**
   * ```ts
   * await rec.explain('sku-7');
   * // { item: { id: 'sku-7', … }, score: 0.41, summary: 'Prefers tea; lately mugs',
   * //   contributions: [{ item: { id: 'sku-42', … }, delta: 0.12 }, …], method: 'leave-one-out' }
   * ```
   */
  async explain(itemId: string): Promise<Explanation> {
    return (await this.explainMany([itemId]))[0];
  }

  /** explain() for several items in one set of scoring passes (what the widget's "Why these?" shows for its list). */
  async explainMany(itemIds: string[]): Promise<Explanation[]> {
    this.alive();
    if (!Array.isArray(itemIds)) throw new MolarError('BAD_INPUT', 'explainMany expects an array of item ids', { field: 'itemIds' });
    const targets = itemIds.map((id) => {
      const i = typeof id === 'string' ? this.lookup.get(id) : undefined;
      if (i === undefined) throw new MolarError('NOT_FOUND', `item ${JSON.stringify(id)} is neither in the bundle's catalog nor added with addItems()`, { field: 'itemId' });
      return i;
    });
    const seq = await this.historyIds();
    const served = async (histories: Int32Array[], ids: number[]) => {
      const rows = await this.guard.run(() => this.scoreRows(histories));
      this.alive();
      // through the same re-ranker recommend() uses, on what-if histories it must not remember
      return Promise.all(
        rows.map(async (scores, h) => {
          const ranked = await rerank(this.parts.reranker, Array.from(ids, (id) => ({ id, score: scores[id] })), { history: histories[h], items: this.all, k: ids.length, scores, scratch: true });
          const by = new Map(ranked.map((c) => [c.id, c.score]));
          // a re-ranker that leaves a candidate out ranks it below everything it kept
          return Float32Array.from(ids, (id) => by.get(id) ?? -Infinity);
        }),
      );
    };
    const [found, summary] = await Promise.all([contributions(seq, targets, served), this.preferenceSummary()]);
    return found.map((f, t) => ({
      item: this.all[targets[t] - 1],
      score: f.score,
      summary: summary?.text || null,
      contributions: f.top.map((c) => ({ item: this.all[c.id - 1], delta: c.delta })),
      method: 'leave-one-out' as const,
    }));
  }

  /**
   * MLLM-MSR stage 1's short text of an item (text only): a catalog item's from the bundle (image
   * summary, else tags); an item added with addItems() computed on the first ask and cached: the
   * generative captioner on its image when `config.summary.captioner` is 'generative', else the
   * bundle's tagger on its vector. '' when nothing describes it; null when the bundle has no stage 1.
   */
  async itemSummary(itemId: string): Promise<string | null> {
    this.alive();
    const i = typeof itemId === 'string' ? this.lookup.get(itemId) : undefined;
    if (i === undefined) throw new MolarError('NOT_FOUND', `item ${JSON.stringify(itemId)} is neither in the bundle's catalog nor added with addItems()`, { field: 'itemId' });
    return this.parts.texts ? this.parts.texts.text(i) : null;
  }

  /** The shopper's events, oldest first. */
  events(): Promise<HistoryEvent[]> {
    this.alive();
    return this.parts.history.list();
  }

  /** A JSON document of everything this site remembers about the shopper. */
  exportHistory(): Promise<string> {
    this.alive();
    return this.parts.history.exportJSON();
  }

  /** Forget the shopper on this site (`all: true`: on every site using molar-web in this browser). */
  async clearHistory({ all = false } = {}): Promise<void> {
    this.alive();
    await (all ? this.parts.history.clearAll() : this.parts.history.clear());
  }

  /** Frees the model's and the encoder's tensors and closes the history. Safe to call twice. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.stopWatching();
    this.parts.scorer.dispose();
    this.parts.coldStart?.dropEncoder();
    this.parts.reranker.dispose?.();
    try {
      this.retired?.dispose?.();
    } catch {
      // a retired re-ranker whose GPU went: nothing of it is reachable any more
    }
    // ends a load in flight too: its worker is terminated now, not when the download finishes
    this.parts.gen?.dispose();
    this.parts.texts?.dispose();
    this.parts.history.close();
  }

  /**
   * The served model's scores over every item (ids 0..; items added with addItems() fused in when
   * the model cannot score them itself) for each history: recommend()'s and explain()'s device work,
   * run inside the DeviceGuard by the caller.
   */
  private async scoreRows(seqs: Int32Array[]): Promise<Float32Array[]> {
    const { coldStart, config } = this.parts;
    const n = this.manifest.numItems;
    const scorer = this.parts.scorer; // read here: a recovery replaces it
    const native = scorer.addItems !== undefined; // a content model scores added items itself
    const primary = await scorer.score(seqs.map((seq) => (native ? seq : seq.filter((i) => i <= n))));
    const rows = (native ? this.all.length : n) + 1;
    return primary.map((row, h) => {
      if (row.length !== rows) throw new MolarError('BUNDLE_INVALID', `the ${this.modelEntry.kind} model scores ${row.length - 1} items, the item table holds ${rows - 1}`, { field: 'numItems' });
      checkScores(row, this.onGpu());
      return !native && this.all.length > n ? fuseAddedItems(row, seqs[h], coldStart!.store, n, config.score.contentRecencyDecay) : row;
    });
  }

  /** Whether the active backend is a GPU one (whose lost device can return garbage instead of failing). */
  private onGpu(): boolean {
    return this.parts.report.backend === 'webgl' || this.parts.report.backend === 'webgpu';
  }

  /** The history as internal ids, oldest first; ids nothing knows yet (recorded before addItems()) are left out. */
  private async historyIds(): Promise<Int32Array> {
    return Int32Array.from((await this.parts.history.itemSequence()).map((id) => this.lookup.get(id) ?? 0).filter((i) => i > 0));
  }

  /**
   * The generative LM's load, followed: once it is there, the summary catches up with the blocks
   * completed meanwhile (one LM call each, written as it goes), then the generative re-ranker takes
   * over from the bundle's. A failed load (or catch-up) leaves the default providers serving.
   */
  private async follow(gen: Generative): Promise<GeneratorState> {
    try {
      await gen.ready;
      this.alive();
      await gen.memory.read(await this.historyIds(), this.all);
      this.alive();
    } catch (e) {
      this.genState = 'failed';
      if (this.disposed) return 'failed';
      gen.dispose();
      this.warn({ code: 'GENERATOR_UNAVAILABLE', message: `the generative summary's LM is unavailable (${e instanceof Error ? e.message : String(e)}); serving with the default providers`, cause: e });
      return 'failed';
    }
    if (gen.reranker && !this.parts.pageReranker) {
      this.retired = this.parts.reranker;
      this.parts.reranker = gen.reranker;
    }
    this.genState = 'ready';
    this.dispatchEvent(new CustomEvent('generatorready'));
    return 'ready';
  }

  /** Hands a warning to `onWarning` and dispatches it as a 'warning' event. */
  private warn(w: MolarWarning): void {
    this.parts.onWarning(w);
    this.dispatchEvent(new CustomEvent('warning', { detail: w }));
  }

  private attach(it: AddedItemRecord, vector: Float32Array): ItemRecord {
    const cold = this.parts.coldStart!;
    cold.store.append({ data: vector, rows: 1, dim: vector.length });
    this.added.push(it);
    this.all.push(this.resolved(it));
    this.lookup.set(it.id, this.all.length);
    this.toModels(this.all.length, it, vector, false);
    return this.all[this.all.length - 1];
  }

  /** New content for added item `i`: its vector everywhere the first one went, its id and history kept. */
  private replace(i: number, it: AddedItemRecord, vector: Float32Array): ItemRecord {
    this.parts.coldStart!.store.replace(i, { data: vector, rows: 1, dim: vector.length });
    const item = this.setRecord(i, it);
    this.toModels(i, it, vector, true);
    return item;
  }

  /** Hands added item `i` to the models that read item vectors (`replace`: as new content for it). */
  private toModels(i: number, it: AddedItemRecord, vector: Float32Array, replace: boolean): void {
    const row = { data: vector, rows: 1, dim: vector.length, ...(replace ? { first: i } : {}) };
    // its attributes too: a content model's fusion head reads them as it read the catalog's
    this.parts.scorer.addItems?.({ ...row, attributes: [it.attributes] });
    this.parts.reranker.addItems?.(row);
    // stage 1 of it when first asked for: from a Blob the page gave, or the URL the origin policy kept
    this.parts.texts?.add(i, { name: it.id, vector, image: it.image instanceof Blob ? it.image : this.all[i - 1].image });
  }

  private setRecord(i: number, it: AddedItemRecord): ItemRecord {
    this.added[i - this.manifest.numItems - 1] = it;
    this.all[i - 1] = this.resolved(it);
    return this.all[i - 1];
  }

  /** An added item's card record; its image or link is relative to the page that added it. */
  private resolved(it: AddedItemRecord): ItemRecord {
    const page = typeof location !== 'undefined' ? location.href : this.parts.bundle.baseUrl;
    return resolveItemUrls([addedItemRecord(it)], page, page, (w) => this.warn(w), this.parts.config.items)[0];
  }

  private alive(): void {
    if (this.disposed) throw new MolarError('DISPOSED', 'this Recommender was disposed; load a new one');
  }

  /** On GPU loss: move to the next backend, rebuild the model's tensors there, keep the history. */
  private watch(): void {
    const p = this.parts;
    this.guard = new DeviceGuard({
      runtime: p.config.runtime,
      shape: scoringShape(this.manifest, p.modelEntry),
      backend: p.report.backend,
      rebuild: async (report) => {
        const old = p.scorer;
        p.scorer = await createScorer({ manifest: this.manifest, entry: p.modelEntry, readFile: p.bundle.readFile, release: p.bundle.release, config: p.config });
        p.report = report;
        try {
          old.dispose(); // its tensors lived on the lost device; this frees what the engine still tracks
        } catch {
          // a backend torn down with its device may refuse; nothing of it is reachable any more
        }
        // the bundle's re-ranker holds tensors too: rebuilt the same way (a re-ranker the page passed is its own)
        const rebuiltReranker = p.reranker instanceof MsrReranker;
        if (p.reranker instanceof MsrReranker) {
          const lost = p.reranker;
          p.reranker = (await loadMsrReranker(this.manifest, p.bundle.readFile, { served: p.modelEntry.kind, weight: lost.weight, storage: p.history })) ?? KEEP_ORDER;
          try {
            lost.dispose();
          } catch {
            // as the scorer's: its device is gone
          }
        }
        // both were rebuilt from the bundle: hand them the added items again (int8 rows), in one pass
        const store = p.coldStart?.store;
        const n = this.manifest.numItems;
        if (store) {
          for (let i = n + 1; i <= store.numItems; i++) {
            const row = { data: store.row(i), rows: 1, dim: store.dim };
            p.scorer.addItems?.({ ...row, attributes: [this.added[i - n - 1].attributes] });
            if (rebuiltReranker) p.reranker.addItems?.(row);
          }
        }
        p.coldStart?.dropEncoder();
      },
      changed: (report, lost) => this.dispatchEvent(new CustomEvent('backendchange', { detail: { ...report, lost } })),
    });
    this.stopWatching = () => this.guard.stop();
  }
}
