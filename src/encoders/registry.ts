import type * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { loadTransformersImageEncoder, loadTransformersTextEncoder, type TransformersOptions } from './hf.js';
import type { ImageDecoder } from './image-decode.js';
import { ItemEncoder } from './item-encoder.js';
import { MOBILENET_ID, MobileNetV2Encoder } from './mobilenet.js';
import type { ModelFiles } from './sources.js';
import type { Encoder, ImageEncoder, ProgressCallback, TextEncoder } from './types.js';
import { USE_LITE_ID, UseLiteEncoder } from './use-lite.js';

export interface EncoderLoadContext {
  /** where the files of one built-in encoder live (a URL base in the browser, a folder in Node) */
  filesFor(encoderId: string): ModelFiles | tf.io.ModelArtifacts;
  decodeImage: ImageDecoder;
  onProgress?: ProgressCallback;
  /** options of "hf-text:<model>" / "hf-image:<model>" parts (transformers.js) */
  transformers?: TransformersOptions;
}

/** Built-in encoders by id (a frozen table, as transformers.js keeps SUPPORTED_TASKS). */
export const ENCODERS: Readonly<Record<string, { modality: 'text' | 'image'; load(ctx: EncoderLoadContext): Promise<Encoder> }>> = Object.freeze({
  [USE_LITE_ID]: {
    modality: 'text',
    async load(ctx) {
      const f = ctx.filesFor(USE_LITE_ID);
      if (!('readBytes' in f)) throw new MolarError('BAD_CONFIG', 'use-lite loads from files (model.json, shards, vocab.json)');
      return UseLiteEncoder.load(f, ctx.onProgress);
    },
  },
  [MOBILENET_ID]: {
    modality: 'image',
    load: (ctx) => MobileNetV2Encoder.load(ctx.filesFor(MOBILENET_ID), ctx.decodeImage, { onProgress: ctx.onProgress }),
  },
});

/**
 * Loads the item encoder named by a bundle's `ItemVectorsEntry.encoder.id`: one id, or a text id
 * and an image id joined by "+" ("use-lite+mobilenetv2"). An unknown part lists the known ones.
 */
export async function loadItemEncoder(id: string, ctx: EncoderLoadContext): Promise<ItemEncoder> {
  let text: TextEncoder | null = null;
  let image: ImageEncoder | null = null;
  try {
    for (const part of id.split('+')) {
      const spec = part.startsWith('hf-text:')
        ? { load: () => loadTransformersTextEncoder(part.slice(8), { ...ctx.transformers, onProgress: ctx.onProgress }) }
        : part.startsWith('hf-image:')
          ? { load: () => loadTransformersImageEncoder(part.slice(9), ctx.decodeImage, { ...ctx.transformers, onProgress: ctx.onProgress }) }
          : ENCODERS[part];
      if (!spec) throw new MolarError('UNKNOWN_KIND', `unknown encoder "${part}" in "${id}"; known: ${Object.keys(ENCODERS).join(', ')}, hf-text:<model>, hf-image:<model>`, { field: 'encoder.id' });
      const enc = await spec.load(ctx);
      if (enc.modality === 'text') {
        text?.dispose();
        text = enc;
      } else {
        image?.dispose();
        image = enc;
      }
    }
  } catch (e) {
    text?.dispose();
    image?.dispose();
    throw e;
  }
  return new ItemEncoder(text, image);
}
