/** Served by Vite to coldstart.spec.ts: addItems() on the small use-lite bundle, plain results back. */
import { Recommender } from '../../src/recommender/index.js';

const BUNDLE = '/bundles/coldstart/';
const NS = 'coldstart-e2e';
/** nearly the same text as the catalog's "tea-green" (Green Tea. Loose-leaf sencha. category: tea) */
const NEW_ITEM = { id: 'tea-green-2', title: 'Green Tea', description: 'Loose-leaf sencha green tea', attributes: { category: 'tea' }, price: 7 };

async function errorOf(p: Promise<unknown>): Promise<{ code?: string; message: string } | null> {
  try {
    await p;
    return null;
  } catch (e) {
    return { code: (e as { code?: string }).code, message: String((e as Error).message) };
  }
}

/** Fresh namespace, a view of tea-green, then addItems() of a near-twin; returns what recommend() gives. */
export async function addAndRecommend(k: number) {
  const rec = await Recommender.load({ bundleUrl: BUNDLE, backend: 'wasm', namespace: NS });
  await rec.clearHistory();
  await rec.record({ itemId: 'tea-green', type: 'view', ts: 1_000 });
  const before = (await rec.recommend({ k })).map((r) => r.item.id);
  const duplicate = await errorOf(rec.addItems([NEW_ITEM, NEW_ITEM]));
  const added = await rec.addItems([NEW_ITEM]);
  const top = await rec.recommend({ k });
  await rec.record({ itemId: NEW_ITEM.id, type: 'click', ts: 2_000 });
  const events = (await rec.events()).map((e) => `${e.type}:${e.itemId}`);
  rec.dispose();
  return { backend: rec.backend, before, duplicate, added, ids: top.map((r) => r.item.id), scores: top.map((r) => r.score), events };
}

/**
 * A view of a product newer than the bundle (issue 22 §7), recorded before addItems(): kept, one
 * UNKNOWN_ITEM warning, left out of scoring; once added, that early view counts (the item is seen).
 */
export async function recordBeforeAdd(k: number) {
  const warnings: string[] = [];
  const rec = await Recommender.load({ bundleUrl: BUNDLE, backend: 'wasm', namespace: `${NS}-early`, onWarning: (w) => warnings.push(`${w.code}:${w.itemId}`) });
  await rec.clearHistory();
  await rec.record({ itemId: 'tea-green', type: 'view', ts: 1_000 });
  const ids = async () => (await rec.recommend({ k })).map((r) => r.item.id);
  const before = await ids();
  await rec.record({ itemId: NEW_ITEM.id, type: 'view', ts: 2_000 });
  const unknown = await ids();
  await rec.addItems([NEW_ITEM]);
  const added = await ids();
  const events = (await rec.events()).map((e) => `${e.type}:${e.itemId}`);
  rec.dispose();
  return { warnings, before, unknown, added, events };
}

/** After a reload: the added item comes back from IndexedDB and is still recommendable. */
export async function afterReload(k: number) {
  const rec = await Recommender.load({ bundleUrl: BUNDLE, backend: 'wasm', namespace: NS });
  const item = rec.item(NEW_ITEM.id) ?? null;
  const events = (await rec.events()).map((e) => `${e.type}:${e.itemId}`);
  // drop the click on the new item so it is not excluded as seen; keep the view of its twin
  await rec.clearHistory();
  await rec.record({ itemId: 'tea-green', type: 'view', ts: 1_000 });
  const gone = rec.item(NEW_ITEM.id) ?? null; // clearHistory forgets persisted items, not the loaded ones
  const top = await rec.recommend({ k });
  rec.dispose();
  return { item, events, stillLoaded: gone !== null, ids: top.map((r) => r.item.id), numItems: rec.manifest.numItems, total: rec.items.length };
}

/**
 * A page that adds its new products on every load: added once, then again after a "reload" (a new
 * Recommender on the persisted items), unchanged, with a new price, then with new content. Counts
 * the encoder's model fetches, so "nothing was encoded" is observed, not assumed.
 */
export async function addAgain() {
  const ns = `${NS}-again`;
  const modelFetches: string[] = [];
  const realFetch = globalThis.fetch;
  globalThis.fetch = ((input: RequestInfo | URL, init?: RequestInit) => {
    if (String(input instanceof Request ? input.url : input).includes('/models/')) modelFetches.push(String(input));
    return realFetch(input, init);
  }) as typeof fetch;
  try {
    const first = await Recommender.load({ bundleUrl: BUNDLE, backend: 'wasm', namespace: ns });
    await first.clearHistory();
    await first.record({ itemId: 'tea-green', type: 'view', ts: 1_000 });
    await first.addItems([NEW_ITEM]);
    const scoreOf = async (r: Recommender) => (await r.explain(NEW_ITEM.id)).score;
    const added = { score: await scoreOf(first), total: first.items.length };
    first.dispose();

    const rec = await Recommender.load({ bundleUrl: BUNDLE, backend: 'wasm', namespace: ns });
    const fetchesBefore = modelFetches.length;
    const same = (await rec.addItems([NEW_ITEM, { id: 'tea-black', title: 'Black Tea' }])).map((r) => ({ id: r.id, title: r.title, price: r.price }));
    const sameState = { score: await scoreOf(rec), total: rec.items.length, fetches: modelFetches.length - fetchesBefore };
    const [priced] = await rec.addItems([{ ...NEW_ITEM, price: 9 }]);
    const pricedState = { price: priced.price, itemPrice: rec.item(NEW_ITEM.id)?.price, score: await scoreOf(rec), total: rec.items.length, fetches: modelFetches.length - fetchesBefore };
    // now a cast-iron pot: far from the green tea the shopper viewed
    const POT = { ...NEW_ITEM, price: 9, title: 'Cast iron kettle', description: 'Heavy cast iron kettle for the stove', attributes: { category: 'teaware' } };
    const [pot] = await rec.addItems([POT]);
    const potState = { title: pot.title, score: await scoreOf(rec), total: rec.items.length, fetches: modelFetches.length - fetchesBefore, events: (await rec.events()).map((e) => `${e.type}:${e.itemId}`) };
    rec.dispose();

    const reloaded = await Recommender.load({ bundleUrl: BUNDLE, backend: 'wasm', namespace: ns });
    const afterReload = { title: reloaded.item(NEW_ITEM.id)?.title, price: reloaded.item(NEW_ITEM.id)?.price, score: await scoreOf(reloaded), total: reloaded.items.length };
    await reloaded.clearHistory();
    reloaded.dispose();
    return { added, same, sameState, pricedState, potState, afterReload };
  } finally {
    globalThis.fetch = realFetch;
  }
}

/** A bundle without item vectors refuses addItems() with BAD_CONFIG. */
export async function withoutVectors() {
  // the demo bundle as a build without --encode writes it: no item vectors, so nothing that reads them
  const plain: typeof fetch = async (input, init) => {
    const r = await fetch(input, init);
    if (!String(input).endsWith('/manifest.json')) return r;
    const m = await r.json();
    m.models = m.models.filter((e: { kind: string }) => !['item-vectors', 'item-tags', 'molar', 'blend'].includes(e.kind));
    delete m.served;
    return new Response(JSON.stringify(m), { headers: { 'content-type': 'application/json' } });
  };
  const rec = await Recommender.load({ bundleUrl: '/bundles/demo/', backend: 'wasm', namespace: 'coldstart-e2e-demo', fetch: plain });
  const err = await errorOf(rec.addItems([{ id: 'x-new', title: 'x' }]));
  rec.dispose();
  return err;
}

/** addItems() of the near-twin on `backend` (a fresh namespace); the backend it ran on and the top-k ids. */
export async function addOn(backend: 'webgpu' | 'wasm', k: number) {
  const rec = await Recommender.load({ bundleUrl: BUNDLE, backend, namespace: `${NS}-${backend}` });
  await rec.clearHistory();
  await rec.record({ itemId: 'tea-green', type: 'view', ts: 1_000 });
  const added = await errorOf(rec.addItems([NEW_ITEM]));
  const top = added ? [] : await rec.recommend({ k });
  rec.dispose();
  return { backend: rec.backend, error: added, ids: top.map((r) => r.item.id), scores: top.map((r) => r.score) };
}


/** USE-lite vectors of `n` catalogue-like titles (about 15 tokens each) on `backend`, or the error. */
export async function encodeTitles(backend: 'webgpu' | 'wasm', n: number) {
  const { selectBackend } = await import('../../src/runtime/backend.js');
  const { loadBrowserItemEncoder } = await import('../../src/encoders/browser.js');
  await selectBackend(backend);
  const enc = await loadBrowserItemEncoder('use-lite');
  const texts = Array.from({ length: n }, (_, i) => `Toy Story ${i} (1995). genres: Animation, Children's, Comedy` + ' and more'.repeat(i % 5));
  try {
    const m = await enc.text!.encodeText(texts);
    return { error: null, rows: Array.from({ length: n }, (_, r) => Array.from(m.data.subarray(r * m.dim, (r + 1) * m.dim))) };
  } catch (e) {
    return { error: String(e), rows: [] };
  } finally {
    enc.dispose();
  }
}
