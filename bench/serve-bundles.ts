/**
 * The synthetic bundles bench/serve.ts serves, written by the repo's own writer (bundle/write.ts)
 * to bundles/serve-<family>-<size>/ (git-ignored, reused while the manifest's name matches). Seeded
 * random weights from each model's own initialiser: speed depends on the weights' shapes, not on
 * their values.
 *
 * - `sasrec`: SASRec at its defaults (D 64, 2 blocks, 1 head, maxLen 200, positions from-oldest).
 * - `molar`: the kinds the demo bundle serves (demo-data/bundle): the same SASRec, popularity and
 *   co-occurrence counts over a seeded synthetic log (bench/synthetic-log.ts), synthetic item
 *   vectors (`[text | image]` rows of seeded Gaussian noise, each half L2-normalised as the encoders
 *   leave them, 1 row in 20 without an image), a 49-value attribute vocabulary (the demo's count,
 *   1–3 values per item), Molar's content model at its defaults mixed with SASRec at the demo's
 *   content weight (0.25), and the demo's blend (molar 0.9 + co-occurrence 0.1), which a bundle
 *   serves by default (blend outranks the kinds it mixes).
 * - `content`: the molar family with the content model alone (its entry's mix weight 1: no SASRec
 *   side), served as kind `molar`: what Molar's content path costs by itself.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import type { ModelEntry, WeightSpec } from '../src/bundle/manifest.js';
import { writeBundle, type BundleFile } from '../src/bundle/write.js';
import { ItemVectorStore } from '../src/items/store.js';
import { contentArchitecture } from '../src/models/content/config.js';
import { ContentModel } from '../src/models/content/model.js';
import { buildCooccurrence, serializeCsr, serializeFloat32 } from '../src/models/cooccurrence/cooccurrence.js';
import { encodeAttributes, serializeAttributes } from '../src/models/fusion/attributes.js';
import { architectureOf } from '../src/models/sasrec/config.js';
import { SasrecModel } from '../src/models/sasrec/model.js';
import { mulberry32 } from '../src/random.js';
import { syntheticLog } from './synthetic-log.js';

export const SERVE_SEED = 23;
export type BundleFamily = 'sasrec' | 'molar' | 'content';
export const BUNDLE_FAMILIES: readonly BundleFamily[] = ['sasrec', 'molar', 'content'];

/** Widths of the synthetic `[text | image]` item vectors (the demo's: USE-lite 512 + MobileNetV2 1280). */
export interface FeatureDims {
  text: number;
  image: number;
}

/** The demo bundle's mixes (demo-data/bundle/manifest.json), so the synthetic blend costs what the demo's does. */
const DEMO_CONTENT_WEIGHT = 0.25;
const DEMO_BLEND = [
  { kind: 'molar', weight: 0.9 },
  { kind: 'cooccurrence', weight: 0.1 },
];
const DEMO_ATTRIBUTES = 49;

const bytesOf = (a: Float32Array): BundleFile => ({ data: new Uint8Array(a.buffer, a.byteOffset, a.byteLength) });

/** SASRec at its defaults with seeded random weights: its entry and file. */
async function sasrecParts(n: number): Promise<{ entry: ModelEntry; file: BundleFile }> {
  const m = new SasrecModel({ numItems: n, positions: 'from-oldest', seed: SERVE_SEED });
  const w = await m.getWeights();
  const entry = { kind: 'sasrec' as const, files: ['sasrec.bin'], config: architectureOf(m.config), weights: m.specs.map((s) => ({ ...s, shape: [...s.shape] })) };
  m.dispose();
  return { entry, file: bytesOf(w.data) };
}

/** n rows of seeded noise, each modality's half L2-normalised; every 20th item has no image (a zero half). */
function syntheticVectors(n: number, dims: FeatureDims, seed: number): Float32Array {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const dim = dims.text + dims.image;
  const out = new Float32Array(n * dim);
  const fill = (from: number, len: number) => {
    let ss = 0;
    for (let j = from; j < from + len; j++) ss += (out[j] = gauss()) ** 2;
    const s = 1 / Math.sqrt(ss);
    for (let j = from; j < from + len; j++) out[j] *= s;
  };
  for (let r = 0; r < n; r++) {
    if (dims.text) fill(r * dim, dims.text);
    if (dims.image && r % 20 !== 19) fill(r * dim + dims.text, dims.image);
  }
  return out;
}

/**
 * Molar's content model with seeded random weights. Its weights do not depend on the catalog size
 * (items enter through their vectors), so it is made over one item and its entry says n.
 */
async function contentParts(n: number, dims: FeatureDims): Promise<{ config: Record<string, unknown>; data: Float32Array; specs: WeightSpec[] }> {
  const one = { rows: 2, textDim: dims.text, imageDim: dims.image, numAttributes: DEMO_ATTRIBUTES, text: new Float32Array(2 * dims.text), image: new Float32Array(2 * dims.image), attrPtr: new Int32Array(3), attrIds: new Int32Array(0) };
  const m = new ContentModel({ numItems: 1, textDim: dims.text, imageDim: dims.image, numAttributes: DEMO_ATTRIBUTES, seed: SERVE_SEED }, one);
  const w = await m.getWeights();
  const config = { ...contentArchitecture(m.config), numItems: n };
  m.dispose();
  return { config, data: w.data, specs: w.specs.map((s) => ({ ...s, shape: [...s.shape] })) };
}

/** Everything the demo bundle serves, over n synthetic items (see the header). */
async function molarFiles(n: number, dims: FeatureDims, contentOnly: boolean): Promise<{ files: Map<string, BundleFile>; models: ModelEntry[] }> {
  const sasrec = await sasrecParts(n);
  const log = syntheticLog({ items: n, users: Math.max(1000, Math.round(n / 2)), seed: SERVE_SEED });
  const { csr, popularity } = buildCooccurrence(log, n);
  const store = ItemVectorStore.fromItems({ data: syntheticVectors(n, dims, SERVE_SEED), rows: n, dim: dims.text + dims.image });
  const rnd = mulberry32(SERVE_SEED + 1);
  const vocab = Array.from({ length: DEMO_ATTRIBUTES }, (_, i) => `genre=g${i}`);
  const tokens = Array.from({ length: n }, () => Array.from({ length: 1 + Math.floor(rnd() * 3) }, () => vocab[Math.floor(rnd() * vocab.length)]));
  const content = await contentParts(n, dims);
  const files = new Map<string, BundleFile>([
    ['sasrec.bin', sasrec.file],
    ['popularity.bin', { data: new Uint8Array(serializeFloat32(popularity)) }],
    ['cooccurrence.bin', { data: new Uint8Array(serializeCsr(csr)) }],
    ['item_vectors.bin', { data: new Uint8Array(store.toArrayBuffer()) }],
    ['molar.bin', bytesOf(content.data)],
    ['molar_attributes.bin', { data: serializeAttributes(encodeAttributes(tokens, vocab)) }],
  ]);
  const encoder = { id: 'synthetic', dim: dims.text + dims.image, modality: dims.image ? (dims.text ? 'text+image' : 'image') : 'text', ...(dims.text && dims.image ? { textDim: dims.text } : {}) } as const;
  const parts = { weights: 'molar.bin', vectors: 'item_vectors.bin', attributes: 'molar_attributes.bin' };
  const molarFilesList = [...Object.values(parts), ...(contentOnly ? [] : ['sasrec.bin'])];
  const models: ModelEntry[] = [
    { kind: 'popularity', files: ['popularity.bin'] },
    { kind: 'cooccurrence', files: ['cooccurrence.bin', 'popularity.bin'], nnz: csr.indices.length, topN: 100, window: 3 },
    sasrec.entry,
    { kind: 'item-vectors', files: ['item_vectors.bin'], encoder, dim: encoder.dim },
    { kind: 'molar', files: molarFilesList, config: content.config, weights: content.specs, parts, attributes: vocab, mix: contentOnly ? { content: 1 } : { content: DEMO_CONTENT_WEIGHT, idModel: 'sasrec' } },
    { kind: 'blend', files: [...new Set([...molarFilesList, 'cooccurrence.bin', 'popularity.bin'])], parts: DEMO_BLEND },
  ] as ModelEntry[];
  return { files, models };
}

/**
 * bundles/serve-<family>-<label>/ over n synthetic items, written when missing or stale; returns
 * its URL under the bench server. (The SASRec family keeps the folder name it had, serve-<label>.)
 */
export async function syntheticBundle(family: BundleFamily, label: string, n: number, dims: FeatureDims, log: (m: string) => void): Promise<string> {
  const folder = family === 'sasrec' ? `serve-${label}` : `serve-${family}-${label}`;
  const dir = path.resolve('bundles', folder);
  const name = family === 'sasrec' ? `serve-bench ${n} items, seed ${SERVE_SEED}` : `serve-bench ${family} ${n} items, features ${dims.text}+${dims.image}, seed ${SERVE_SEED}`;
  const manifest = await readFile(path.join(dir, 'manifest.json'), 'utf8').then((t) => JSON.parse(t) as { name?: string }, () => null);
  if (manifest?.name === name) return `/bundles/${folder}/`;
  log(`writing ${dir} (${name})`);
  await tf.setBackend('cpu');
  const items = Array.from({ length: n }, (_, i) => ({ id: `i${i + 1}`, title: `item ${i + 1}` }));
  const { files, models } = family === 'sasrec' ? await sasrecParts(n).then((s) => ({ files: new Map([['sasrec.bin', s.file]]), models: [s.entry] })) : await molarFiles(n, dims, family === 'content');
  await writeBundle({ out: dir, name, items, files, models, overwrite: existsSync(dir) });
  return `/bundles/${folder}/`;
}
