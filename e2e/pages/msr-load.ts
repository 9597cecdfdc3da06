/**
 * Served by Vite to msr-gen.spec.ts: MLLM-MSR's generative stages chosen by `config.summary` through
 * Recommender.load on the small use-lite bundle (e2e/fixtures/coldstart-bundle), the fixture LM and
 * captioner in module workers (msr-gen-worker.ts: the product's worker, counting the requests it
 * serves, so the spec can tell how many LM calls a page made). Plain data goes back.
 */
import { HistoryStore } from '../../src/history/index.js';
import { Recommender } from '../../src/recommender/index.js';

const BUNDLE = '/bundles/coldstart/';
const GEN = '/e2e/fixtures/tiny-gen/';
const NS = 'msr-load-e2e';
const workers: Worker[] = [];
const make = () => {
  const w = new Worker(new URL('./msr-gen-worker.ts', import.meta.url), { type: 'module' });
  workers.push(w);
  return w;
};

/** Requests each worker of this page served (those started from the `from`th on: a terminated one never answers), by op, summed. */
async function counts(from = 0): Promise<Record<string, number>> {
  const all = await Promise.all(
    workers.slice(from).map(
      (w) =>
        new Promise<Record<string, number>>((resolve) => {
          const on = (e: MessageEvent) => {
            if (!e.data?.counts) return;
            w.removeEventListener('message', on);
            resolve(e.data.counts);
          };
          w.addEventListener('message', on);
          w.postMessage({ op: 'counts' });
        }),
    ),
  );
  const sum: Record<string, number> = {};
  for (const c of all) for (const [k, v] of Object.entries(c)) sum[k] = (sum[k] ?? 0) + v;
  return sum;
}

const load = (warnings: string[] = []) =>
  Recommender.load({
    bundleUrl: BUNDLE,
    backend: 'wasm',
    namespace: NS,
    summaryWorker: make,
    onWarning: (w) => warnings.push(`${w.code}:${w.itemId ?? ''}`),
    config: {
      score: { rerankDepth: 10 },
      summary: {
        summarizer: 'generative',
        reranker: 'generative',
        captioner: 'generative',
        generator: { model: 'tiny-gpt2', localModelPath: GEN, device: 'wasm', maxNewTokens: 8, n: 10 },
        captionModel: { model: 'tiny-captioner', localModelPath: GEN, device: 'wasm', maxNewTokens: 10 },
      },
    },
  });

const exported = async (rec: Recommender) => (JSON.parse(await rec.exportHistory()) as { summaries: { provider: string; blocks: number; text?: string }[] }).summaries;

/**
 * A fresh shopper: six views while the LM loads (load does not wait for it), then once it is ready
 * the summary (two blocks, caught up) and one re-ranked list.
 */
export async function firstVisit() {
  const rec = await load();
  const stateAtLoad = rec.generatorState;
  await rec.clearHistory();
  for (const itemId of ['tea-green', 'tea-black', 'tea-oolong', 'mug-white', 'mug-blue', 'pot-glass']) await rec.record({ itemId });
  // the default providers meanwhile (this bundle has no re-ranker: the first stage's order)
  const early = (await rec.recommend({ k: 4 })).map((r) => r.item.id);
  const ready = await rec.generatorReady;
  const summary = (await rec.preferenceSummary())?.text ?? null;
  const ids = (await rec.recommend({ k: 4 })).map((r) => r.item.id);
  // what the main thread itself fetched: not the LM's weights nor onnxruntime (the worker did)
  const mainFetched = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname);
  const out = { stateAtLoad, early, ready, summary, ids, counts: await counts(), kept: await exported(rec), mainFetched };
  rec.dispose();
  return out;
}

/** After a reload: the kept summary read back with no LM call; then a seventh to ninth view complete a block, one call. */
export async function afterReload() {
  const rec = await load();
  // while the LM loads, the kept text is served without it
  const early = (await rec.preferenceSummary())?.text ?? null;
  await rec.generatorReady;
  const before = await counts();
  const summary = (await rec.preferenceSummary())?.text ?? null;
  const ids = (await rec.recommend({ k: 4 })).map((r) => r.item.id);
  const read = await counts();
  for (const itemId of ['pot-iron', 'honey', 'biscuits']) await rec.record({ itemId });
  const next = (await rec.preferenceSummary())?.text ?? null;
  const out = { early, summary, ids, before, read, next, advanced: await counts(), kept: await exported(rec) };
  rec.dispose();
  return out;
}

/** A PNG of the fixture's first image, as a shop's file input would hand it over. */
async function pngOf(i: number): Promise<Blob> {
  const e = (await (await fetch(`${GEN}expected.json`)).json()) as { images: { width: number; height: number; rgba_base64: string }[] };
  const img = e.images[i];
  const c = new OffscreenCanvas(img.width, img.height);
  c.getContext('2d')!.putImageData(new ImageData(Uint8ClampedArray.from(atob(img.rgba_base64), (ch) => ch.charCodeAt(0)), img.width, img.height), 0, 0);
  return c.convertToBlob({ type: 'image/png' });
}

/** addItems() items get stage 1's text on demand: captioned once from a Blob; a cross-origin image is never fetched. */
export async function captions() {
  const warnings: string[] = [];
  const rec = await load(warnings);
  await rec.generatorReady; // its worker's requests are counted too
  await rec.clearHistory();
  await rec.addItems([
    { id: 'new-blob', title: 'Speckled cup', image: await pngOf(0) },
    { id: 'new-remote', title: 'Far cup', image: 'https://images.example.com/cup.png' },
  ]);
  const before = await counts();
  const blob = await rec.itemSummary('new-blob');
  const again = await rec.itemSummary('new-blob');
  const remote = await rec.itemSummary('new-remote');
  const catalog = await rec.itemSummary('tea-green');
  const out = { blob, again, remote, catalog, before, after: await counts(), warnings };
  rec.dispose();
  return out;
}

/**
 * After a reload: the added item's caption comes from IndexedDB, the captioner never loaded; then
 * the shop's record of that item gets another picture (written to the store as addItems() would),
 * and the next load captions that one.
 */
export async function captionsAfterReload() {
  const rec = await load();
  await rec.generatorReady;
  const kept = await rec.itemSummary('new-blob');
  const afterKept = await counts();
  rec.dispose();

  const h = await HistoryStore.open(NS);
  const item = (await h.addedItems()).find((i) => i.id === 'new-blob')!;
  await h.addItem({ ...item.record, image: await pngOf(1) }, item.vector);
  h.close();
  const from = workers.length; // the first load's worker is terminated
  const changed = await load();
  const recaptioned = await changed.itemSummary('new-blob');
  const delta = await counts(from);
  changed.dispose();
  return { kept, afterKept, recaptioned, delta };
}

/**
 * <molar-recs> with the generative stages in its `config` attribute (the product's own worker): it
 * renders from the first stage at once, and once the LM serves it re-ranks itself and fires
 * molar-generator-ready. Returns the element's events in order and the last list it showed.
 */
export async function widget() {
  await import('../../src/widget/index.js');
  const el = document.createElement('molar-recs') as import('../../src/widget/molar-recs.js').MolarRecs;
  el.setAttribute('bundle', BUNDLE);
  el.setAttribute('backend', 'wasm');
  el.setAttribute('k', '4');
  el.setAttribute('config', JSON.stringify({ score: { rerankDepth: 10 }, summary: { summarizer: 'generative', reranker: 'generative', generator: { model: 'tiny-gpt2', localModelPath: GEN, device: 'wasm', maxNewTokens: 8, n: 10 } } }));
  const events: string[] = [];
  let shown: string[] = [];
  el.addEventListener('molar-ready', () => events.push(`ready:${el.recommender?.generatorState}`));
  el.addEventListener('molar-recommend', (e) => {
    events.push('recommend');
    shown = (e as CustomEvent<{ items: { item: { id: string } }[] }>).detail.items.map((r) => r.item.id);
  });
  el.addEventListener('molar-error', (e) => events.push(`error:${(e as CustomEvent).detail.error?.message}`));
  const generatorReady = new Promise<void>((resolve) => el.addEventListener('molar-generator-ready', () => (events.push('generator-ready'), resolve()), { once: true }));
  document.body.append(el);
  // three views (one block) while the LM loads, so the generative summary has something to say
  for (const itemId of ['tea-green', 'tea-black', 'tea-oolong']) await el.record({ itemId });
  await generatorReady;
  const served = (await el.recommender!.recommend({ k: 4 })).map((r) => r.item.id);
  const summary = (await el.recommender!.preferenceSummary()) ?? null;
  el.remove();
  el.recommender?.dispose();
  return { events, shown, served, summary };
}
