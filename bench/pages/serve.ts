/**
 * Served by Vite to bench/serve.ts: the public API as a shop's page calls it (Recommender.load →
 * record → recommend({k: 10})), timed inside the page, beside the floor of the same work on the
 * same backend. Every export returns plain numbers, so the Node side only orchestrates.
 */
import * as tf from '@tensorflow/tfjs';
import type { BackendName } from '../../src/config.js';
import { Recommender } from '../../src/recommender/index.js';

let rec: Recommender | null = null;

/** bytes the page fetched from URLs under `prefix` (Resource Timing; same origin, so sizes are visible) */
function bytesUnder(prefix: string): number {
  const abs = new URL(prefix, location.href).href;
  return (performance.getEntriesByType('resource') as PerformanceResourceTiming[]).filter((e) => e.name.startsWith(abs)).reduce((s, e) => s + (e.encodedBodySize || e.transferSize), 0);
}

/** tensor bytes tfjs tracks, and the wasm backend's linear memory (which holds them on wasm) */
export function memory() {
  const m = tf.memory();
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm?.HEAPU8?.buffer.byteLength ?? null;
  return { tensors: m.numTensors, tensorBytes: m.numBytes, wasmBytes: wasm };
}

export async function load(bundleUrl: string, backend: BackendName, config: Record<string, unknown> = {}, model?: string) {
  performance.setResourceTimingBufferSize(10_000);
  const t0 = performance.now();
  rec = await Recommender.load({ bundleUrl, backend, model, namespace: `serve-bench-${bundleUrl}`, config, onWarning: () => {} });
  const loadMs = performance.now() - t0;
  return { backend: rec.backend, model: rec.modelEntry.kind, loadMs, bytesFetched: bytesUnder(bundleUrl), numItems: rec.manifest.numItems, ...memory() };
}

/** Replaces the shopper's history with `n` events on items spread over the catalog (seeded). */
export async function setHistory(n: number, seed = 1) {
  const r = rec!;
  await r.clearHistory();
  const items = r.items;
  let s = seed;
  for (let i = 0; i < n; i++) {
    s = (s * 16807) % 2147483647;
    await r.record({ itemId: items[s % items.length].id, ts: 1_000 + i });
  }
  return (await r.events()).length;
}

/** One first call, then `calls` warm ones: milliseconds of each recommend({k: 10}). */
export async function time(calls: number) {
  const r = rec!;
  const t0 = performance.now();
  await r.recommend({ k: 10 });
  const first = performance.now() - t0;
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await r.recommend({ k: 10 });
    ms.push(performance.now() - t);
  }
  return { first, ms };
}

/**
 * One recommend() under tf.profile: kernel count, summed kernel time and the kernels that took
 * longest, by name (what dominates a call, beside the wall time that includes the history read and JS).
 */
export async function profile() {
  const t0 = performance.now();
  const p = await tf.profile(async () => {
    await rec!.recommend({ k: 10 });
  });
  const wallMs = performance.now() - t0;
  const by = new Map<string, { ms: number; n: number }>();
  let kernelMs = 0;
  for (const k of p.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
    kernelMs += ms;
    const e = by.get(k.name) ?? { ms: 0, n: 0 };
    e.ms += ms;
    e.n++;
    by.set(k.name, e);
  }
  const top = [...by].sort((a, b) => b[1].ms - a[1].ms).slice(0, 6).map(([name, e]) => `${name}×${e.n} ${e.ms.toFixed(2)}`);
  return { kernels: p.kernels.length, kernelMs, wallMs, top: top.join(', ') };
}

/** Milliseconds of reading the history alone (what recommend() reads first), per call. */
export async function historyRead(calls: number) {
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await rec!.events();
    ms.push(performance.now() - t);
  }
  return ms;
}

/** `calls` recommend() calls back to back (the memory check); stops at `maxMs`, returns how many ran. */
export async function soak(calls: number, maxMs: number) {
  const t0 = performance.now();
  let done = 0;
  while (done < calls && performance.now() - t0 < maxMs) {
    await rec!.recommend({ k: 10 });
    done++;
  }
  return { calls: done, ...memory() };
}

/**
 * The floor: one [1, D] × [D, N+1] product and a top-10 on the active backend, read back, on
 * random data of the bundle's shape (the least any full-catalog scorer has to do).
 */
export async function floor(dim: number, calls: number) {
  const n = rec!.manifest.numItems + 1;
  const items = tf.randomNormal([dim, n], 0, 1, 'float32', 7) as tf.Tensor2D;
  const user = tf.randomNormal([1, dim], 0, 1, 'float32', 8) as tf.Tensor2D;
  const once = async () => {
    const { values, indices } = tf.tidy(() => tf.topk(tf.matMul(user, items).reshape([-1]), 10));
    await Promise.all([values.data(), indices.data()]);
    tf.dispose([values, indices]);
  };
  await once();
  const ms: number[] = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await once();
    ms.push(performance.now() - t);
  }
  tf.dispose([items, user]);
  return ms;
}

export function dispose() {
  rec?.dispose();
  rec = null;
  return memory();
}
