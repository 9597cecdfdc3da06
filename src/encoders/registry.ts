import type * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { loadTransformersImageEncoder, loadTransformersTextEncoder, type TransformersOptions } from './hf.js';
import type { ImageDecoder } from './image-decode.js';
import { ItemEncoder } from './item-encoder.js';
import type { ModelFiles } from './sources.js';
import type { Encoder, ImageEncoder, ProgressCallback, TextEncoder } from './types.js';

export interface EncoderLoadContext {
  /** where the files of one built-in encoder live (a URL base in the browser, a folder in Node) */
  filesFor(encoderId: string): ModelFiles | tf.io.ModelArtifacts;
  decodeImage: ImageDecoder;
  onProgress?: ProgressCallback;
  /** options of "hf-text:<model>" / "hf-image:<model>" parts (transformers.js) */
  transformers?: TransformersOptions;
}

/**
 * Built-in encoders by id (a frozen table, as transformers.js keeps SUPPORTED_TASKS). Each model
 * module is imported on first load, not here: they need tfjs-layers / tfjs-converter, which a
 * storefront page should download only when cold start runs (vite.widget.config.ts). The ids are
 * written out for the same reason; registry.test.ts checks they match USE_LITE_ID and MOBILENET_ID.
 */
export const ENCODERS: Readonly<Record<string, { modality: 'text' | 'image'; load(ctx: EncoderLoadContext): Promise<Encoder> }>> = Object.freeze({
  'use-lite': {
    modality: 'text',
    async load(ctx) {
      const { USE_LITE_ID, UseLiteEncoder } = await import('./use-lite.js');
      const f = ctx.filesFor(USE_LITE_ID);
      if (!('readBytes' in f)) throw new MolarError('BAD_CONFIG', 'use-lite loads from files (model.json, shards, vocab.json)');
      return UseLiteEncoder.load(f, ctx.onProgress);
    },
  },
  mobilenetv2: {
    modality: 'image',
    async load(ctx) {
      const { MOBILENET_ID, MobileNetV2Encoder } = await import('./mobilenet.js');
      return MobileNetV2Encoder.load(ctx.filesFor(MOBILENET_ID), ctx.decodeImage, { onProgress: ctx.onProgress });
    },
  },
});

/** One part of an encoder id, parsed: a built-in of ENCODERS or a transformers.js model. */
export interface EncoderPart {
  /** the part as written, e.g. "use-lite", "hf-text:Xenova/all-MiniLM-L6-v2" */
  id: string;
  provider: 'builtin' | 'hf';
  modality: 'text' | 'image';
  /** hf parts: the model id, a folder under transformers.js' localModelPath */
  model?: string;
}

/**
 * Splits an encoder id ("use-lite+mobilenetv2", "hf-text:m+hf-image:m") into its parts without
 * loading anything, so the CLI and the build step can check an id, tell its modality and whether
 * transformers.js options apply before any model is read. `field` names where the id came from
 * (the manifest's `encoder.id`, or the CLI's `--encode`) in the error.
 */
export function encoderParts(id: string, field = 'encoder.id'): EncoderPart[] {
  return id.split('+').map((part): EncoderPart => {
    for (const [prefix, modality] of [['hf-text:', 'text'], ['hf-image:', 'image']] as const) {
      if (!part.startsWith(prefix)) continue;
      const model = part.slice(prefix.length);
      if (!model) throw new MolarError('UNKNOWN_KIND', `"${part}" in "${id}" names no model; expected ${prefix}<model>`, { field });
      return { id: part, provider: 'hf', modality, model };
    }
    const known = ENCODERS[part];
    if (!known) throw new MolarError('UNKNOWN_KIND', `unknown encoder "${part}" in "${id}"; known: ${Object.keys(ENCODERS).join(', ')}, hf-text:<model>, hf-image:<model>`, { field });
    return { id: part, provider: 'builtin', modality: known.modality };
  });
}

/** What the vectors of an encoder id hold: the modalities of its parts ("text+image" when both). */
export function encoderModality(parts: readonly EncoderPart[]): 'text' | 'image' | 'text+image' {
  const text = parts.some((p) => p.modality === 'text');
  const image = parts.some((p) => p.modality === 'image');
  return text && image ? 'text+image' : image ? 'image' : 'text';
}

/**
 * Loads the item encoder named by a bundle's `ItemVectorsEntry.encoder.id`: one id, or a text id
 * and an image id joined by "+" ("use-lite+mobilenetv2"). An unknown part lists the known ones.
 * `ctx.transformers` goes to every hf-* part (where its model folder is, dtype, device).
 */
export async function loadItemEncoder(id: string, ctx: EncoderLoadContext): Promise<ItemEncoder> {
  let text: TextEncoder | null = null;
  let image: ImageEncoder | null = null;
  try {
    for (const part of encoderParts(id)) {
      const o = { ...ctx.transformers, onProgress: ctx.onProgress };
      const enc: Encoder =
        part.provider === 'builtin'
          ? await ENCODERS[part.id].load(ctx)
          : part.modality === 'text'
            ? await loadTransformersTextEncoder(part.model!, o)
            : await loadTransformersImageEncoder(part.model!, ctx.decodeImage, o);
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
