import { describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import { DEFAULT_CONFIG, type RuntimeConfig } from '../config.js';
import { probeWasmFile, selectBackend } from './backend.js';
import { timingKey, type TimingRecord, type TimingsCache } from './timings-cache.js';

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

const RUNTIME: RuntimeConfig = { ...DEFAULT_CONFIG.runtime, tfjsWasmPath: '/wasm/tfjs/', ortWasmPath: '/wasm/ort/' };
const SHAPE = { dim: 16, items: 300 };

/** An in-memory TimingsCache that counts its writes. */
function memoryCache() {
  const rows = new Map<string, TimingRecord>();
  let puts = 0;
  const cache: TimingsCache = {
    get: async (ua, cls) => rows.get(timingKey(ua, cls)),
    put: async (r) => {
      puts++;
      rows.set(timingKey(r.userAgent, r.shapeClass), { ...r, key: timingKey(r.userAgent, r.shapeClass) });
    },
  };
  return { cache, rows, puts: () => puts };
}

describe('selectBackend', () => {
  it('registers cpu itself (runtime imports tfjs-core, not the umbrella) and reports why webgl was skipped', async () => {
    const report = await selectBackend('auto', { ...RUNTIME, fallbackOrder: ['webgl', 'cpu'], pick: 'first' });
    expect(report).toEqual({
      backend: 'cpu',
      tried: [
        { backend: 'webgl', ok: false, reason: 'WebGL exists only in a browser' },
        { backend: 'cpu', ok: true, reason: 'selected' },
      ],
      choice: { pick: 'first', why: 'cpu is the first in the fallback order that runs' },
    });
  });

  it("'fastest' times the scoring op on the hardware candidates, keeps cpu as the last resort, and caches the timings", async () => {
    const { cache, rows, puts } = memoryCache();
    const before = tf.memory().numTensors;
    const report = await selectBackend('auto', { ...RUNTIME, fallbackOrder: ['webgl', 'wasm', 'cpu'] }, [], { shape: Promise.resolve(SHAPE), cache });
    expect(report.backend).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    expect(report.tried.map((t) => [t.backend, t.ok, t.reason])).toEqual([
      ['webgl', false, 'WebGL exists only in a browser'],
      ['wasm', true, 'selected'],
      ['cpu', false, 'not started: wasm runs (cpu is the last resort)'],
    ]);
    const ms = report.choice!.timings!.wasm!;
    expect(ms).toBeGreaterThan(0);
    expect(report.choice).toMatchObject({ pick: 'fastest', op: '[1,16]×[16,300] + top-50', cached: false });
    expect(report.choice!.why).toContain('wasm (');
    expect(tf.memory().numTensors, 'the benchmark leaves no tensor').toBe(before);
    expect(puts()).toBe(1);
    expect([...rows.values()][0]).toMatchObject({ shapeClass: 'd16-n512', op: '[1,16]×[16,300] + top-50' });

    // the next load on this browser at this shape class starts only the cached winner
    const again = await selectBackend('auto', { ...RUNTIME, fallbackOrder: ['webgl', 'wasm', 'cpu'] }, [], { shape: SHAPE, cache });
    expect(again.tried).toEqual([{ backend: 'wasm', ok: true, reason: 'selected' }]);
    expect(again.choice).toMatchObject({ cached: true, timings: { wasm: ms } });
    expect(puts()).toBe(1);
    // another shape class is measured again
    await selectBackend('auto', { ...RUNTIME, fallbackOrder: ['wasm', 'cpu'] }, [], { shape: { dim: 32, items: 300 }, cache });
    expect(puts()).toBe(2);
  });

  it("'compete' measures cpu too and serves on whichever was faster", async () => {
    const { cache } = memoryCache();
    const report = await selectBackend('auto', { ...RUNTIME, fallbackOrder: ['wasm', 'cpu'], software: 'compete' }, [], { shape: SHAPE, cache });
    const { wasm, cpu } = report.choice!.timings!;
    expect(wasm).toBeGreaterThan(0);
    expect(cpu).toBeGreaterThan(0);
    expect(report.backend).toBe(wasm! <= cpu! ? 'wasm' : 'cpu');
    expect(tf.getBackend()).toBe(report.backend);
  });

  it('falls to cpu when no hardware backend runs, and without a shape (or when the bundle failed) chooses by order', async () => {
    const failed = Promise.reject(new Error('no manifest'));
    failed.catch(() => undefined);
    const report = await selectBackend('auto', { ...RUNTIME, fallbackOrder: ['webgl', 'cpu'] }, [], { shape: failed, cache: memoryCache().cache });
    expect(report.backend).toBe('cpu');
    expect(report.choice!.why).toBe('cpu is the last resort, chosen because no hardware backend runs');
    expect(report.choice!.timings).toEqual({});
  });
});
