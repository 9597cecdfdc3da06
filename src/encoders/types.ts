/**
 * Encoder contracts. An encoder turns item text or item images into one Float32 row per input.
 *
 * Output type: a plain row-major {@link Matrix} (not a tf.Tensor), because encoders outlive any one
 * tfjs backend (the bundle writer runs on cpu/wasm in Node, the browser on webgpu) and some run on
 * onnxruntime (transformers.js) where tf tensors do not exist. Callers that want a tensor wrap it
 * with `tf.tensor2d(m.data, [m.rows, m.dim])`.
 */

/** Row-major Float32 matrix: row r is `data.subarray(r * dim, (r + 1) * dim)`. */
export interface Matrix {
  data: Float32Array;
  rows: number;
  dim: number;
}

/**
 * Progress events, shaped like transformers.js' (`status` union). `load` covers model files,
 * `encode` covers batches; `loaded` never decreases and the last event of a run has loaded === total.
 */
export type EncodeProgress =
  | { status: 'load'; file: string; loaded: number; total: number }
  | { status: 'encode'; modality: 'text' | 'image'; loaded: number; total: number }
  | { status: 'ready'; encoder: string };

export type ProgressCallback = (e: EncodeProgress) => void;

/** RGBA pixels, 4 bytes a pixel, row-major (what the Node decoder and ImageData both give). */
export interface DecodedImage {
  width: number;
  height: number;
  data: Uint8Array | Uint8ClampedArray;
}

/**
 * What an image may be given as. Bytes are sniffed (JPEG or PNG, whatever a file name says).
 * A string is a URL in the browser, a file path in Node. `null` / `undefined` = no image.
 */
export type ImageInput = DecodedImage | Uint8Array | ArrayBuffer | Blob | string | null | undefined;

export interface EncodeOptions {
  /** rows per forward pass; bounds peak memory */
  batchSize?: number;
  onProgress?: ProgressCallback;
}

interface EncoderBase {
  /** stable id written into the bundle (ItemVectorsEntry.encoder.id), e.g. "use-lite" */
  readonly id: string;
  /** width of every output row */
  readonly dim: number;
  /** frees model weights; safe to call twice; later calls throw MolarError('DISPOSED') */
  dispose(): void;
}

export interface TextEncoder extends EncoderBase {
  readonly modality: 'text';
  encodeText(texts: string[], opts?: EncodeOptions): Promise<Matrix>;
}

export interface ImageEncoder extends EncoderBase {
  readonly modality: 'image';
  /**
   * Rows for images that are missing or cannot be decoded are all-zero; `onWarning` (or
   * console.warn) names the index and the reason. Nothing throws for a bad image.
   */
  encodeImages(images: ImageInput[], opts?: EncodeOptions & { onWarning?: (index: number, reason: string) => void }): Promise<Matrix>;
}

export type Encoder = TextEncoder | ImageEncoder;

/** The catalog fields encoders read (a subset of data/types CatalogItem plus an in-memory image). */
export interface EncodableItem {
  id: string;
  title?: string;
  description?: string;
  attributes?: Record<string, string>;
  image?: ImageInput;
}
