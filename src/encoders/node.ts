import { promises as fs } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { nodeImageDecoder } from './image-decode-node.js';
import type { ItemEncoder } from './item-encoder.js';
import { MOBILENET_ID } from './mobilenet.js';
import { dequantizeArtifacts, quantizeArtifactsUint8 } from './quantize.js';
import { loadItemEncoder } from './registry.js';
import { loadArtifacts, weightBytes } from './sources.js';
import { dirFiles, nsfwMobilenetArtifacts, useLiteDir, writeModelDir } from './sources-node.js';
import type { TransformersOptions } from './hf.js';
import type { ProgressCallback } from './types.js';
import { USE_LITE_ID } from './use-lite.js';

/**
 * Node entry points of the encoders: the bundle build step, `molar quantize` and the benchmark.
 * tfjs runs on the wasm backend by default (about 9x faster than cpu here on MobileNetV2).
 */
export async function useNodeBackend(name: 'wasm' | 'cpu' = 'wasm'): Promise<string> {
  if (name === 'wasm') await import('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(name))) throw new MolarError('BACKEND_UNAVAILABLE', `tfjs backend "${name}" did not initialise in Node`);
  await tf.ready();
  return tf.getBackend();
}

export interface NodeEncoderOptions {
  /**
   * A folder of model folders: `<modelDir>/<encoder id>/` for the built-ins (e.g. the output of
   * `molar quantize`; without it the fp32 weights from node_modules are used), and
   * `<modelDir>/<model>/` for hf-text:<model> / hf-image:<model> (transformers.js' localModelPath,
   * whose own default is a folder inside node_modules, where no shop keeps its models).
   */
  modelDir?: string;
  /** dtype, device, allowRemoteModels of the hf-* parts (localModelPath comes from modelDir) */
  transformers?: Omit<TransformersOptions, 'localModelPath' | 'ortWasmPath'>;
  onProgress?: ProgressCallback;
}

export function loadNodeItemEncoder(id: string, opts: NodeEncoderOptions = {}): Promise<ItemEncoder> {
  return loadItemEncoder(id, {
    filesFor: (part) => {
      if (opts.modelDir) return dirFiles(path.join(opts.modelDir, part));
      return part === MOBILENET_ID ? nsfwMobilenetArtifacts() : dirFiles(useLiteDir());
    },
    decodeImage: nodeImageDecoder,
    onProgress: opts.onProgress,
    // absolute, so a load error names the whole folder the model was looked for in
    transformers: { ...opts.transformers, ...(opts.modelDir ? { localModelPath: path.resolve(opts.modelDir) } : {}) },
  });
}

export interface ExportReport {
  encoder: string;
  dir: string;
  /** weight bytes of the reference float32 weights and of what was written */
  float32Bytes: number;
  writtenBytes: number;
}

/**
 * Writes the built-in encoders as plain tfjs model folders (`<out>/use-lite/`, `<out>/mobilenetv2/`)
 * that the browser fetches. `quantize: true` stores weights as uint8. MobileNetV2's published
 * weights are already uint8; its float32 reference is their dequantized expansion.
 */
export async function exportBuiltinEncoders(out: string, opts: { quantize: boolean; encoders?: string[] }): Promise<ExportReport[]> {
  const which = opts.encoders ?? [USE_LITE_ID, MOBILENET_ID];
  const reports: ExportReport[] = [];
  for (const id of which) {
    const dir = path.join(out, id);
    let art: tf.io.ModelArtifacts;
    if (id === USE_LITE_ID) art = await loadArtifacts(dirFiles(useLiteDir()));
    else if (id === MOBILENET_ID) art = dequantizeArtifacts(nsfwMobilenetArtifacts());
    else throw new MolarError('UNKNOWN_KIND', `cannot export encoder "${id}"; known: ${USE_LITE_ID}, ${MOBILENET_ID}`, { field: 'encoder' });
    const float32Bytes = weightBytes(art.weightSpecs ?? []);
    const written = opts.quantize ? quantizeArtifactsUint8(art) : art;
    const sizes = await writeModelDir(written, dir);
    if (id === USE_LITE_ID) await fs.copyFile(path.join(useLiteDir(), 'vocab.json'), path.join(dir, 'vocab.json'));
    reports.push({ encoder: id, dir, float32Bytes, writtenBytes: sizes.weights });
  }
  return reports;
}
