/**
 * Served by Vite to coldstart-image.spec.ts: the MobileNetV2 files the dev server makes from nsfwjs,
 * and addItems() on a bundle whose item vectors are image-only (e2e/fixtures/coldstart-image-src).
 */
import { loadBrowserItemEncoder } from '../../src/encoders/browser.js';
import { browserImageDecoder } from '../../src/encoders/image-decode.js';
import { cosine, getRow } from '../../src/encoders/matrix.js';
import { weightBytes, type ModelJson } from '../../src/encoders/sources.js';
import { ItemVectorStore } from '../../src/items/store.js';
import { selectBackend } from '../../src/runtime/backend.js';
import { Recommender } from '../../src/recommender/index.js';

const BUNDLE = '/e2e/fixtures/coldstart-image-bundle/';
const IMG = (id: string) => `/demo/img/${id}.png`;

/** model.json parses, and weights.bin holds exactly the bytes its (uint8) weight specs call for. */
export async function modelServed() {
  const res = await fetch('/models/mobilenetv2/model.json');
  const json = (await res.json()) as ModelJson;
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  const weights = await Promise.all(paths.map((p) => fetch(`/models/mobilenetv2/${p}`).then((r) => r.arrayBuffer())));
  return {
    status: res.status,
    hasTopology: !!json.modelTopology,
    quantized: specs.filter((s) => s.quantization?.dtype === 'uint8').length,
    specs: specs.length,
    expectedBytes: weightBytes(specs),
    servedBytes: weights.reduce((s, w) => s + w.byteLength, 0),
  };
}

/** The same PNG encoded here (browser decoder, wasm) and by `molar build` in Node (the bundle's int8 row). */
export async function sameImageCosines(itemIds: string[]) {
  await selectBackend('wasm');
  const enc = await loadBrowserItemEncoder('mobilenetv2');
  const m = await enc.encodeItems(itemIds.map((id) => ({ id, image: IMG(id) })));
  enc.dispose();
  const items = (await (await fetch(`${BUNDLE}items.json`)).json()) as { id: string }[];
  const store = ItemVectorStore.fromArrayBuffer(await (await fetch(`${BUNDLE}item_vectors.bin`)).arrayBuffer());
  return Object.fromEntries(itemIds.map((id, r) => [id, cosine(getRow(m, r), store.row(items.findIndex((it) => it.id === id) + 1))]));
}

/**
 * A view of the grinning face, then three new items whose titles say nothing: one without a
 * picture, a car picture and a near-twin face picture. Returns the full ranking of what is left.
 */
export async function addAndRank() {
  const rec = await Recommender.load({ bundleUrl: BUNDLE, backend: 'wasm', namespace: 'coldstart-image-e2e' });
  await rec.clearHistory();
  await rec.record({ itemId: 'st-1f600', type: 'view', ts: 1_000 });
  const warnings: { code: string; itemId?: string }[] = [];
  rec.addEventListener('warning', (e) => warnings.push((e as CustomEvent).detail));
  const added = await rec.addItems([
    // the face comes last, so a tie (pictures ignored) would rank it below the other two
    { id: 'new-blank', title: 'New sticker 1' },
    { id: 'new-car', title: 'New sticker 2', image: IMG('st-1f697') },
    { id: 'new-face', title: 'New sticker 3', image: IMG('st-1f604') },
  ]);
  const ranked = await rec.recommend({ k: rec.items.length });
  rec.dispose();
  return { backend: rec.backend, encoder: rec.manifest.models.find((m) => m.kind === 'item-vectors'), added: added.map((a) => a.id), ids: ranked.map((r) => r.item.id), scores: ranked.map((r) => r.score), warnings };
}

/** The browser decoder's RGBA for some image bytes (base64), as a plain array. */
export async function browserPixels(base64: string) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const img = await browserImageDecoder(bytes);
  return { width: img.width, height: img.height, data: Array.from(img.data) };
}
