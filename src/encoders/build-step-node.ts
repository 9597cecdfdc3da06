import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { artifact } from '../bundle/artifact.js';
import type { BuildStep } from '../bundle/build.js';
import { DEFAULT_CONFIG, HF_DTYPES, oneOf, type HfDevice, type HfDtype } from '../config.js';
import type { ItemVectorsEntry } from '../bundle/manifest.js';
import { itemText } from '../data/catalog.js';
import { MolarError } from '../errors.js';
import { ItemVectorStore } from '../items/store.js';
import { concatRows } from './matrix.js';
import { NODE_DECODER } from './image-decode-node.js';
import { MOBILENET_ID, MOBILENET_PREPROCESS } from './mobilenet.js';
import { loadNodeItemEncoder, useNodeBackend } from './node.js';
import { encoderModality, encoderParts } from './registry.js';
import type { EncodableItem, Matrix } from './types.js';

export const ITEM_VECTORS_FILE = 'item_vectors.bin';
export const DEFAULT_ENCODER = 'use-lite+mobilenetv2';

/**
 * The encoded item vectors before int8 quantisation: row r is internal id r+1 (no padding row),
 * each modality L2-normalised as the encoder gives it. For steps that need more than the int8 file
 * holds (fusing them with a sequence model's item embeddings).
 */
export const FLOAT_ITEM_VECTORS = artifact<Matrix>('item-vectors/float');

/** encodeStep's options, all optional. */
export interface EncodeStepOptions {
  /** encoder id, e.g. "use-lite", "mobilenetv2", "use-lite+mobilenetv2" (default) */
  encoder?: string;
  /**
   * folder of model folders: `<modelDir>/<id>/` for built-ins (e.g. `molar quantize --out`; default:
   * fp32 from node_modules), `<modelDir>/<model>/` for hf-text:<model> / hf-image:<model>
   */
  modelDir?: string;
  /** transformers.js options of hf-* parts; dtype defaults to fp32 and is recorded in the bundle */
  transformers?: { dtype?: HfDtype; device?: HfDevice; allowRemoteModels?: boolean };
  /** vector cache; default `.cache/encoders` under the working directory */
  cacheDir?: string;
  backend?: 'wasm' | 'cpu';
}

/**
 * Build step: encodes every item (internal-id order) into `item_vectors.bin` (ItemVectorStore
 * layout, row 0 = padding) and adds an `item-vectors` model entry naming the encoder, so the
 * browser's addItems() encodes new items the same way. Later steps read the floats as
 * FLOAT_ITEM_VECTORS.
 *
 * Cache: one file per item vector at `<cacheDir>/<encoder id>/<sha256>.f32`, keyed by the encoder
 * id, the item text and the image bytes. A re-run encodes only new or changed items.
 */
export function encodeStep(o: EncodeStepOptions = {}): BuildStep {
  return {
    name: 'item-vectors',
    async run(ctx) {
      const encoderId = o.encoder ?? DEFAULT_ENCODER;
      const parts = encoderParts(encoderId);
      const hf = parts.some((p) => p.provider === 'hf');
      const dtype = oneOf(o.transformers?.dtype ?? DEFAULT_CONFIG.encoders.dtype, HF_DTYPES, 'encode.transformers.dtype');
      // what else decides the vectors besides the id: other weights (a model folder, another
      // dtype) must not be served from a cache filled with the old ones
      const salt = [o.modelDir ? `modelDir=${path.resolve(o.modelDir)}` : '', hf ? `dtype=${dtype}` : '', parts.some((p) => p.id === MOBILENET_ID) ? `pixels=${NODE_DECODER}/${MOBILENET_PREPROCESS}` : ''].filter(Boolean).join(';');
      const cacheDir = path.join(path.resolve(o.cacheDir ?? '.cache/encoders'), encoderId.replace(/[^\w.+-]/g, '_'));
      await fs.mkdir(cacheDir, { recursive: true });
      const byId = new Map(ctx.catalog.map((c) => [c.id, c]));
      const items: EncodableItem[] = ctx.dataset.items.itemIds.map((id) => {
        const c = byId.get(id) ?? { id };
        const image = c.image && !/^(https?:|data:|blob:)/i.test(c.image) ? path.resolve(ctx.catalogDir ?? '.', c.image) : undefined;
        return { id, title: c.title, description: c.description, attributes: c.attributes, image };
      });
      const keys = await Promise.all(items.map((it) => cacheKey(encoderId, salt, it)));
      const cached: (Float32Array | null)[] = await Promise.all(keys.map((k) => fs.readFile(path.join(cacheDir, `${k}.f32`)).then((b) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength)), () => null)));
      const missing = items.map((_, i) => i).filter((i) => cached[i] === null);
      ctx.log(`item-vectors: ${items.length - missing.length} of ${items.length} items cached, encoding ${missing.length} with ${encoderId}${hf ? ` (${dtype})` : ''}`);
      let dim = cached.find((c) => c)?.length ?? 0;
      const modality = encoderModality(parts);
      // where the text half ends in a [text | image] row (models/fusion reads the two apart); kept
      // beside the cache so a fully cached build need not load the encoders to know it
      const dimsFile = path.join(cacheDir, 'dims.json');
      let textDim: number | undefined = await fs.readFile(dimsFile, 'utf8').then((t) => (JSON.parse(t) as { textDim?: number }).textDim, () => undefined);
      if (missing.length || (modality === 'text+image' && textDim === undefined)) {
        await useNodeBackend(o.backend ?? 'wasm');
        const enc = await loadNodeItemEncoder(encoderId, { modelDir: o.modelDir, transformers: { ...o.transformers, dtype } });
        try {
          dim = enc.dim;
          textDim = enc.text?.dim ?? 0;
          await fs.writeFile(dimsFile, JSON.stringify({ textDim }));
          const chunk = 64;
          for (let s = 0; s < missing.length; s += chunk) {
            const idx = missing.slice(s, s + chunk);
            const m = await enc.encodeItems(idx.map((i) => items[i]), { onWarning: (id, reason) => ctx.log(`warning: item ${JSON.stringify(id)}: ${reason}; image vector left at zero`) });
            await Promise.all(idx.map(async (i, r) => {
              const row = m.data.slice(r * dim, (r + 1) * dim);
              cached[i] = row;
              await fs.writeFile(path.join(cacheDir, `${keys[i]}.f32`), new Uint8Array(row.buffer));
            }));
            ctx.progress(Math.min(s + chunk, missing.length), missing.length);
          }
        } finally {
          enc.dispose();
        }
      }
      const bad = cached.findIndex((c) => !c || c.length !== dim);
      if (bad >= 0) throw new MolarError('IO', `cached vector of item ${JSON.stringify(items[bad].id)} has ${cached[bad]?.length} dims, expected ${dim}; delete ${cacheDir}`);
      const m: Matrix = concatRows(cached.map((c) => ({ data: c as Float32Array, rows: 1, dim })), dim);
      ctx.put(FLOAT_ITEM_VECTORS, m);
      const store = ItemVectorStore.fromItems(m);
      ctx.files.set(ITEM_VECTORS_FILE, { data: new Uint8Array(store.toArrayBuffer()) });
      const entry: ItemVectorsEntry = {
        kind: 'item-vectors',
        files: [ITEM_VECTORS_FILE],
        // the dtype travels with the bundle so the browser's addItems() loads the same weights
        encoder: { id: encoderId, dim, modality, ...(modality === 'text+image' ? { textDim } : {}), ...(hf ? { hf: { dtype } } : {}) },
        dim,
      };
      ctx.models.push(entry);
    },
  };
}

async function cacheKey(encoderId: string, salt: string, it: EncodableItem): Promise<string> {
  const h = createHash('sha256').update(encoderId).update('\0');
  // no salt (built-ins from node_modules) keeps the keys that caches written before it hold
  if (salt) h.update(salt).update('\0');
  h.update(itemText(it)).update('\0');
  if (typeof it.image === 'string') {
    // unreadable image: key on the path, so the zero-vector result is recomputed once the file appears
    const bytes = await fs.readFile(it.image).catch(() => null);
    h.update(bytes ?? `missing:${it.image}`);
  }
  return h.digest('hex');
}
