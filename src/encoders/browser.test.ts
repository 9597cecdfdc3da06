import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { ItemVectorsEntry } from '../bundle/manifest.js';
import { MolarError } from '../errors.js';
import { loadBrowserItemEncoder } from './browser.js';
import { loadTransformersTextEncoder } from './hf.js';
import type { EncodeProgress } from './types.js';

/**
 * The page-side loader's options reach transformers.js: the model base URL becomes its
 * localModelPath, and a bundle's recorded dtype picks the weights. Run in Node on the tiny-bert
 * fixture (there localModelPath is a folder, in the page a URL prefix: the same option), so it
 * checks the wiring; e2e/hf.spec.ts covers transformers.js itself in Chromium.
 */

// transformers.js binds globalThis.fetch on first import; with this stub any network use fails loudly
const fetched: string[] = [];
vi.stubGlobal('fetch', async (url: unknown) => {
  fetched.push(String(url));
  throw new Error(`network is off in this test (${String(url)})`);
});
afterAll(() => {
  vi.unstubAllGlobals();
});

const DIR = fileURLToPath(new URL('../../e2e/fixtures/tiny-hf/', import.meta.url));
const expected = JSON.parse(readFileSync(DIR + 'expected.json', 'utf8')) as { texts: string[]; bert: { dim: number; text_vectors: number[][] } };
const items = expected.texts.map((title, i) => ({ id: `i${i}`, title }));
const entry = (hf?: unknown): ItemVectorsEntry['encoder'] => ({ id: 'hf-text:tiny-bert', dim: 32, modality: 'text', ...(hf === undefined ? {} : { hf }) }) as ItemVectorsEntry['encoder'];
const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => Math.max(...Array.from(a, (x, i) => Math.abs(x - b[i])));

/** Loads through loadBrowserItemEncoder and tells which weights file transformers.js read. */
async function load(encoder: Parameters<typeof loadBrowserItemEncoder>[0], opts: Parameters<typeof loadBrowserItemEncoder>[1] = {}) {
  const files: string[] = [];
  const enc = await loadBrowserItemEncoder(encoder, { ...opts, onProgress: (e: EncodeProgress) => e.status === 'load' && files.push(e.file) });
  return { enc, weights: files.filter((f) => f.startsWith('onnx/')) };
}

describe('loadBrowserItemEncoder with hf-* encoders', () => {
  it('loads hf models from the config\'s modelBaseUrl, fp32 by default: the torch reference vectors', async () => {
    const { enc, weights } = await load('hf-text:tiny-bert', { config: { encoders: { modelBaseUrl: DIR } } });
    expect(weights).toEqual(['onnx/model.onnx']);
    expect([enc.id, enc.dim]).toEqual(['hf-text:tiny-bert', expected.bert.dim]);
    const m = await enc.encodeItems(items);
    expected.bert.text_vectors.forEach((v, r) => expect(maxDiff(m.data.subarray(r * m.dim, (r + 1) * m.dim), v), `row ${r}`).toBeLessThan(1e-4));
    enc.dispose();
  });

  it('the bundle\'s recorded dtype picks the weights, over the config\'s; the vectors are the provider\'s q8 ones', async () => {
    const { enc, weights } = await load(entry({ dtype: 'q8' }), { modelBaseUrl: DIR, config: { encoders: { dtype: 'fp32' } } });
    expect(weights).toEqual(['onnx/model_quantized.onnx']);
    const direct = await loadTransformersTextEncoder('tiny-bert', { localModelPath: DIR, dtype: 'q8' });
    const want = await direct.encodeText(expected.texts);
    direct.dispose();
    expect(maxDiff((await enc.encodeItems(items)).data, want.data)).toBeLessThan(1e-6);
    enc.dispose();
  });

  it('a bundle that records no dtype (built before the field existed) takes the config\'s, and an explicit modelBaseUrl wins over the config\'s', async () => {
    const q8 = await load(entry(), { modelBaseUrl: DIR, config: { encoders: { dtype: 'q8', modelBaseUrl: '/nowhere/' } } });
    expect(q8.weights).toEqual(['onnx/model_quantized.onnx']);
    q8.enc.dispose();
    const fp32 = await load(entry({ dtype: 'fp32' }), { modelBaseUrl: DIR, config: { encoders: { dtype: 'q8' } } });
    expect(fp32.weights).toEqual(['onnx/model.onnx']);
    fp32.enc.dispose();
  });

  it('a bad recorded dtype is BUNDLE_INVALID naming encoder.hf.dtype, before any model file is read', async () => {
    for (const [hf, message] of [
      [{ dtype: 'int3' }, 'field "encoder.hf.dtype": expected one of fp32, fp16, q8, q4, got "int3"'],
      ['q8', 'field "encoder.hf": expected an object {dtype}, got "q8"'],
    ] as const) {
      const events: EncodeProgress[] = [];
      const err = await loadBrowserItemEncoder(entry(hf), { modelBaseUrl: DIR, onProgress: (e) => events.push(e) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MolarError);
      expect((err as MolarError).code).toBe('BUNDLE_INVALID');
      expect((err as MolarError).message).toBe(message);
      expect(events).toEqual([]);
    }
  });

  it('a bad config value is refused before loading (BAD_CONFIG naming the field)', async () => {
    const err = await loadBrowserItemEncoder('hf-text:tiny-bert', { config: { encoders: { dtype: 'int3' as never } } }).catch((e: unknown) => e);
    expect((err as MolarError).code).toBe('BAD_CONFIG');
    expect((err as MolarError).field).toBe('encoders.dtype');
  });

  it('built-ins still fetch <modelBaseUrl><encoder id>/ through the given fetch', async () => {
    const urls: string[] = [];
    const err = await loadBrowserItemEncoder('use-lite', {
      modelBaseUrl: 'https://shop.test/models',
      fetch: async (u) => {
        urls.push(String(u));
        return new Response('no', { status: 404 });
      },
    }).catch((e: unknown) => e);
    expect((err as MolarError).code).toBe('IO');
    expect(urls.length).toBeGreaterThan(0);
    for (const u of urls) expect(u).toMatch(/^https:\/\/shop\.test\/models\/use-lite\/[\w.-]+$/);
  });

  it('fetched nothing from the network', () => {
    expect(fetched).toEqual([]);
  });
});
