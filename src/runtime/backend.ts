// tfjs-core, not the @tensorflow/tfjs umbrella: the umbrella registers cpu and webgl (and pulls in
// layers, converter, data) on import, which a storefront would download before its first card.
// Each backend package is imported by prepare() only when the walk reaches it.
import * as tf from '@tensorflow/tfjs-core';
import { BACKEND_NAMES, DEFAULT_CONFIG, type BackendChoice, type BackendName, type RuntimeConfig } from '../config.js';
import { MolarError } from '../errors.js';

/** Which backend won, and why each one before it did not. */
export interface BackendReport {
  backend: BackendName;
  /** one entry per backend tried or skipped, in order */
  tried: { backend: BackendName; ok: boolean; reason: string; missingFile?: string }[];
}

/** every backend the runtime knows, in its default order (config.ts holds the list once) */
export const BACKENDS: readonly BackendName[] = BACKEND_NAMES;

const isBrowser = typeof window !== 'undefined' && typeof document !== 'undefined';

/**
 * Registers a backend's factory (lazily importing the package, so pages that never reach wasm or
 * webgpu don't pay for them) and returns why it cannot be used, or null when it can be tried.
 */
async function prepare(name: BackendName, cfg: RuntimeConfig): Promise<string | null> {
  switch (name) {
    case 'webgpu': {
      const gpu = (globalThis.navigator as Navigator | undefined)?.gpu;
      if (!gpu) return 'navigator.gpu is missing (browser without WebGPU, or flag off)';
      // tfjs-backend-webgpu turns a null adapter into a cryptic TypeError (tfjs #8065): probe first.
      const adapter = await gpu.requestAdapter().catch(() => null);
      if (!adapter) return 'requestAdapter() returned no adapter';
      await import('@tensorflow/tfjs-backend-webgpu');
      return null;
    }
    case 'webgl':
      if (!isBrowser) return 'WebGL exists only in a browser';
      await import('@tensorflow/tfjs-backend-webgl');
      return null;
    case 'wasm': {
      const wasm = await import('@tensorflow/tfjs-backend-wasm');
      // Never let tfjs fetch its .wasm from a CDN: in the browser it comes from our own origin.
      if (isBrowser) wasm.setWasmPaths(new URL(cfg.tfjsWasmPath, location.href).href);
      return null;
    }
    case 'cpu':
      await import('@tensorflow/tfjs-backend-cpu');
      return null;
  }
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
 * Picks the compute backend. `auto` walks cfg.fallbackOrder (webgpu → webgl → wasm → cpu) and keeps
 * the first that initialises and passes a smoke test; a named backend is tried alone and its failure
 * is an error. `skip` lists backends already known to be broken (after a device loss).
 */
export function selectBackend(
  choice: BackendChoice = 'auto',
  cfg: RuntimeConfig = DEFAULT_CONFIG.runtime,
  skip: BackendName[] = [],
): Promise<BackendReport> {
  // tfjs has one global active backend: two selections interleaving would leave either one wrong.
  const run = queue.then(() => selectNow(choice, cfg, skip));
  queue = run.catch(() => undefined);
  return run;
}

let queue: Promise<unknown> = Promise.resolve();

async function selectNow(choice: BackendChoice, cfg: RuntimeConfig, skip: BackendName[]): Promise<BackendReport> {
  if (choice !== 'auto' && !BACKENDS.includes(choice)) {
    throw new MolarError('BAD_CONFIG', `unknown backend "${choice}"; expected one of auto, ${BACKENDS.join(', ')}`, { field: 'backend' });
  }
  const order = choice === 'auto' ? cfg.fallbackOrder.filter((b) => !skip.includes(b)) : [choice];
  const tried: BackendReport['tried'] = [];
  for (const name of order) {
    let reason = await prepare(name, cfg).catch((e: Error) => `could not load: ${e.message}`);
    let missingFile: string | undefined;
    if (reason === null) {
      const ok = await tf.setBackend(name).catch((e: Error) => (reason = `init threw: ${e.message}`, false));
      if (!ok) ({ reason, missingFile } = await initFailure(name, cfg, reason ?? 'setBackend() resolved false (init failed)'));
      if (ok) {
        await tf.ready();
        reason = await smokeTest();
      }
    }
    tried.push({ backend: name, ok: reason === null, reason: reason ?? 'selected', ...(missingFile && { missingFile }) });
    if (reason === null) return { backend: name, tried };
  }
  throw new MolarError('BACKEND_UNAVAILABLE', `no compute backend could start: ${tried.map((t) => `${t.backend}: ${t.reason}`).join('; ')}`);
}

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
