/**
 * Served by Vite to hf.spec.ts: the transformers.js provider (src/encoders/hf.ts) on the tiny
 * models of e2e/fixtures/tiny-hf, inside the page, on onnxruntime-web. Plain arrays go back.
 */
import { loadTransformersImageEncoder, loadTransformersTextEncoder, type TransformersOptions } from '../../src/encoders/hf.js';
import { browserImageDecoder } from '../../src/encoders/image-decode.js';
import type { DecodedImage, Matrix } from '../../src/encoders/types.js';

/** the fixture folder as Vite serves it from the repo root: the browser's localModelPath */
const BASE = '/e2e/fixtures/tiny-hf/';

interface Expected {
  texts: string[];
  clip: { images: { width: number; height: number; rgba_base64: string }[] };
}

const rows = (m: Matrix) => Array.from({ length: m.rows }, (_, r) => Array.from(m.data.subarray(r * m.dim, (r + 1) * m.dim)));

function pixels(b64: string): Uint8ClampedArray {
  const s = atob(b64);
  return Uint8ClampedArray.from(s, (c) => c.charCodeAt(0));
}

export type Part = 'bert' | 'clipText' | 'clipImage' | 'q8';

/**
 * The fixture encoders on one device: BERT text (whole batch and batch size 1), CLIP text, CLIP
 * images (pixels, and a PNG Blob through the browser decoder), BERT q8. Rows come back per part.
 */
export async function encode(device: 'wasm' | 'webgpu', parts: Part[]) {
  // count GPU command submissions: proof that inference ran on WebGPU (or, for wasm, that it did not)
  let gpuSubmits = 0;
  if (typeof GPUQueue !== 'undefined') {
    const submit = GPUQueue.prototype.submit;
    GPUQueue.prototype.submit = function (this: GPUQueue, buffers: Iterable<GPUCommandBuffer>) {
      gpuSubmits++;
      return submit.call(this, buffers);
    };
  }
  const expected = (await (await fetch(`${BASE}expected.json`)).json()) as Expected;
  const opts: TransformersOptions = { localModelPath: BASE, device };
  const files: string[] = [];
  const onProgress = (e: { status: string; file?: string }) => {
    if (e.status === 'load' && e.file) files.push(e.file);
  };
  const out: Partial<Record<'bert' | 'bertBatched' | 'clipText' | 'clipImage' | 'png' | 'q8', number[][]>> = {};

  if (parts.includes('bert')) {
    const enc = await loadTransformersTextEncoder('tiny-bert', { ...opts, onProgress });
    out.bert = rows(await enc.encodeText(expected.texts));
    out.bertBatched = rows(await enc.encodeText(expected.texts, { batchSize: 1 }));
    enc.dispose();
  }
  if (parts.includes('clipText')) {
    const enc = await loadTransformersTextEncoder('tiny-clip', { ...opts, onProgress });
    out.clipText = rows(await enc.encodeText(expected.texts));
    enc.dispose();
  }
  if (parts.includes('clipImage')) {
    const images: DecodedImage[] = expected.clip.images.map((i) => ({ width: i.width, height: i.height, data: pixels(i.rgba_base64) }));
    const png = await (await fetch(`${BASE}red-square.png`)).blob();
    const enc = await loadTransformersImageEncoder('tiny-clip', browserImageDecoder, { ...opts, onProgress });
    out.clipImage = rows(await enc.encodeImages(images));
    out.png = rows(await enc.encodeImages([png]));
    enc.dispose();
  }
  if (parts.includes('q8')) {
    const enc = await loadTransformersTextEncoder('tiny-bert', { ...opts, dtype: 'q8', onProgress });
    out.q8 = rows(await enc.encodeText(expected.texts));
    enc.dispose();
  }

  const hf = await import('@huggingface/transformers');
  return {
    ...out,
    files: [...new Set(files)].sort(),
    allowRemoteModels: hf.env.allowRemoteModels,
    wasmPaths: String(hf.env.backends.onnx.wasm?.wasmPaths),
    gpuAdapter: !!(await navigator.gpu?.requestAdapter()),
    gpuSubmits,
  };
}

/** A model that is not there: the MolarError's code, file and message. */
export async function missingModel() {
  try {
    await loadTransformersTextEncoder('no-such-model', { localModelPath: BASE, device: 'wasm' });
    return null;
  } catch (e) {
    const m = e as { code?: string; file?: string; message: string };
    return { code: m.code, file: m.file, message: m.message };
  }
}
