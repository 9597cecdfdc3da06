/**
 * Module worker that holds MLLM-MSR's generative LM (gen-lm.ts) or captioner (gen-caption.ts) off
 * the main thread: loading, greedy summary steps, yes/no scoring and captions all run here, one
 * request at a time in arrival order (the models are not re-entrant). Disposing is terminating it (worker-client.ts). Started by worker-client.ts as
 * `new Worker(new URL('./worker.ts', import.meta.url), { type: 'module' })`, which Vite bundles.
 */
import { MolarError } from '../errors.js';
import type { DecodedImage } from '../encoders/types.js';
import { loadCaptioner, type ImageSummaryProvider } from './gen-caption.js';
import { loadCausalLm, type TextLm } from './gen-lm.js';
import type { LmReply, LmRequest, WireError } from './worker-protocol.js';

interface WorkerScope {
  onmessage: ((e: MessageEvent<LmRequest>) => void) | null;
  postMessage(m: LmReply): void;
}
const scope = globalThis as unknown as WorkerScope;

let lm: TextLm | null = null;
let captioner: ImageSummaryProvider | null = null;
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
    case 'loadCaptioner':
      captioner?.dispose();
      // the page decoded the image (it may fetch it; a worker has no DOM to decode with everywhere)
      captioner = await loadCaptioner(r.model, async (x) => x as DecodedImage, { ...r.options, ...(r.progress ? { onProgress: (progress) => scope.postMessage({ id: r.id, progress }) } : {}) });
      return captioner.name;
    case 'caption': {
      if (!captioner) throw new MolarError('DISPOSED', 'the summary worker has no captioner loaded');
      const warnings: string[] = [];
      const [text] = await captioner.summarize([r.image], { onWarning: (_, reason) => warnings.push(reason) });
      if (warnings.length) throw new MolarError('BAD_INPUT', `the image could not be captioned: ${warnings[0]}`, { field: 'image' });
      return text;
    }
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
