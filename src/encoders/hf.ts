import { DEFAULT_CONFIG } from '../config.js';
import { MolarError } from '../errors.js';
import type { ImageDecoder } from './image-decode.js';
import type { EncodeOptions, ImageEncoder, ImageInput, Matrix, TextEncoder } from './types.js';

/**
 * transformers.js provider: any Hugging Face ONNX feature-extraction / image-feature-extraction
 * model by id or local path. Encoder ids are "hf-text:<model>" and "hf-image:<model>".
 *
 * Offline by default: `env.allowRemoteModels = false`, models resolve under `localModelPath`
 * (Node: a folder; browser: a URL prefix served by us), and onnxruntime-web's .wasm/.mjs come from
 * `ortWasmPath` (config.runtime.ortWasmPath, "/wasm/ort/"), never from a CDN.
 *
 * Production choices a shop would configure (not shipped: each is 100+ MB):
 *  - images + text in one space: Xenova/clip-vit-base-patch32 (512-d), or
 *    Xenova/siglip-base-patch16-224 (768-d) — q8 on wasm, fp16/fp32 on webgpu;
 *  - the paper's MLLM (image summaries, MLLM-MSR): onnx-community/Qwen2-VL-2B-Instruct where a
 *    WebGPU device with ~4 GB is available (summary/ owns that path; here only embeddings).
 *
 * STATUS: written against @huggingface/transformers 4.3 types; not yet exercised by a test on a
 * tiny ONNX fixture (scripts/make-tiny-onnx.py is still to do).
 */
export interface TransformersOptions {
  dtype?: 'fp32' | 'fp16' | 'q8' | 'q4';
  device?: 'webgpu' | 'wasm' | 'cpu';
  /** folder (Node) or URL prefix (browser) that holds `<model>/config.json, onnx/…` */
  localModelPath?: string;
  /** allow fetching from the Hub (off unless a shop opts in) */
  allowRemoteModels?: boolean;
  ortWasmPath?: string;
}

type Pipe = ((input: unknown, opts?: Record<string, unknown>) => Promise<{ data: Float32Array; dims: number[] }>) & { dispose(): Promise<void> };

async function makePipeline(task: 'feature-extraction' | 'image-feature-extraction', model: string, o: TransformersOptions): Promise<Pipe> {
  const hf = await import('@huggingface/transformers');
  hf.env.allowRemoteModels = o.allowRemoteModels ?? false;
  hf.env.allowLocalModels = true;
  if (o.localModelPath) hf.env.localModelPath = o.localModelPath;
  const isBrowser = typeof window !== 'undefined';
  const wasm = hf.env.backends.onnx.wasm;
  if (isBrowser && wasm) wasm.wasmPaths = new URL(o.ortWasmPath ?? DEFAULT_CONFIG.runtime.ortWasmPath, location.href).href;
  try {
    return (await hf.pipeline(task, model, { dtype: o.dtype, device: o.device } as never)) as unknown as Pipe;
  } catch (e) {
    throw new MolarError('IO', `transformers.js could not load "${model}" for ${task} (remote ${hf.env.allowRemoteModels ? 'on' : 'off'}, local path ${hf.env.localModelPath}): ${(e as Error).message}`, { cause: e, field: 'model' });
  }
}

/** [B, D] or [B, T, D] output → [B, D] rows (mean over T is the pipeline's own pooling when asked). */
function toMatrix(out: { data: Float32Array; dims: number[] }): Matrix {
  const [rows, ...rest] = out.dims;
  const dim = rest.reduce((a, b) => a * b, 1);
  return { data: Float32Array.from(out.data), rows, dim };
}

export async function loadTransformersTextEncoder(model: string, o: TransformersOptions = {}): Promise<TextEncoder> {
  let pipe: Pipe | null = await makePipeline('feature-extraction', model, o);
  const probe = toMatrix(await pipe(['probe'], { pooling: 'mean', normalize: true }));
  return {
    id: `hf-text:${model}`,
    modality: 'text',
    dim: probe.dim,
    async encodeText(texts: string[], opts: EncodeOptions = {}) {
      if (!pipe) throw new MolarError('DISPOSED', `hf-text:${model} was disposed`);
      const batch = opts.batchSize ?? 32;
      const out = new Float32Array(texts.length * probe.dim);
      for (let s = 0; s < texts.length; s += batch) {
        out.set(toMatrix(await pipe(texts.slice(s, s + batch), { pooling: 'mean', normalize: true })).data, s * probe.dim);
        opts.onProgress?.({ status: 'encode', modality: 'text', loaded: Math.min(s + batch, texts.length), total: texts.length });
      }
      return { data: out, rows: texts.length, dim: probe.dim };
    },
    dispose() {
      void pipe?.dispose();
      pipe = null;
    },
  };
}

export async function loadTransformersImageEncoder(model: string, decode: ImageDecoder, o: TransformersOptions = {}): Promise<ImageEncoder> {
  const hf = await import('@huggingface/transformers');
  let pipe: Pipe | null = await makePipeline('image-feature-extraction', model, o);
  const raw = async (img: Exclude<ImageInput, null | undefined>) => {
    const d = await decode(img);
    return new hf.RawImage(new Uint8ClampedArray(d.data), d.width, d.height, 4);
  };
  const blank = new hf.RawImage(new Uint8ClampedArray(8 * 8 * 4), 8, 8, 4);
  const probe = toMatrix(await pipe(blank, { pool: true }));
  return {
    id: `hf-image:${model}`,
    modality: 'image',
    dim: probe.dim,
    async encodeImages(images, opts = {}) {
      if (!pipe) throw new MolarError('DISPOSED', `hf-image:${model} was disposed`);
      const warn = opts.onWarning ?? ((i: number, r: string) => console.warn(`image ${i}: ${r}; using a zero image vector`));
      const out = new Float32Array(images.length * probe.dim);
      for (let i = 0; i < images.length; i++) {
        const img = images[i];
        if (img === null || img === undefined || img === '') {
          warn(i, 'no image');
          continue;
        }
        try {
          out.set(toMatrix(await pipe(await raw(img), { pool: true })).data.subarray(0, probe.dim), i * probe.dim);
        } catch (e) {
          warn(i, (e as Error).message);
        }
        opts.onProgress?.({ status: 'encode', modality: 'image', loaded: i + 1, total: images.length });
      }
      return { data: out, rows: images.length, dim: probe.dim };
    },
    dispose() {
      void pipe?.dispose();
      pipe = null;
    },
  };
}
