/**
 * Stage 1 of MLLM-MSR, generative provider: a paragraph (here: a caption) per item image, written
 * by a transformers.js image-to-text model by id or local path, offline as the encoders load
 * (encoders/hf.ts). Greedy decoding, one image at a time (the image-to-text pipeline does the same).
 * The default provider is the catalog-trained tagger (tags.ts); both give stage 2 a short text per item.
 *
 * Loaded as AutoModelForVision2Seq: vision-encoder-decoder exports (onnx/encoder_model.onnx +
 * decoder_model_merged.onnx), e.g. ViT-GPT2 style captioners; tested on
 * e2e/fixtures/tiny-gen/tiny-captioner (scripts/make-tiny-gen-onnx.py). Chat VLMs (image-text-to-text,
 * with a chat template) load through a different class and are not wired here.
 */
import { loading, transformers, type TransformersLoadOptions } from '../encoders/hf.js';
import type { ImageDecoder } from '../encoders/image-decode.js';
import type { DecodedImage, ImageInput } from '../encoders/types.js';
import { MolarError } from '../errors.js';
import { captionEach } from './caption-each.js';

export interface ImageSummaryProvider {
  /** stable id, recorded in the bundle beside the summaries ("hf-caption:<model>") */
  readonly name: string;
  /** one text per image ('' where there is no image or it cannot be read: a warning says which) */
  summarize(images: ImageInput[], opts?: { onWarning?: (index: number, reason: string) => void }): Promise<string[]>;
  dispose(): void;
}

export const CAPTION_DEFAULTS = Object.freeze({ maxNewTokens: 32 });

type Tensor = import('@huggingface/transformers').Tensor;
type Net = { generate(args: Record<string, unknown>): Promise<unknown>; dispose(): Promise<unknown> };

/** The captioner's name, known before it loads (what its cached captions are keyed by). */
export const captionerName = (model: string): string => `hf-caption:${model}`;

export async function loadCaptioner(model: string, decode: ImageDecoder, o: TransformersLoadOptions & { maxNewTokens?: number } = {}): Promise<ImageSummaryProvider> {
  const name = captionerName(model);
  const maxNewTokens = o.maxNewTokens ?? CAPTION_DEFAULTS.maxNewTokens;
  if (!(Number.isInteger(maxNewTokens) && maxNewTokens >= 1)) throw new MolarError('BAD_CONFIG', `maxNewTokens must be a whole number >= 1, got ${maxNewTokens}`, { field: 'maxNewTokens' });
  const hf = await transformers(o);
  const { processor, tokenizer, net } = await loading(hf, name, model, async (opts) => {
    const [processor, tokenizer, net] = await Promise.all([
      hf.AutoProcessor.from_pretrained(model, opts),
      hf.AutoTokenizer.from_pretrained(model, opts),
      hf.AutoModelForVision2Seq.from_pretrained(model, opts),
    ]);
    return {
      processor: processor as unknown as (images: unknown[]) => Promise<{ pixel_values: Tensor }>,
      tokenizer: tokenizer as unknown as { decode(ids: number[], o?: Record<string, unknown>): string },
      net: net as unknown as Net,
    };
  }, o);
  let live: Net | null = net;

  const caption = async (d: DecodedImage) => {
    const { pixel_values } = await processor([new hf.RawImage(new Uint8ClampedArray(d.data), d.width, d.height, 4)]);
    const out = (await live!.generate({ inputs: pixel_values, max_new_tokens: maxNewTokens, do_sample: false })) as Tensor;
    const ids = (out.tolist() as bigint[][])[0].map(Number);
    out.dispose();
    pixel_values.dispose();
    // the decoder's start token is special, so skip_special_tokens drops it with the eos
    return tokenizer.decode(ids, { skip_special_tokens: true }).trim();
  };

  return {
    name,
    async summarize(images, opts = {}) {
      if (!live) throw new MolarError('DISPOSED', `${name} was disposed`);
      return captionEach(images, decode, caption, opts.onWarning);
    },
    dispose() {
      void live?.dispose();
      live = null;
    },
  };
}
