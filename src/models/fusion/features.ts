import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../../errors.js';
import type { FusionInputs } from './head.js';

/**
 * The fusion head's inputs for rows 0..R-1 on the host (row 0 = padding): what the bundle's item
 * vectors and attribute table hold, split by modality. Kept as typed arrays so a training worker
 * can receive them and the page can append added items.
 */
export interface ItemFeatures {
  rows: number;
  textDim: number;
  imageDim: number;
  /** [rows * textDim], row-major; absent when textDim is 0 */
  text?: Float32Array;
  /** [rows * imageDim] */
  image?: Float32Array;
  numAttributes: number;
  /** CSR over rows: attribute ids of row r are ids[ptr[r] .. ptr[r+1]) (ids in 0..numAttributes-1) */
  attrPtr?: Int32Array;
  attrIds?: Int32Array;
}

/**
 * Width of the text half of a `[text | image]` item-vector row, from the item-vectors entry's record
 * of its encoder: all of it for text, none for image, `textDim` for text+image (bundles written
 * before that field existed lack it, and are refused rather than split at a guess).
 */
export function textWidth(encoder: { id: string; modality: string; textDim?: number }, dim: number): number {
  const w = encoder.modality === 'text' ? dim : encoder.modality === 'image' ? 0 : encoder.textDim;
  if (w === undefined) throw new MolarError('BAD_INPUT', `the item vectors of ${encoder.id} do not say where text ends and image begins (encoder.textDim); rebuild them`, { field: 'encoder.textDim' });
  return w;
}

/**
 * Splits `[text | image]` rows (the item-vectors layout, encoders/item-encoder.ts) into the two
 * modalities. A modality whose half is all zero is absent for that row (an undecodable image).
 */
export function featuresFromVectors(data: Float32Array, rows: number, dims: { textDim: number; imageDim: number }, attributes?: { ptr: Int32Array; ids: Int32Array; count: number }): ItemFeatures {
  const { textDim, imageDim } = dims;
  const dim = textDim + imageDim;
  if (data.length !== rows * dim) throw new MolarError('BAD_INPUT', `expected ${rows} x ${dim} item vector values, got ${data.length}`, { field: 'itemVectors' });
  const f: ItemFeatures = { rows, textDim, imageDim, numAttributes: attributes?.count ?? 0 };
  if (textDim) f.text = new Float32Array(rows * textDim);
  if (imageDim) f.image = new Float32Array(rows * imageDim);
  for (let r = 0; r < rows; r++) {
    if (f.text) f.text.set(data.subarray(r * dim, r * dim + textDim), r * textDim);
    if (f.image) f.image.set(data.subarray(r * dim + textDim, (r + 1) * dim), r * imageDim);
  }
  if (attributes) {
    if (attributes.ptr.length !== rows + 1) throw new MolarError('BAD_INPUT', `attribute table has ${attributes.ptr.length - 1} rows, expected ${rows}`, { field: 'attributes' });
    f.attrPtr = attributes.ptr;
    f.attrIds = attributes.ids;
  }
  return f;
}

/**
 * `featuresFromVectors` straight from int8 rows and their scales (items/store.ts's layout: value =
 * code × row scale, row 0 = padding), dequantised into the two modalities' arrays: no float copy
 * of the whole `[text | image]` table between (at 100k × 1792 that copy alone was 700 MB).
 */
export function featuresFromStore(store: { rows: number; dim: number; codes: Int8Array; scales: Float32Array }, dims: { textDim: number; imageDim: number }, attributes?: { ptr: Int32Array; ids: Int32Array; count: number }): ItemFeatures {
  const { textDim, imageDim } = dims;
  const { rows, dim, codes, scales } = store;
  if (dim !== textDim + imageDim) throw new MolarError('BAD_INPUT', `expected ${textDim + imageDim}-wide item vectors, got ${dim}`, { field: 'itemVectors' });
  const f: ItemFeatures = { rows, textDim, imageDim, numAttributes: attributes?.count ?? 0 };
  if (textDim) f.text = new Float32Array(rows * textDim);
  if (imageDim) f.image = new Float32Array(rows * imageDim);
  for (let r = 0; r < rows; r++) {
    const s = scales[r];
    const base = r * dim;
    if (f.text) for (let j = 0; j < textDim; j++) f.text[r * textDim + j] = codes[base + j] * s;
    if (f.image) for (let j = 0; j < imageDim; j++) f.image[r * imageDim + j] = codes[base + textDim + j] * s;
  }
  if (attributes) {
    if (attributes.ptr.length !== rows + 1) throw new MolarError('BAD_INPUT', `attribute table has ${attributes.ptr.length - 1} rows, expected ${rows}`, { field: 'attributes' });
    f.attrPtr = attributes.ptr;
    f.attrIds = attributes.ids;
  }
  return f;
}

/** 1 where a row's slice of `m` has any non-zero value. */
function present(m: Float32Array, rows: number, dim: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) {
    for (let j = r * dim; j < (r + 1) * dim; j++) {
      if (m[j] !== 0) {
        out[r] = 1;
        break;
      }
    }
  }
  return out;
}

/** Dense tensors of `f` for the head (the caller disposes them: `tf.dispose(Object.values(inputs))`). */
export function fusionInputs(f: ItemFeatures): FusionInputs {
  const out: FusionInputs = {};
  if (f.text) {
    out.text = tf.tensor2d(f.text, [f.rows, f.textDim]);
    out.hasText = tf.tensor2d(present(f.text, f.rows, f.textDim), [f.rows, 1]);
  }
  if (f.image) {
    out.image = tf.tensor2d(f.image, [f.rows, f.imageDim]);
    out.hasImage = tf.tensor2d(present(f.image, f.rows, f.imageDim), [f.rows, 1]);
  }
  if (f.numAttributes) {
    const m = new Float32Array(f.rows * f.numAttributes);
    for (let r = 0; r < f.rows; r++) {
      const a = f.attrPtr ? f.attrPtr[r] : 0;
      const b = f.attrPtr ? f.attrPtr[r + 1] : 0;
      // the mean of the row's attribute embeddings: each of its k attributes weighs 1/k
      for (let p = a; p < b; p++) m[r * f.numAttributes + f.attrIds![p]] = 1 / (b - a);
    }
    out.attributes = tf.tensor2d(m, [f.rows, f.numAttributes]);
  }
  return out;
}

/** Rows `from..to-1` of `f` as features of their own (added items; attribute ids kept). */
export function sliceFeatures(f: ItemFeatures, from: number, to: number): ItemFeatures {
  const rows = to - from;
  const out: ItemFeatures = { rows, textDim: f.textDim, imageDim: f.imageDim, numAttributes: f.numAttributes };
  if (f.text) out.text = f.text.slice(from * f.textDim, to * f.textDim);
  if (f.image) out.image = f.image.slice(from * f.imageDim, to * f.imageDim);
  if (f.attrPtr && f.attrIds) {
    const base = f.attrPtr[from];
    out.attrPtr = Int32Array.from(f.attrPtr.subarray(from, to + 1), (p) => p - base);
    out.attrIds = f.attrIds.slice(base, f.attrPtr[to]);
  }
  return out;
}
