/**
 * Page side of bench/encoders-browser.ts, served by the bench's own Vite server. It calls the same
 * code path as Recommender.addItems() (loadBrowserItemEncoder → ItemEncoder.encodeItems) and hands
 * back plain numbers; the Node side owns timing of the whole page, heap sampling and recording.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../src/config.js';
import { loadBrowserItemEncoder } from '../../src/encoders/browser.js';
import { browserImageDecoder } from '../../src/encoders/image-decode.js';
import type { ItemEncoder } from '../../src/encoders/item-encoder.js';
import type { EncodableItem } from '../../src/encoders/types.js';
import { selectBackend } from '../../src/runtime/backend.js';

/** An item as the bench sends it: the poster is a URL the bench process answers (page.route). */
export interface BenchItem {
  id: string;
  title?: string;
  attributes?: Record<string, string>;
  image?: string;
}

let encoder: ItemEncoder | null = null;
let tensorsBefore = 0;

export async function setup(backend: BackendName) {
  const report = await selectBackend(backend);
  tensorsBefore = tf.memory().numTensors;
  return { backend: report.backend, tried: report.tried };
}

/** Loads an encoder by id; download bytes are counted on the bodies actually fetched. */
export async function load(encoderId: string) {
  let bytes = 0;
  const counting: typeof fetch = async (input, init) => {
    const res = await fetch(input, init);
    const body = await res.arrayBuffer();
    bytes += body.byteLength;
    return new Response(body, { status: res.status, statusText: res.statusText, headers: res.headers });
  };
  const t = performance.now();
  encoder?.dispose();
  encoder = await loadBrowserItemEncoder(encoderId, { fetch: counting });
  return { id: encoder.id, dim: encoder.dim, textDim: encoder.text?.dim ?? 0, downloadBytes: bytes, loadS: (performance.now() - t) / 1000 };
}

/** Fetches every poster into a Blob first, so encode timings hold decode + inference only. */
async function withBlobs(items: BenchItem[]): Promise<EncodableItem[]> {
  return Promise.all(
    items.map(async (it) => {
      if (!it.image) return { ...it, image: undefined };
      const res = await fetch(it.image);
      // a failed fetch is passed on as the URL, so the encoder's own missing-image path handles it
      return { ...it, image: res.ok ? await res.blob() : it.image };
    }),
  );
}

export interface EncodeOptions {
  /** items encoded (and discarded) before the clock starts: kernel compile, weight upload */
  warmup: number;
  /** items per encodeItems() call, as the build step chunks them */
  chunk: number;
  /** row indices whose vectors come back to Node (for agreement checks) */
  sample: number[];
}

export async function encode(items: BenchItem[], o: EncodeOptions) {
  const enc = encoder;
  if (!enc) throw new Error('load() first');
  const tf0 = performance.now();
  const prepared = await withBlobs(items);
  const fetchS = (performance.now() - tf0) / 1000;

  let warmupS = 0;
  if (o.warmup > 0) {
    const t = performance.now();
    await enc.encodeItems(prepared.slice(0, o.warmup), { onWarning: () => {} });
    warmupS = (performance.now() - t) / 1000;
  }

  const warnings: { id: string; reason: string }[] = [];
  const sample = new Map(o.sample.map((i) => [i, [] as number[]]));
  let tensorPeakBytes = 0;
  const t = performance.now();
  for (let s = 0; s < prepared.length; s += o.chunk) {
    const m = await enc.encodeItems(prepared.slice(s, s + o.chunk), { onWarning: (id, reason) => warnings.push({ id, reason }) });
    tensorPeakBytes = Math.max(tensorPeakBytes, tf.memory().numBytes);
    for (let r = 0; r < m.rows; r++) {
      const row = sample.get(s + r);
      if (row) row.push(...m.data.subarray(r * m.dim, (r + 1) * m.dim));
    }
    console.log(`encoded ${Math.min(s + o.chunk, prepared.length)}/${prepared.length}`);
  }
  const encodeS = (performance.now() - t) / 1000;
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm;
  return {
    rows: prepared.length,
    fetchS,
    warmupS,
    encodeS,
    warnings,
    sample: o.sample.map((i) => sample.get(i)!),
    tensorPeakBytes,
    wasmHeapBytes: wasm?.HEAPU8?.byteLength ?? null,
  };
}

/** RGBA pixels as this browser decodes them (for telling decoder gaps from inference gaps). */
export async function decode(urls: string[]) {
  return Promise.all(
    urls.map(async (u) => {
      const img = await browserImageDecoder(u);
      return { width: img.width, height: img.height, data: Array.from(img.data) };
    }),
  );
}

/** Disposes the encoder; returns tensors left over since setup() (a leak shows as > 0). */
export function dispose() {
  encoder?.dispose();
  encoder = null;
  return { leakedTensors: tf.memory().numTensors - tensorsBefore };
}
