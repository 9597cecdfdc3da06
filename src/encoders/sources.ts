import type * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import type { ProgressCallback } from './types.js';

/**
 * Where an encoder's files come from. The same loader code runs on both sides: in the browser a
 * {@link urlFiles} source fetches from our own origin; in Node `dirFiles()` (sources-node.ts)
 * reads node_modules or a bundle folder. Nothing here knows which.
 */
export interface ModelFiles {
  /** for messages: the base URL or folder */
  readonly where: string;
  readBytes(name: string): Promise<ArrayBuffer>;
}

export async function readJson<T = unknown>(files: ModelFiles, name: string): Promise<T> {
  const bytes = await files.readBytes(name);
  try {
    return JSON.parse(new TextDecoder().decode(bytes)) as T;
  } catch (e) {
    throw new MolarError('BAD_INPUT', `not valid JSON: ${(e as Error).message}`, { file: `${files.where}/${name}`, cause: e });
  }
}

/** Files served over HTTP(S) under `baseUrl` (a trailing slash is added when missing). */
export function urlFiles(baseUrl: string, fetchImpl: typeof fetch = (...a) => fetch(...a)): ModelFiles {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    where: base,
    async readBytes(name) {
      let url: string;
      try {
        url = new URL(name, typeof location !== 'undefined' ? new URL(base, location.href) : base).href;
      } catch (e) {
        // a relative base with no page to resolve it against (Node), or one that does not parse
        throw new MolarError('BAD_CONFIG', `the encoder model URL ${JSON.stringify(base + name)} does not resolve to an absolute URL here: set config.encoders.modelBaseUrl (or modelBaseUrl) to an absolute URL`, { field: 'encoders.modelBaseUrl', cause: e });
      }
      const res = await fetchImpl(url).catch((e: Error) => {
        throw new MolarError('IO', `could not fetch ${url}: ${e.message}`, { file: url, cause: e });
      });
      if (!res.ok) throw new MolarError('IO', `GET ${url} answered ${res.status}`, { file: url });
      return res.arrayBuffer();
    },
  };
}

/** The tfjs model.json shape we read and write (format of tf.io.ModelJSON). */
export interface ModelJson {
  modelTopology: unknown;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  [k: string]: unknown;
}

/**
 * Reads model.json and its weight shards into tfjs ModelArtifacts (weights concatenated in
 * manifest order, which is the order tfjs decodes them in). Quantized weight specs are kept as they
 * are: tfjs dequantizes `{dtype:'uint8'|'uint16'|'float16'}` at load time.
 */
export async function loadArtifacts(files: ModelFiles, modelJsonName = 'model.json', onProgress?: ProgressCallback): Promise<tf.io.ModelArtifacts> {
  const json = await readJson<ModelJson>(files, modelJsonName);
  if (!json || typeof json !== 'object' || !json.modelTopology || !Array.isArray(json.weightsManifest)) {
    throw new MolarError('BAD_INPUT', 'expected a tfjs model.json with modelTopology and weightsManifest', { file: `${files.where}/${modelJsonName}` });
  }
  const paths = json.weightsManifest.flatMap((g) => g.paths);
  let loaded = 0;
  const shards: ArrayBuffer[] = [];
  for (const p of paths) {
    const b = await files.readBytes(p);
    shards.push(b);
    loaded++;
    onProgress?.({ status: 'load', file: p, loaded, total: paths.length });
  }
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: concatBuffers(shards),
    format: json.format,
    generatedBy: json.generatedBy,
    convertedBy: json.convertedBy ?? undefined,
  };
}

export function concatBuffers(parts: ArrayBuffer[]): ArrayBuffer {
  const total = parts.reduce((s, p) => s + p.byteLength, 0);
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(new Uint8Array(p), off);
    off += p.byteLength;
  }
  return out.buffer;
}

/** Bytes a manifest's weights take on disk, from their specs (quantized dtypes included). */
export function weightBytes(specs: tf.io.WeightsManifestEntry[]): number {
  const per: Record<string, number> = { float32: 4, int32: 4, bool: 1, uint8: 1, uint16: 2, float16: 2, string: 0 };
  return specs.reduce((s, w) => s + w.shape.reduce((a, b) => a * b, 1) * per[w.quantization?.dtype ?? w.dtype], 0);
}
