// tfjs-core, not the @tensorflow/tfjs umbrella: the umbrella registers cpu and webgl (and pulls in
// layers, converter, data) on import, which a storefront would download before its first card.
// Each backend package is imported by prepare() only when the walk reaches it.
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, DEFAULT_CONFIG, type BackendChoice, type BackendName, type RuntimeConfig } from '../config.js';
import { MolarError } from '../errors.js';
import { chooseBackend, softwareReason, type Candidate } from './choice.js';
import { measureScoring, opLabel, shapeClass, type ScoringShape } from './measure.js';
import { idbTimings, type TimingsCache } from './timings-cache.js';

/** Which backend won, and why each one before it did not. */
export interface BackendReport {
  backend: BackendName;
  /** one entry per backend tried or skipped, in order */
  tried: { backend: BackendName; ok: boolean; reason: string; missingFile?: string; software?: string; ms?: number }[];
  /** how `auto` chose (absent when a backend was named): what was measured, each time, why the winner won */
  choice?: {
    pick: RuntimeConfig['pick'];
    why: string;
    /** the op timed (measure.ts), when something was */
    op?: string;
    /** median ms of one warm scoring pass, by backend */
    timings?: Partial<Record<BackendName, number>>;
    /** the timings came from an earlier load on this browser (timings-cache.ts), not from this one */
    cached?: boolean;
  };
}

/** What selectBackend may be told besides the choice. */
export interface SelectOptions {
  /**
   * the served model's scoring shape (or its promise: the manifest may still be on its way), which
   * `pick: 'fastest'` measures at; without one auto takes the first hardware backend that runs
   */
  shape?: ScoringShape | Promise<ScoringShape>;
  /** where measurements persist (default IndexedDB) */
  cache?: TimingsCache;
}

/** every backend the runtime knows, in its default order (config.ts holds the list once) */
export const BACKENDS: readonly BackendName[] = BACKEND_NAMES;

const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

/** What prepare() found: why the backend cannot be tried (null: it can), and whether it renders in software. */
interface Prepared {
  reason: string | null;
  software?: string;
}

/**
 * Registers a backend's factory (lazily importing the package, so pages that never reach wasm or
 * webgpu don't pay for them) and says why it cannot be used, and whether its adapter is software
 * (then, with `loadSoftware` false, the package is not imported: auto may never need it).
 */
async function prepare(name: BackendName, cfg: RuntimeConfig, loadSoftware = true): Promise<Prepared> {
  switch (name) {
    case 'webgpu': {
      const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
      if (!gpu) return { reason: 'navigator.gpu is missing (browser without WebGPU, or flag off)' };
      // tfjs-backend-webgpu turns a null adapter into a cryptic TypeError (tfjs #8065): probe first.
      const adapter = await gpu.requestAdapter().catch(() => null);
      if (!adapter) return { reason: 'requestAdapter() returned no adapter' };
      // Chromium moved isFallbackAdapter from the adapter onto adapter.info; read both
      const info = (adapter as unknown as { info?: Partial<GPUAdapterInfo> & { isFallbackAdapter?: boolean } }).info ?? {};
      const software = softwareReason([info.vendor, info.architecture, info.device, info.description], info.isFallbackAdapter === true || (adapter as { isFallbackAdapter?: boolean }).isFallbackAdapter === true);
      if (software && !loadSoftware) return { reason: null, software }; // not imported unless nothing else runs
      await import('@tensorflow/tfjs-backend-webgpu');
      return { reason: null, software };
    }
    case 'webgl': {
      if (!isBrowser) return { reason: 'WebGL exists only in a browser' };
      const software = softwareReason([webglRenderer()]);
      if (!software || loadSoftware) await import('@tensorflow/tfjs-backend-webgl');
      return { reason: null, software };
    }
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Never let tfjs fetch its .wasm from a CDN: in the browser it comes from our own origin.
      if (isBrowser) wasm.setWasmPaths(new URL(cfg.tfjsWasmPath, location.href).href);
      return { reason: null };
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return { reason: null };
  }
}

/** The WebGL renderer string (unmasked where the browser allows it), from a throwaway context. */
function webglRenderer(): string | undefined {
  const gl = (document.createElement('canvas').getContext('webgl2') ?? document.createElement('canvas').getContext('webgl')) as WebGLRenderingContext | null;
  if (!gl) return undefined;
  const ext = gl.getExtension('WEBGL_debug_renderer_info');
  const renderer = String(gl.getParameter(ext ? ext.UNMASKED_RENDERER_WEBGL : gl.RENDERER) ?? '');
  gl.getExtension('WEBGL_lose_context')?.loseContext(); // browsers cap live contexts: give this one back now
  return renderer;
}

/**
 * The .wasm file tfjs-backend-wasm will fetch from `prefix`: it picks one of three by feature
 * (getPathToWasmBinary in its backend_wasm.js), reading the two flags its import registered.
 */
async function tfjsWasmFileUrl(prefix: string): Promise<string> {
  const [simd, threads] = await Promise.all([tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT')]);
  const file = simd && threads ? 'tfjs-backend-wasm-threaded-simd.wasm' : simd ? 'tfjs-backend-wasm-simd.wasm' : 'tfjs-backend-wasm.wasm';
  return new URL(file, prefix).href;
}

const WASM_MAGIC = [0x00, 0x61, 0x73, 0x6d]; // "\0asm"

/**
 * Why `url` is not a WebAssembly module the backend could start from, or null when it is one. A
 * failed wasm init only tells tfjs "resolved false"; this names the file. A dev server or a shop's
 * catch-all route may answer a missing path with 200 and an HTML page, hence the magic check.
 */
export async function probeWasmFile(url: string, fetchFn: typeof fetch = fetch): Promise<string | null> {
  let res: Response;
  try {
    res = await fetchFn(url);
  } catch (e) {
    return `could not fetch ${url}: ${(e as Error).message}`;
  }
  if (!res.ok) return `could not fetch ${url}: HTTP ${res.status}`;
  const reader = res.body?.getReader();
  const head: number[] = [];
  while (reader && head.length < 4) {
    const { value, done } = await reader.read();
    if (done) break;
    head.push(...value.subarray(0, 4 - head.length));
  }
  await reader?.cancel().catch(() => undefined);
  if (WASM_MAGIC.some((b, i) => head[i] !== b)) return `${url} is not a WebAssembly module (served as ${res.headers.get('content-type') ?? 'no content type'})`;
  return null;
}

/**
 * Why a backend whose init failed did so: for wasm in a page, the file it could not load, named in
 * the reason and returned as `missingFile` (a deployment mistake, which the Recommender warns about
 * even when `auto` moves on to the next backend).
 */
async function initFailure(name: BackendName, cfg: RuntimeConfig, fallback: string): Promise<{ reason: string; missingFile?: string }> {
  if (name !== 'wasm' || !isBrowser) return { reason: fallback };
  const url = await tfjsWasmFileUrl(new URL(cfg.tfjsWasmPath, location.href).href);
  const why = await probeWasmFile(url);
  if (!why) return { reason: fallback };
  return { reason: `${why} (set runtime.tfjsWasmPath, or the widget's tfjs-wasm-path attribute, to the folder holding tfjs-backend-wasm's .wasm files)`, missingFile: url };
}

/** How long the smoke test's read may take: on a lost WebGL context it never finishes (its fence never passes). */
const SMOKE_TEST_MS = 10_000;

/** A real op on the new backend: some backends initialise but fail at the first kernel. */
async function smokeTest(): Promise<string | null> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    // async read: WebGPU's synchronous readback is slow and, on some adapters, returns zeros
    const t = tf.tidy(() => tf.sum(tf.matMul(tf.ones([2, 3]), tf.ones([3, 2]))));
    const timeout = new Promise<null>((resolve) => (timer = setTimeout(resolve, SMOKE_TEST_MS, null)));
    const read = await Promise.race([t.data(), timeout]);
    t.dispose();
    if (read === null) return `smoke test read did not finish in ${SMOKE_TEST_MS / 1000} s (a lost device?)`;
    return read[0] === 12 ? null : `smoke test gave ${read[0]}, expected 12`;
  } catch (e) {
    return `smoke test threw: ${(e as Error).message}`;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Picks the compute backend. A named backend is tried alone and its failure is an error. `auto` with
 * `cfg.pick: 'fastest'` (the default) walks cfg.fallbackOrder, starts every hardware candidate (a
 * GPU backend on a real adapter, wasm), smoke-tests it and times the scoring op at `opts.shape`
 * on it (measure.ts), and serves on the fastest (choice.ts); software adapters and cpu are started
 * only when no hardware candidate runs. The timings are cached per browser version and shape class
 * (timings-cache.ts): a later load starts only the cached winner. `pick: 'first'` keeps the first
 * that passes its smoke test, software or not. `skip` lists backends already known to be broken
 * (after a device loss).
 */
export function selectBackend(
  choice: BackendChoice = 'auto',
  cfg: RuntimeConfig = DEFAULT_CONFIG.runtime,
  skip: BackendName[] = [],
  opts: SelectOptions = {},
): Promise<BackendReport> {
  // tfjs has one global active backend: two selections interleaving would leave either one wrong.
  const run = queue.then(() => selectNow(choice, cfg, skip, opts));
  queue = run.catch(() => undefined);
  return run;
}

let queue: Promise<unknown> = Promise.resolve();

type Tried = BackendReport['tried'][number];

/** Prepares, starts and smoke-tests one backend, leaving it active when it passes. */
async function start(name: BackendName, cfg: RuntimeConfig, loadSoftware = true): Promise<Tried> {
  const prep = await prepare(name, cfg, loadSoftware).catch((e: Error): Prepared => ({ reason: `could not load: ${e.message}` }));
  let { reason } = prep;
  const software = prep.software && { software: prep.software };
  if (reason !== null) return { backend: name, ok: false, reason, ...software };
  if (prep.software && !loadSoftware) return { backend: name, ok: false, reason: `deferred: ${prep.software} (software adapters serve only when nothing else runs)`, ...software };
  let missingFile: string | undefined;
  const ok = await tf.setBackend(name).catch((e: Error) => (reason = `init threw: ${e.message}`, false));
  if (!ok) ({ reason, missingFile } = await initFailure(name, cfg, reason ?? 'setBackend() resolved false (init failed)'));
  if (ok) {
    await tf.ready();
    reason = await smokeTest();
  }
  return { backend: name, ok: reason === null, reason: reason ?? 'runs', ...(missingFile && { missingFile }), ...software };
}

const noBackend = (tried: Tried[]) => new MolarError('BACKEND_UNAVAILABLE', `no compute backend could start: ${tried.map((t) => `${t.backend}: ${t.reason}`).join('; ')}`);

async function selectNow(choice: BackendChoice, cfg: RuntimeConfig, skip: BackendName[], opts: SelectOptions): Promise<BackendReport> {
  if (choice !== 'auto' && !BACKENDS.includes(choice)) {
    throw new MolarError('BAD_CONFIG', `unknown backend "${choice}"; expected one of auto, ${BACKENDS.join(', ')}`, { field: 'backend' });
  }
  if (choice !== 'auto') {
    const t = await start(choice, cfg);
    if (!t.ok) throw noBackend([t]);
    return { backend: choice, tried: [{ ...t, reason: 'selected' }] };
  }
  const order = cfg.fallbackOrder.filter((b) => !skip.includes(b));
  return cfg.pick === 'first' ? selectFirst(order, cfg) : selectFastest(order, cfg, opts);
}

/** `pick: 'first'`: the first backend in order that starts and passes its smoke test. */
async function selectFirst(order: BackendName[], cfg: RuntimeConfig): Promise<BackendReport> {
  const tried: Tried[] = [];
  for (const name of order) {
    const t = await start(name, cfg);
    tried.push(t.ok ? { ...t, reason: 'selected' } : t);
    if (t.ok) return { backend: name, tried, choice: { pick: 'first', why: `${name} is the first in the fallback order that runs` } };
  }
  throw noBackend(tried);
}

/** The shape, or undefined when there is none or its promise failed (the bundle did not load: its own error is reported). */
const settle = (s: SelectOptions['shape']) => Promise.resolve(s).catch(() => undefined);

async function selectFastest(order: BackendName[], cfg: RuntimeConfig, opts: SelectOptions): Promise<BackendReport> {
  const cache = opts.cache ?? idbTimings;
  const userAgent = (globalThis.navigator as Navigator | undefined)?.userAgent ?? 'unknown';
  const shape = await settle(opts.shape);
  const cls = shape && shapeClass(shape);
  // Measured before on this browser at this shape class: start only the winner.
  const cached = cls ? await cache.get(userAgent, cls) : undefined;
  if (cached && shape) {
    const known = cached.candidates.filter((c) => order.includes(c.backend));
    const pick = chooseBackend(known, order, cfg.software === 'compete');
    if (pick) {
      const t = await start(pick.backend, cfg);
      if (t.ok) return { backend: pick.backend, tried: [{ ...t, reason: 'selected' }], choice: { pick: 'fastest', why: pick.why, op: cached.op, timings: timingsOf(known), cached: true } };
    }
    // the cached winner no longer starts: measure afresh
  }
  const tried: Tried[] = [];
  const candidates: Candidate[] = [];
  const deferred: BackendName[] = [];
  const lastResort = cfg.software === 'last-resort';
  for (const name of order) {
    if (name === 'cpu' && lastResort) {
      deferred.push(name);
      continue;
    }
    const t = await start(name, cfg, !lastResort);
    if (t.ok && shape) {
      try {
        t.ms = await measureScoring(shape);
      } catch (e) {
        Object.assign(t, { ok: false, reason: `the scoring benchmark failed: ${(e as Error).message}` });
      }
    }
    // under last-resort a software adapter is never started here (start() defers it), so not ok = deferred
    if (lastResort && t.software && !t.ok) deferred.push(name);
    tried.push(t);
    candidates.push({ backend: name, ok: t.ok, ...(t.software && { software: t.software }), ...(t.ms !== undefined && { ms: t.ms }) });
  }
  let pick = chooseBackend(candidates, order, !lastResort);
  if (!pick) {
    // nothing on real hardware runs: the first software adapter (or cpu) that does
    for (const name of order.filter((b) => deferred.includes(b))) {
      const t = await start(name, cfg);
      upsert(tried, t);
      upsert(candidates, { backend: name, ok: t.ok, ...(t.software && { software: t.software }) });
      if ((pick = chooseBackend(candidates, order, !lastResort))) break;
    }
  } else {
    for (const name of deferred) if (!tried.some((t) => t.backend === name)) tried.push({ backend: name, ok: false, reason: `not started: ${pick.backend} runs (cpu is the last resort)` });
  }
  if (!pick) throw noBackend(tried);
  // measuring left the last candidate active; the others stay registered for a device-loss fallback
  if (tf.getBackend() !== pick.backend) await tf.setBackend(pick.backend);
  for (const t of tried) if (t.backend === pick.backend) t.reason = 'selected';
  const timings = timingsOf(candidates);
  if (shape && cls && Object.keys(timings).length) {
    await cache.put({ userAgent, shapeClass: cls, op: opLabel(shape), candidates, measuredAt: new Date().toISOString() });
  }
  return { backend: pick.backend, tried, choice: { pick: 'fastest', why: pick.why, ...(shape && { op: opLabel(shape) }), timings, cached: false } };
}

/** Replaces the entry for the same backend, or appends. */
function upsert<T extends { backend: BackendName }>(list: T[], x: T): void {
  const i = list.findIndex((y) => y.backend === x.backend);
  if (i >= 0) list[i] = x;
  else list.push(x);
}

const timingsOf = (cs: Candidate[]): Partial<Record<BackendName, number>> => Object.fromEntries(cs.filter((c) => c.ms !== undefined).map((c) => [c.backend, c.ms]));

/** What a device loss reports: the browser's reason ('destroyed', 'context-lost', …) and message. */
export interface LossInfo {
  reason: string;
  message: string;
}

/** WebGPU devices whose `lost` promise has resolved (a device cannot be asked synchronously). */
const lostDevices = new WeakSet<object>();

const webgpuDevice = (): GPUDevice | undefined => (tf.getBackend() === 'webgpu' ? (tf.backend() as unknown as { device?: GPUDevice }).device : undefined);
/** tfjs-backend-webgl keeps its context at backend.gpgpu.gl; its canvas is where context loss is announced */
const webglContext = (): WebGLRenderingContext | undefined =>
  tf.getBackend() === 'webgl' ? (tf.backend() as unknown as { gpgpu?: { gl?: WebGLRenderingContext } }).gpgpu?.gl : undefined;

/**
 * Calls `onLost` once when the active GPU backend loses its device for any reason other than our
 * own unsubscribe: WebGPU's `device.lost`, or WebGL's `webglcontextlost` (a driver reset, a GPU
 * process crash, the page losing the context). tfjs subscribes to neither, so without this a lost
 * GPU only shows up as a hang (WebGL fences never pass) or as all-zero reads. wasm and cpu have no
 * device to lose. Returns an unsubscribe function that marks later losses as deliberate.
 */
export function watchDeviceLoss(onLost: (info: LossInfo) => void): () => void {
  let deliberate = false;
  const report = (info: LossInfo) => {
    if (deliberate) return;
    deliberate = true; // once per subscription: the canvas may announce it again on restore attempts
    onLost(info);
  };
  const device = webgpuDevice();
  if (device) {
    device.lost.then((info) => {
      lostDevices.add(device);
      report({ reason: info.reason ?? 'unknown', message: info.message });
    });
  }
  const gl = webglContext();
  const canvas = gl?.canvas as (HTMLCanvasElement | OffscreenCanvas) | undefined;
  const onContextLost = () => report({ reason: 'context-lost', message: 'the WebGL context was lost' });
  canvas?.addEventListener('webglcontextlost', onContextLost);
  // lost before we subscribed (during a rebuild): the event has already gone by
  if (gl?.isContextLost()) queueMicrotask(onContextLost);
  return () => {
    deliberate = true;
    canvas?.removeEventListener('webglcontextlost', onContextLost);
  };
}

/** Has the active backend's GPU gone (the event may still be on its way)? Always false on wasm and cpu. */
export function deviceLost(): boolean {
  const device = webgpuDevice();
  return (device !== undefined && lostDevices.has(device)) || webglContext()?.isContextLost() === true;
}

/**
 * Test hook and recovery drill: destroys the current WebGPU device (device.lost fires) or loses the
 * WebGL context through WEBGL_lose_context (webglcontextlost fires). False on other backends.
 */
export function loseDeviceForTesting(): boolean {
  const device = webgpuDevice();
  if (device) {
    device.destroy();
    return true;
  }
  const lose = webglContext()?.getExtension('WEBGL_lose_context');
  lose?.loseContext();
  return lose != null;
}
