import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { isMolarError, MolarError } from '../errors.js';
import { loadTransformersImageEncoder, loadTransformersTextEncoder } from './hf.js';
import { nodeImageDecoder } from './image-decode-node.js';
import { loadItemEncoder } from './registry.js';
import type { DecodedImage, EncodeProgress, Matrix } from './types.js';

/**
 * transformers.js on the tiny models of e2e/fixtures/tiny-hf (scripts/make-tiny-onnx.py), in Node
 * (onnxruntime-node). Reference vectors come from the torch modules the ONNX files were exported
 * from, so a wrong pooling / output / preprocessing choice in hf.ts shows up as a mismatch.
 */

// Every fetch is a failure here: transformers.js binds globalThis.fetch when it is first imported
// (env.fetch), and hf.ts imports it lazily, so this stub is what it gets.
const fetched: string[] = [];
vi.stubGlobal('fetch', async (url: unknown) => {
  fetched.push(String(url));
  throw new Error(`network is off in this test (${String(url)})`);
});

const DIR = fileURLToPath(new URL('../../e2e/fixtures/tiny-hf/', import.meta.url));
interface Expected {
  texts: string[];
  input_ids: number[][];
  bert: { dim: number; text_vectors: number[][] };
  clip: { dim: number; text_vectors: number[][]; image_vectors: number[][]; images: { name: string; width: number; height: number; rgba_base64: string }[] };
}
const expected = JSON.parse(readFileSync(DIR + 'expected.json', 'utf8')) as Expected;
const images: DecodedImage[] = expected.clip.images.map((i) => ({ width: i.width, height: i.height, data: new Uint8Array(Buffer.from(i.rgba_base64, 'base64')) }));
const opts = { localModelPath: DIR };
const TOL = 1e-4;

const row = (m: Matrix, r: number) => Array.from(m.data.subarray(r * m.dim, (r + 1) * m.dim));
const norm = (v: number[]) => Math.hypot(...v);
const maxDiff = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));
const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b));

function expectRows(m: Matrix, ref: number[][], tol = TOL) {
  expect(m.rows).toBe(ref.length);
  ref.forEach((v, r) => expect(maxDiff(row(m, r), v), `row ${r}`).toBeLessThan(tol));
}

async function errorOf(p: Promise<unknown>): Promise<MolarError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof MolarError) return e;
    throw e;
  }
  throw new Error('expected a MolarError, got none');
}

afterAll(() => {
  vi.unstubAllGlobals();
});

describe('transformers.js provider, Node, remote loading off', () => {
  it('uses the fetch stub, so "nothing was fetched" below means something', async () => {
    const hf = await import('@huggingface/transformers');
    await expect(hf.env.fetch('https://huggingface.co/x/resolve/main/config.json')).rejects.toThrow('network is off');
    expect(fetched.splice(0)).toEqual(['https://huggingface.co/x/resolve/main/config.json']);
  });

  it('hf-text on a BERT folder: the torch reference vectors (mean-pooled, L2-normalised), same token ids as the Python WordPiece', async () => {
    const events: EncodeProgress[] = [];
    const enc = await loadTransformersTextEncoder('tiny-bert', { ...opts, onProgress: (e) => events.push(e) });
    const hf = await import('@huggingface/transformers');
    expect(hf.env.allowRemoteModels).toBe(false);
    expect(enc.id).toBe('hf-text:tiny-bert');
    expect(enc.dim).toBe(expected.bert.dim);

    const tok = await hf.AutoTokenizer.from_pretrained('tiny-bert');
    const ids = expected.texts.map((t) => Array.from(tok(t).input_ids.data as BigInt64Array, Number));
    expect(ids).toEqual(expected.input_ids);

    const m = await enc.encodeText(expected.texts);
    expectRows(m, expected.bert.text_vectors);
    for (let r = 0; r < m.rows; r++) expect(norm(row(m, r))).toBeCloseTo(1, 5);
    // different inputs, different vectors
    expect(maxDiff(row(m, 0), row(m, 1))).toBeGreaterThan(0.05);
    expect(maxDiff(row(m, 1), row(m, 2))).toBeGreaterThan(0.05);

    const files = new Set(events.flatMap((e) => (e.status === 'load' ? [e.file] : [])));
    expect([...files].sort()).toEqual(['config.json', 'onnx/model.onnx', 'tokenizer.json', 'tokenizer_config.json']);
    for (const e of events) if (e.status === 'load') expect(e.loaded).toBeLessThanOrEqual(e.total);
    expect(events.at(-1)).toEqual({ status: 'ready', encoder: 'hf-text:tiny-bert' });
    enc.dispose();
  });

  it('is deterministic and batch-size independent (padding is masked out), with encode progress up to the total', async () => {
    const enc = await loadTransformersTextEncoder('tiny-bert', opts);
    const texts = [...expected.texts, 'green tea', '', 'a very long list of words: '.repeat(6)];
    const whole = await enc.encodeText(texts);
    const again = await enc.encodeText(texts);
    expect(Array.from(again.data)).toEqual(Array.from(whole.data));
    const events: EncodeProgress[] = [];
    const ones = await enc.encodeText(texts, { batchSize: 1 });
    const twos = await enc.encodeText(texts, { batchSize: 2, onProgress: (e) => events.push(e) });
    expect(maxDiff(Array.from(ones.data), Array.from(whole.data))).toBeLessThan(1e-5);
    expect(maxDiff(Array.from(twos.data), Array.from(whole.data))).toBeLessThan(1e-5);
    expect(row(whole, 3)).toEqual(row(whole, 0)); // the same text twice in one batch
    expect(events.map((e) => (e.status === 'encode' ? e.loaded : -1))).toEqual([2, 4, 6]);
    expect(events.at(-1)).toEqual({ status: 'encode', modality: 'text', loaded: 6, total: 6 });
    expect((await enc.encodeText([])).rows).toBe(0);
    enc.dispose();
    enc.dispose();
    expect(isMolarError(await errorOf(enc.encodeText(['x'])), 'DISPOSED')).toBe(true);
  });

  it('dtype q8 loads onnx/model_quantized.onnx: close to the fp32 reference, not equal to it', async () => {
    const files: string[] = [];
    const enc = await loadTransformersTextEncoder('tiny-bert', { ...opts, dtype: 'q8', onProgress: (e) => e.status === 'load' && files.push(e.file) });
    expect(files).toContain('onnx/model_quantized.onnx');
    expect(files).not.toContain('onnx/model.onnx');
    const m = await enc.encodeText(expected.texts);
    expected.bert.text_vectors.forEach((v, r) => {
      expect(cos(row(m, r), v)).toBeGreaterThan(0.99);
      expect(maxDiff(row(m, r), v)).toBeGreaterThan(1e-4); // really the int8 weights
    });
    enc.dispose();
  });

  it('hf-text on a CLIP folder uses the text tower (onnx/text_model.onnx, text_embeds), in the image space width', async () => {
    const files: string[] = [];
    const enc = await loadTransformersTextEncoder('tiny-clip', { ...opts, onProgress: (e) => e.status === 'load' && files.push(e.file) });
    expect(files).toContain('onnx/text_model.onnx');
    expect(enc.dim).toBe(expected.clip.dim);
    expectRows(await enc.encodeText(expected.texts), expected.clip.text_vectors);
    expectRows(await enc.encodeText(expected.texts, { batchSize: 1 }), expected.clip.text_vectors);
    enc.dispose();
  });

  it('hf-image on a CLIP folder: image_embeds of the vision tower match torch, from pixels and from PNG bytes', async () => {
    const enc = await loadTransformersImageEncoder('tiny-clip', nodeImageDecoder, opts);
    expect(enc.id).toBe('hf-image:tiny-clip');
    expect(enc.dim).toBe(expected.clip.dim);
    const m = await enc.encodeImages(images);
    expectRows(m, expected.clip.image_vectors);
    for (let r = 0; r < m.rows; r++) expect(norm(row(m, r))).toBeCloseTo(1, 5);
    expect(maxDiff(row(m, 0), row(m, 1))).toBeGreaterThan(0.05);
    expect(Array.from((await enc.encodeImages(images)).data)).toEqual(Array.from(m.data));
    expectRows(await enc.encodeImages(images, { batchSize: 1 }), expected.clip.image_vectors);

    const png = new Uint8Array(readFileSync(DIR + 'red-square.png'));
    expect(expected.clip.images[0].name).toBe('red-square');
    expectRows(await enc.encodeImages([png]), [expected.clip.image_vectors[0]]);
    enc.dispose();
  });

  it('images: a missing or undecodable one gives a zero row and a warning, other sizes are resized, progress reaches the total', async () => {
    const enc = await loadTransformersImageEncoder('tiny-clip', nodeImageDecoder, opts);
    const warnings: [number, string][] = [];
    const events: EncodeProgress[] = [];
    const odd: DecodedImage = { width: 48, height: 40, data: new Uint8Array(48 * 40 * 4).map((_, i) => (i * 7) % 256) };
    const m = await enc.encodeImages([null, images[1], new Uint8Array([1, 2, 3, 4]), odd, undefined], {
      batchSize: 2,
      onWarning: (i, r) => warnings.push([i, r]),
      onProgress: (e) => events.push(e),
    });
    expect(m.rows).toBe(5);
    expect(row(m, 0).every((x) => x === 0)).toBe(true);
    expect(maxDiff(row(m, 1), expected.clip.image_vectors[1])).toBeLessThan(TOL);
    expect(row(m, 2).every((x) => x === 0)).toBe(true);
    expect(norm(row(m, 3))).toBeCloseTo(1, 5);
    expect(row(m, 4).every((x) => x === 0)).toBe(true);
    expect(warnings.map(([i]) => i)).toEqual([0, 2, 4]);
    expect(warnings[1][1]).toMatch(/unsupported image format/);
    expect(events.at(-1)).toEqual({ status: 'encode', modality: 'image', loaded: 5, total: 5 });
    enc.dispose();
  });

  it('a missing model is a MolarError naming the model and the folder it was looked for in', async () => {
    const e = await errorOf(loadTransformersTextEncoder('no-such-model', opts));
    expect(e.code).toBe('IO');
    expect(e.file).toBe(`${DIR.replace(/\/$/, '')}/no-such-model`);
    expect(e.message).toContain('"no-such-model"');
    expect(e.message).toContain(`${DIR.replace(/\/$/, '')}/no-such-model`);
    expect(e.message).toContain('remote loading off');
  });

  it('a dtype without its weights file is a MolarError naming the file it wanted', async () => {
    const e = await errorOf(loadTransformersImageEncoder('tiny-clip', nodeImageDecoder, { ...opts, dtype: 'q4' }));
    expect(e.code).toBe('IO');
    expect(e.message).toContain('hf-image:tiny-clip');
    expect(e.message).toContain('dtype q4');
    expect(e.message).toContain('tiny-clip/onnx/vision_model_q4.onnx');
  });

  it('the registry joins hf-text and hf-image parts and passes its progress callback on', async () => {
    const events: EncodeProgress[] = [];
    const enc = await loadItemEncoder('hf-text:tiny-clip+hf-image:tiny-clip', {
      filesFor: () => {
        throw new Error('hf parts need no built-in files');
      },
      decodeImage: nodeImageDecoder,
      transformers: opts,
      onProgress: (e) => events.push(e),
    });
    expect(enc.id).toBe('hf-text:tiny-clip+hf-image:tiny-clip');
    expect(enc.dim).toBe(2 * expected.clip.dim);
    expect(events.filter((e) => e.status === 'ready').map((e) => e.status === 'ready' && e.encoder)).toEqual(['hf-text:tiny-clip', 'hf-image:tiny-clip']);
    const v = await enc.encodeItems([{ id: 'x', title: 'green tea', image: images[0] }]);
    expect(maxDiff(row(v, 0).slice(0, 16), expected.clip.text_vectors[0])).toBeLessThan(TOL);
    expect(maxDiff(row(v, 0).slice(16), expected.clip.image_vectors[0])).toBeLessThan(TOL);
    enc.dispose();
  });

  it('fetched nothing and left remote loading off', async () => {
    const hf = await import('@huggingface/transformers');
    expect(hf.env.allowRemoteModels).toBe(false);
    expect(fetched).toEqual([]);
  });
});
