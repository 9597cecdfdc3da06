/**
 * The page's side of worker.ts: a `TextLm` whose every call is a message to a module worker, so
 * loading the generator and running it never block the main thread. Stage 2
 * (GenerativeSummarizer) and stage 3 (YesNoReranker) take it exactly as they take the in-thread
 * LM in Node. Load progress (`onProgress`) comes back as messages, since a callback cannot cross.
 */
import type { TransformersLoadOptions } from '../encoders/hf.js';
import { MolarError } from '../errors.js';
import type { TextLm } from './gen-lm.js';
import type { LmReply, LmRequest } from './worker-protocol.js';

type Pending = { resolve(v: unknown): void; reject(e: unknown): void };
type Body<R> = R extends unknown ? Omit<R, 'id'> : never;

/** A new worker from our own module; `make` lets a test or a shop's bundler hand in its own. */
export const summaryWorker = (): Worker => new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' });

export async function createWorkerLm(model: string, o: TransformersLoadOptions = {}, make: () => Worker = summaryWorker): Promise<TextLm> {
  const { onProgress, ...options } = o;
  const worker = make();
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
  const call = <T>(req: Body<LmRequest>): Promise<T> => {
    if (dead) return Promise.reject(dead);
    const id = next++;
    return new Promise<T>((resolve, reject) => {
      pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ ...req, id } as LmRequest);
    });
  };

  let name: string;
  try {
    name = await call<string>({ op: 'load', model, options, progress: !!onProgress });
  } catch (e) {
    // nothing will use a worker whose model did not load
    worker.terminate();
    throw e;
  }
  return {
    name,
    generate: (prompt, maxNewTokens) => call({ op: 'generate', prompt, maxNewTokens }),
    yesNo: (prompts, words) => call({ op: 'yesNo', prompts, ...(words ? { words } : {}) }),
    dispose() {
      if (dead) return;
      // terminating frees the worker's sessions and memory with it; calls in flight reject
      worker.terminate();
      failAll(new MolarError('DISPOSED', `${name} was disposed`));
    },
  };
}
