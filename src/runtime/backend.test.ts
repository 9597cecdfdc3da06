import { describe, expect, it } from 'vitest';
import { probeWasmFile, selectBackend } from './backend.js';

const URL_ = 'https://shop.example/wasm/tfjs/tfjs-backend-wasm-simd.wasm';
const answer = (body: BodyInit | null, init: ResponseInit = {}) => (async () => new Response(body, init)) as unknown as typeof fetch;

describe('probeWasmFile', () => {
  it('accepts a body that starts with the wasm magic', async () => {
    expect(await probeWasmFile(URL_, answer(new Uint8Array([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0])))).toBeNull();
  });

  it('names the URL and the status of a missing file', async () => {
    expect(await probeWasmFile(URL_, answer('not found', { status: 404 }))).toBe(`could not fetch ${URL_}: HTTP 404`);
  });

  it('names the URL of an HTML page served in its place (a catch-all route)', async () => {
    const why = await probeWasmFile(URL_, answer('<!doctype html><html></html>', { headers: { 'content-type': 'text/html' } }));
    expect(why).toBe(`${URL_} is not a WebAssembly module (served as text/html)`);
    expect(await probeWasmFile(URL_, answer(new Uint8Array([0, 0x61])))).toContain('is not a WebAssembly module');
  });

  it('names the URL when the fetch itself fails', async () => {
    const offline = (async () => {
      throw new TypeError('Failed to fetch');
    }) as unknown as typeof fetch;
    expect(await probeWasmFile(URL_, offline)).toBe(`could not fetch ${URL_}: Failed to fetch`);
  });
});

describe('selectBackend', () => {
  it('registers cpu itself (runtime imports tfjs-core, not the umbrella) and reports why webgl was skipped', async () => {
    const report = await selectBackend('auto', { fallbackOrder: ['webgl', 'cpu'], tfjsWasmPath: '/wasm/tfjs/', ortWasmPath: '/wasm/ort/' });
    expect(report).toEqual({
      backend: 'cpu',
      tried: [
        { backend: 'webgl', ok: false, reason: 'WebGL exists only in a browser' },
        { backend: 'cpu', ok: true, reason: 'selected' },
      ],
    });
  });
});
