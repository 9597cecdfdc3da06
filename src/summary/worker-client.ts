/**
 * The page's side of worker.ts: a `TextLm` (createWorkerLm) or an `ImageSummaryProvider`
 * (createWorkerCaptioner) whose every call is a message to a module worker, so loading the
 * generative models and running them never block the main thread. Stage 2
 * (GenerativeSummarizer) and stage 3 (YesNoReranker) take the LM exactly as they take the
 * in-thread LM in Node. Load progress (`onProgress`) comes back as messages, since a callback cannot cross.
 */
import type { TransformersLoadOptions } from '../encoders/hf.js';
import { MolarError } from '../errors.js';
import { browserImageDecoder, type ImageDecoder } from '../encoders/image-decode.js';
import { captionEach } from './caption-each.js';
import type { ImageSummaryProvider } from './gen-caption.js';
import { lmName, type TextLm } from './gen-lm.js';
import type { LmReply, LmRequest } from './worker-protocol.js';

type Pending = { resolve(v: unknown): void; reject(e: unknown): void };
type Body<R> = R extends unknown ? Omit<R, 'id'> : never;

/** A new worker from our own module; `make` lets a test or a shop's bundler hand in its own. */
export const summaryWorker = (): Worker => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });

/** One worker's calls as promises; `kill` terminates it and rejects what is in flight. */
function connect(worker: Worker, onProgress: TransformersLoadOptions['onProgress']) {
  const pending = new Map<number, Pending>();
  let next = 0;
  let dead: MolarError | null = null;
  const failAll = (e: MolarError) => {
    dead = e;
    pending.forEach((p) => p.reject(e));
    pending.clear();
  };
  worker.onmessage = (e: MessageEvent<LmReply>) => {
    const r = e.data;
    if ('progress' in r) return onProgress?.(r.progress);
    const p = pending.get(r.id);
    if (!p) return;
    pending.delete(r.id);
    if (r.ok) return p.resolve(r.value);
    const err = new MolarError(r.error.code === 'ERROR' ? 'IO' : r.error.code, r.error.message);
    // the message already names file and field (the worker's MolarError put them there); keep them as fields too
    Object.assign(err, { file: r.error.file, line: r.error.line, field: r.error.field });
    p.reject(err);
  };
  worker.onerror = (e: ErrorEvent) => failAll(new MolarError('IO', `the summary worker failed: ${e.message ?? 'it could not start'}`));
  const call = <T>(req: Body<LmRequest>, transfer: Transferable[] = []): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id } as LmRequest, transfer);
    });
  };
  const kill = (name: string) => {
    if (dead) return;
    // terminating frees the worker's sessions and memory with it; calls in flight reject
    worker.terminate();
    failAll(new MolarError('DISPOSED', `${name} was disposed`));
  };
  return { call, kill };
}

/** Sends the load request; a worker whose model did not load is terminated (nothing will use it). */
async function loadIn(worker: Worker, call: ReturnType<typeof connect>['call'], req: Body<LmRequest>): Promise<string> {
  try {
    return await call<string>(req);
  } catch (e) {
    worker.terminate();
    throw e;
  }
}

/**
 * The LM in a module worker, loaded. `signal` aborts the load: the worker is terminated at once
 * (a Recommender disposed while its LM still downloads must not keep the worker) and this rejects
 * with DISPOSED.
 */
export async function createWorkerLm(model: string, o: TransformersLoadOptions & { signal?: AbortSignal } = {}, make: () => Worker = summaryWorker): Promise<TextLm> {
  const { onProgress, signal, ...options } = o;
  if (signal?.aborted) throw new MolarError('DISPOSED', `${lmName(model)} was disposed before it loaded`);
  const worker = make();
  const { call, kill } = connect(worker, onProgress);
  const abort = () => kill(lmName(model));
  signal?.addEventListener('abort', abort, { once: true });
  const name = await loadIn(worker, call, { op: 'load', model, options, progress: !!onProgress }).finally(() => signal?.removeEventListener('abort', abort));
  return {
    name,
    generate: (prompt, maxNewTokens) => call({ op: 'generate', prompt, maxNewTokens }),
    yesNo: (prompts, words) => call({ op: 'yesNo', prompts, ...(words ? { words } : {}) }),
    dispose: () => kill(name),
  };
}

/**
 * Stage 1's captioner (gen-caption.ts) in a module worker: each image is fetched and decoded here
 * (`decode`, the page's; a URL is fetched as it is given, so the caller decides which URLs may be),
 * and its pixels go to the worker, which runs the model.
 */
export async function createWorkerCaptioner(model: string, o: TransformersLoadOptions & { maxNewTokens?: number } = {}, decode: ImageDecoder = browserImageDecoder, make: () => Worker = summaryWorker): Promise<ImageSummaryProvider> {
  const { onProgress, ...options } = o;
  const worker = make();
  const { call, kill } = connect(worker, onProgress);
  const name = await loadIn(worker, call, { op: 'loadCaptioner', model, options, progress: !!onProgress });
  return {
    name,
    async summarize(images, opts = {}) {
      return captionEach(images, decode, (d) => {
        const data = new Uint8ClampedArray(d.data);
        return call<string>({ op: 'caption', image: { width: d.width, height: d.height, data } }, [data.buffer]);
      }, opts.onWarning);
    },
    dispose: () => kill(name),
  };
}
