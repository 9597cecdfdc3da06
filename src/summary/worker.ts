/**
 * Module worker that holds MLLM-MSR's generative LM (gen-lm.ts) off the main thread: loading,
 * greedy summary steps and yes/no scoring all run here, one request at a time in arrival order
 * (the LM is not re-entrant). Disposing is terminating it (worker-client.ts). Started by worker-client.ts as
 * `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`, which Vite bundles.
 */
import { MolarError } from '../errors.js';
import { loadCausalLm, type TextLm } from './gen-lm.js';
import type { LmReply, LmRequest, WireError } from './worker-protocol.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<LmRequest>) => void) | null;
  postMessage(m: LmReply): void;
}
const scope = globalThis as unknown as WorkerScope;

let lm: TextLm | null = null;
let queue: Promise<unknown> = Promise.resolve();

function wire(e: unknown): WireError {
  if (e instanceof MolarError) return { code: e.code, message: e.message, file: e.file, line: e.line, field: e.field };
  return { code: 'ERROR', message: e instanceof Error ? e.message : String(e) };
}

function loaded(): TextLm {
  if (!lm) throw new MolarError('DISPOSED', 'the summary worker has no model loaded');
  return lm;
}

async function handle(r: LmRequest): Promise<unknown> {
  switch (r.op) {
    case 'load':
      lm?.dispose();
      lm = await loadCausalLm(r.model, { ...r.options, ...(r.progress ? { onProgress: (progress) => scope.postMessage({ id: r.id, progress }) } : {}) });
      return lm.name;
    case 'generate':
      return loaded().generate(r.prompt, r.maxNewTokens);
    case 'yesNo':
      return loaded().yesNo(r.prompts, r.words);
  }
}

scope.onmessage = (e) => {
  const r = e.data;
  queue = queue.then(async () => {
    try {
      scope.postMessage({ id: r.id, ok: true, value: await handle(r) });
    } catch (err) {
      scope.postMessage({ id: r.id, ok: false, error: wire(err) });
    }
  });
};
