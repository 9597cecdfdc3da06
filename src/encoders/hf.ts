import { DEFAULT_CONFIG } from '../config.js';
import { MolarError } from '../errors.js';
import type { ImageDecoder } from './image-decode.js';
import type { EncodeOptions, ImageEncoder, ImageInput, Matrix, ProgressCallback, TextEncoder } from './types.js';
import { consoleWarning } from '../warnings.js';

/**
 * transformers.js provider: a Hugging Face ONNX model folder as a text or image encoder.
 * Encoder ids are "hf-text:<model>" and "hf-image:<model>"; every row is L2-normalised.
 *
 * Offline by default: `env.allowRemoteModels = false`, models resolve under `localModelPath`
 * (Node: a folder; browser: a URL prefix served by us), and onnxruntime-web's .mjs/.wasm come from
 * `ortWasmPath` (config.runtime.ortWasmPath, "/wasm/ort/"), never from a CDN.
 *
 * Which output becomes the vector (tested on e2e/fixtures/tiny-hf, built by scripts/make-tiny-onnx.py):
 *  - text, model_type clip / siglip: the text tower (onnx/text_model.onnx) and its projected
 *    `text_embeds` (SigLIP: `pooler_output`), so text lands in the same space as the images.
 *    The feature-extraction pipeline cannot do this: for "clip" it loads CLIPModel (onnx/model.onnx),
 *    which wants pixels as well.
 *  - text, anything else (BERT, MiniLM, …): `last_hidden_state` mean-pooled over the attention
 *    mask, what sentence-transformers models and the feature-extraction pipeline do.
 *  - images: `image_embeds` (CLIP, onnx/vision_model.onnx) else `pooler_output` (ViT) else the
 *    first token of `last_hidden_state`. The image-feature-extraction pipeline returns
 *    `last_hidden_state` before `image_embeds`, and its `pool` option throws without `pooler_output`,
 *    so we call AutoProcessor + the model ourselves.
 * Production model choices are in encoders/README.md ("Production models").
 */
export interface TransformersOptions {
  /**
   * Weights file: fp32 = onnx/<file>.onnx, q8 = <file>_quantized.onnx, fp16 = <file>_fp16.onnx,
   * q4 = <file>_q4.onnx. Default fp32 everywhere, so vectors made in the browser match the ones
   * the bundle was built with in Node (transformers.js would pick q8 on wasm by itself).
   */
  dtype?: 'fp32' | 'fp16' | 'q8' | 'q4';
  /** default: transformers.js' own (Node: cpu, browser: wasm) */
  device?: 'webgpu' | 'wasm' | 'cpu';
  /** folder (Node) or URL prefix (browser) that holds `<model>/config.json, onnx/…` */
  localModelPath?: string;
  /** allow fetching from the Hub (off unless a shop opts in) */
  allowRemoteModels?: boolean;
  /** URL prefix of onnxruntime-web's files (browser only); default config.runtime.ortWasmPath */
  ortWasmPath?: string;
}

export interface TransformersLoadOptions extends TransformersOptions {
  /**
   * file progress while loading ({status:'load'}), then {status:'ready'}. With a callback,
   * transformers.js 4.3 GETs each file once more first, for its size (get_file_metadata).
   */
  onProgress?: ProgressCallback;
}

type HF = typeof import('@huggingface/transformers');
type Tensor = import('@huggingface/transformers').Tensor;
type Outputs = Record<string, Tensor | undefined>;
/** transformers.js models and processors are callable objects (their `Callable` base); the .d.ts does not say so */
type Net = ((inputs: Record<string, unknown>) => Promise<Outputs>) & { dispose(): Promise<unknown> };

/** Text towers of dual encoders, by config.model_type: [class, output holding the projected vector]. */
const TEXT_TOWERS: Record<string, [keyof HF, string]> = {
  clip: ['CLIPTextModelWithProjection', 'text_embeds'],
  siglip: ['SiglipTextModel', 'pooler_output'],
};

const isNode = typeof process !== 'undefined' && process.release?.name === 'node';

/** transformers.js configured offline (shared with summary/gen-*.ts, the generative providers). */
export async function transformers(o: TransformersOptions): Promise<HF> {
  const hf = await import('@huggingface/transformers');
  hf.env.allowRemoteModels = o.allowRemoteModels ?? false;
  hf.env.allowLocalModels = true;
  if (o.localModelPath) hf.env.localModelPath = o.localModelPath;
  const wasm = hf.env.backends.onnx.wasm;
  // transformers.js points this at cdn.jsdelivr.net on import; a prefix string makes onnxruntime-web
  // fetch ort-wasm-simd-threaded.asyncify.mjs/.wasm from our own origin instead
  if (!isNode && wasm) wasm.wasmPaths = new URL(o.ortWasmPath ?? DEFAULT_CONFIG.runtime.ortWasmPath, globalThis.location?.href).href;
  return hf;
}

/** Where transformers.js looks for the model (hub.js buildResourcePaths: ids go under localModelPath). */
function modelPlace(hf: HF, model: string): string {
  if (/^(\/|\.{1,2}\/|[a-z]+:)/i.test(model)) return model;
  return `${String(hf.env.localModelPath).replace(/\/+$/, '')}/${model}`;
}

/** Runs every from_pretrained of one encoder; any failure becomes a MolarError naming the model and where it was looked for. */
export async function loading<T>(hf: HF, encoderId: string, model: string, run: (opts: Record<string, unknown>) => Promise<T>, o: TransformersLoadOptions): Promise<T> {
  const progress_callback = o.onProgress
    ? (e: { status: string; file?: string; loaded?: number; total?: number }) => {
        if (e.status === 'progress' && e.file) o.onProgress!({ status: 'load', file: e.file, loaded: e.loaded ?? 0, total: e.total ?? 0 });
      }
    : undefined;
  try {
    const out = await run({ progress_callback, dtype: o.dtype ?? 'fp32', device: o.device });
    o.onProgress?.({ status: 'ready', encoder: encoderId });
    return out;
  } catch (e) {
    const where = modelPlace(hf, model);
    throw new MolarError(
      'IO',
      `${encoderId}: transformers.js could not load model "${model}" from ${where} (remote loading ${hf.env.allowRemoteModels ? 'on' : 'off'}, dtype ${o.dtype ?? 'fp32'}): ${(e as Error).message}`,
      { cause: e, file: where, field: 'model' },
    );
  }
}

/** [B, D] tensor → L2-normalised Matrix rows. */
function rows(t: Tensor): Matrix {
  if (t.dims.length !== 2) throw new MolarError('BAD_CONFIG', `expected a [batch, dim] embedding, got dims [${t.dims.join(', ')}]`);
  const n = t.normalize(2, -1);
  return { data: Float32Array.from(n.data as Float32Array), rows: n.dims[0], dim: n.dims[1] };
}

export async function loadTransformersTextEncoder(model: string, o: TransformersLoadOptions = {}): Promise<TextEncoder> {
  const id = `hf-text:${model}`;
  const hf = await transformers(o);
  const { tokenizer, net, output } = await loading(hf, id, model, async (opts) => {
    const config = await hf.AutoConfig.from_pretrained(model, opts);
    const tower = TEXT_TOWERS[(config as { model_type?: string }).model_type ?? ''];
    const cls = (tower ? hf[tower[0]] : hf.AutoModel) as typeof hf.AutoModel;
    const [tokenizer, net] = await Promise.all([hf.AutoTokenizer.from_pretrained(model, opts), cls.from_pretrained(model, { ...opts, config })]);
    return { tokenizer, net: net as unknown as Net, output: tower?.[1] };
  }, o);
  let live: Net | null = net;

  const forward = async (texts: string[]): Promise<Matrix> => {
    if (!live) throw new MolarError('DISPOSED', `${id} was disposed`);
    const inputs = tokenizer(texts, { padding: true, truncation: true }) as Record<string, Tensor>;
    const out = await live(inputs);
    if (output) {
      const v = out[output];
      if (!v) throw new MolarError('BAD_CONFIG', `${id}: the text model gave no "${output}" (outputs: ${Object.keys(out).join(', ')})`);
      return rows(v);
    }
    if (!out.last_hidden_state) throw new MolarError('BAD_CONFIG', `${id}: the model gave no last_hidden_state to pool (outputs: ${Object.keys(out).join(', ')})`);
    return rows(hf.mean_pooling(out.last_hidden_state, inputs.attention_mask));
  };
  const dim = (await forward(['probe'])).dim;

  return {
    id,
    modality: 'text',
    dim,
    async encodeText(texts: string[], opts: EncodeOptions = {}) {
      if (!live) throw new MolarError('DISPOSED', `${id} was disposed`);
      const batch = Math.max(1, opts.batchSize ?? 32);
      const out = new Float32Array(texts.length * dim);
      for (let s = 0; s < texts.length; s += batch) {
        out.set((await forward(texts.slice(s, s + batch))).data, s * dim);
        opts.onProgress?.({ status: 'encode', modality: 'text', loaded: Math.min(s + batch, texts.length), total: texts.length });
      }
      return { data: out, rows: texts.length, dim };
    },
    dispose() {
      void live?.dispose();
      live = null;
    },
  };
}

export async function loadTransformersImageEncoder(model: string, decode: ImageDecoder, o: TransformersLoadOptions = {}): Promise<ImageEncoder> {
  const id = `hf-image:${model}`;
  const hf = await transformers(o);
  const { processor, net } = await loading(hf, id, model, async (opts) => {
    const config = await hf.AutoConfig.from_pretrained(model, opts);
    const type = (config as { model_type?: string }).model_type ?? '';
    // the pipeline's own choice: CLIP → CLIPVisionModelWithProjection, SigLIP → SiglipVisionModel, else AutoModel
    const cls = hf.AutoModelForImageFeatureExtraction.supports(type) ? hf.AutoModelForImageFeatureExtraction : hf.AutoModel;
    const [processor, net] = await Promise.all([hf.AutoProcessor.from_pretrained(model, opts), cls.from_pretrained(model, { ...opts, config })]);
    return { processor: processor as unknown as (images: unknown[]) => Promise<{ pixel_values: Tensor }>, net: net as unknown as Net };
  }, o);
  let live: Net | null = net;

  const forward = async (images: InstanceType<HF['RawImage']>[]): Promise<Matrix> => {
    if (!live) throw new MolarError('DISPOSED', `${id} was disposed`);
    const { pixel_values } = await processor(images);
    const out = await live({ pixel_values });
    const v = out.image_embeds ?? out.pooler_output ?? out.last_hidden_state?.slice(null, 0);
    if (!v) throw new MolarError('BAD_CONFIG', `${id}: the model gave none of image_embeds, pooler_output, last_hidden_state (outputs: ${Object.keys(out).join(', ')})`);
    return rows(v);
  };
  const raw = async (img: Exclude<ImageInput, null | undefined>) => {
    const d = await decode(img);
    return new hf.RawImage(new Uint8ClampedArray(d.data), d.width, d.height, 4);
  };
  const dim = (await forward([new hf.RawImage(new Uint8ClampedArray(8 * 8 * 4).fill(255), 8, 8, 4)])).dim;

  return {
    id,
    modality: 'image',
    dim,
    async encodeImages(images, opts = {}) {
      if (!live) throw new MolarError('DISPOSED', `${id} was disposed`);
      const warn = opts.onWarning ?? ((i: number, r: string) => consoleWarning({ code: 'IMAGE_UNREADABLE', message: `image ${i}: ${r}; using a zero image vector` }));
      const batch = Math.max(1, opts.batchSize ?? 16);
      const out = new Float32Array(images.length * dim);
      for (let s = 0; s < images.length; s += batch) {
        // decode one by one: a bad image costs its own row (all zeros), never the batch
        const ok: { i: number; img: InstanceType<HF['RawImage']> }[] = [];
        for (let i = s; i < Math.min(s + batch, images.length); i++) {
          const img = images[i];
          if (img === null || img === undefined || img === '') {
            warn(i, 'no image');
            continue;
          }
          try {
            ok.push({ i, img: await raw(img) });
          } catch (e) {
            warn(i, (e as Error).message);
          }
        }
        if (ok.length) {
          const m = await forward(ok.map((x) => x.img));
          ok.forEach(({ i }, r) => out.set(m.data.subarray(r * dim, (r + 1) * dim), i * dim));
        }
        opts.onProgress?.({ status: 'encode', modality: 'image', loaded: Math.min(s + batch, images.length), total: images.length });
      }
      return { data: out, rows: images.length, dim };
    },
    dispose() {
      void live?.dispose();
      live = null;
    },
  };
}
