import { readFileSync } from 'node:fs';
import { expect, test, type Page } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import { pageModule, watchNetwork } from './helpers.js';

/**
 * The transformers.js provider in headless Chromium on onnxruntime-web, against the same torch
 * reference vectors hf.test.ts checks in Node (e2e/fixtures/tiny-hf/expected.json).
 */
type Hf = typeof import('./pages/hf.js');
interface Expected {
  bert: { text_vectors: number[][] };
  clip: { text_vectors: number[][]; image_vectors: number[][] };
}
const expected = JSON.parse(readFileSync(new URL('./fixtures/tiny-hf/expected.json', import.meta.url), 'utf8')) as Expected;
const TOL = 1e-4;

function call<F extends keyof Hf & string>(page: Page, fn: F, ...args: Parameters<Hf[F]>) {
  return pageModule<Hf>(page, '/e2e/pages/hf.ts')(fn, ...args);
}

function expectClose(got: number[][], ref: number[][], what: string, tol = TOL) {
  expect(got.length, what).toBe(ref.length);
  got.forEach((v, r) => {
    expect(v.length, `${what} row ${r}`).toBe(ref[r].length);
    expect(Math.max(...v.map((x, i) => Math.abs(x - ref[r][i]))), `${what} row ${r}`).toBeLessThan(tol);
  });
}

const cos = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * b[i], 0) / (Math.hypot(...a) * Math.hypot(...b));

test('transformers.js on wasm: BERT and CLIP fixtures give the torch vectors (1e-4), q8 is close, a missing model names its path, nothing leaves localhost', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  const ort: string[] = [];
  page.on('request', (r) => r.url().includes('/wasm/ort/') && ort.push(new URL(r.url()).pathname));
  await page.goto('/e2e/pages/blank.html');

  const r = await call(page, 'encode', 'wasm', ['bert', 'clipText', 'clipImage', 'q8']);
  expect(r.allowRemoteModels).toBe(false);
  expect(r.gpuSubmits, 'GPU command buffers submitted').toBe(0);
  expect(r.wasmPaths).toBe(`${ORIGIN}/wasm/ort/`);
  expectClose(r.bert!, expected.bert.text_vectors, 'bert');
  expectClose(r.bertBatched!, expected.bert.text_vectors, 'bert, batch 1');
  expectClose(r.clipText!, expected.clip.text_vectors, 'clip text');
  expectClose(r.clipImage!, expected.clip.image_vectors, 'clip image');
  expectClose(r.png!, [expected.clip.image_vectors[0]], 'clip image from PNG');
  r.q8!.forEach((v, i) => expect(cos(v, expected.bert.text_vectors[i])).toBeGreaterThan(0.99));
  expect(r.files).toEqual([
    'config.json',
    'onnx/model.onnx',
    'onnx/model_quantized.onnx',
    'onnx/text_model.onnx',
    'onnx/vision_model.onnx',
    'preprocessor_config.json',
    'tokenizer.json',
    'tokenizer_config.json',
  ]);
  // onnxruntime-web's files came from our mount (node_modules/onnxruntime-web/dist), not its CDN default
  expect(ort).toContain('/wasm/ort/ort-wasm-simd-threaded.asyncify.mjs');
  expect(ort).toContain('/wasm/ort/ort-wasm-simd-threaded.asyncify.wasm');

  const err = await call(page, 'missingModel');
  expect(err?.code).toBe('IO');
  expect(err?.file).toBe('/e2e/fixtures/tiny-hf/no-such-model');
  expect(err?.message).toContain('"no-such-model"');
  expect(err?.message).toContain('remote loading off');

  expect(external, 'requests that left localhost').toEqual([]);
});

// SwiftShader's WebGPU (--enable-unsafe-webgpu) runs it, slowly: ~15 s to load BERT (shader compiles),
// ~2 s an encode on two cores, so this test keeps to one text and one image model.
test('transformers.js on webgpu: the same vectors (1e-4) for BERT text and CLIP images', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  await page.goto('/e2e/pages/blank.html');
  const r = await call(page, 'encode', 'webgpu', ['bert', 'clipImage']);
  expect(r.gpuAdapter, 'Chromium offers a WebGPU adapter').toBe(true);
  expect(r.gpuSubmits, 'GPU command buffers submitted').toBeGreaterThan(0);
  expectClose(r.bert!, expected.bert.text_vectors, 'bert');
  expectClose(r.bertBatched!, expected.bert.text_vectors, 'bert, batch 1');
  expectClose(r.clipImage!, expected.clip.image_vectors, 'clip image');
  expectClose(r.png!, [expected.clip.image_vectors[0]], 'clip image from PNG');
  expect(external, 'requests that left localhost').toEqual([]);
});
