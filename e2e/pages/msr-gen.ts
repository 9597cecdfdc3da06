/**
 * Served by Vite to msr-gen.spec.ts: MLLM-MSR's generative providers in the page. The LM runs in
 * the module worker (summary/worker.ts through worker-client.ts) while the main thread counts its
 * own timer ticks, to show it never blocked; the captioner runs in the page. Plain data goes back,
 * compared there with the torch reference that gen.test.ts checks in Node.
 */
import type { ItemRecord } from '../../src/bundle/manifest.js';
import { browserImageDecoder } from '../../src/encoders/image-decode.js';
import type { DecodedImage } from '../../src/encoders/types.js';
import { loadCaptioner } from '../../src/summary/gen-caption.js';
import type { GenItem } from '../../src/summary/gen-prompts.js';
import { YesNoReranker } from '../../src/summary/gen-rerank.js';
import { GenerativeSummarizer } from '../../src/summary/gen-summary.js';
import { createWorkerLm } from '../../src/summary/worker-client.js';

const BASE = '/e2e/fixtures/tiny-gen/';

interface Expected {
  max_new_tokens: { summary: number; caption: number };
  summary_steps: { block: GenItem[] }[];
  rerank: { summary: string; items: { candidate: GenItem }[] };
  images: { width: number; height: number; rgba_base64: string }[];
}

const pixels = (b64: string) => Uint8ClampedArray.from(atob(b64), (c) => c.charCodeAt(0));

/** The worker's own count of WebGPU submissions (msr-gen-worker.ts answers this outside the protocol). */
function gpuSubmits(w: Worker): Promise<number> {
  return new Promise((resolve) => {
    const on = (e: MessageEvent) => {
      if (typeof e.data?.gpuSubmits !== 'number') return;
      w.removeEventListener('message', on);
      resolve(e.data.gpuSubmits);
    };
    w.addEventListener('message', on);
    w.postMessage({ op: 'gpuSubmits' });
  });
}

export async function run(device: 'wasm' | 'webgpu', o: { captions?: boolean } = {}) {
  const expected = (await (await fetch(`${BASE}expected.json`)).json()) as Expected;
  // main-thread liveness: the longest gap between 10 ms timer ticks while the worker works
  let last = performance.now();
  let longestGap = 0;
  const tick = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 10);

  let worker: Worker | undefined;
  const make = () => (worker = new Worker(new URL('./msr-gen-worker.ts', import.meta.url), { type: 'module' }));
  const progress: string[] = [];
  const onProgress = (e: { status: string; file?: string }) => progress.push(e.status === 'load' ? `load ${e.file}` : e.status);
  const lm = await createWorkerLm('tiny-gpt2', { localModelPath: BASE, device, onProgress }, make);
  const gen = new GenerativeSummarizer(lm, { maxNewTokens: expected.max_new_tokens.summary });
  const summaries: string[] = [];
  await gen.advance({ summary: '', blocks: 0 }, expected.summary_steps.flatMap((s) => s.block), (s) => summaries.push(s.summary));

  const cands = expected.rerank.items.map((r) => r.candidate);
  const items: ItemRecord[] = cands.map((c, i) => ({ id: `i${i}`, title: c.title }));
  const rr = new YesNoReranker(lm, { summary: () => expected.rerank.summary, imageSummary: (id) => cands[id - 1]?.image });
  const ranked = await rr.rerank(cands.map((_, i) => ({ id: i + 1, score: -i })), { history: new Int32Array([1]), items, k: cands.length });
  clearInterval(tick);
  const submits = await gpuSubmits(worker!);
  lm.dispose();
  let afterDispose = '';
  await lm.generate('x', 1).catch((e: { code?: string }) => (afterDispose = e.code ?? 'no code'));

  // what the main thread itself fetched: neither onnxruntime nor the LM's weights (the worker did)
  const mainFetched = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname);

  if (o.captions === false) return { name: lm.name, summaries, ranked, longestGap, afterDispose, mainFetched, mainFetchedLater: [], captions: [], submits, progress };
  const cap = await loadCaptioner('tiny-captioner', browserImageDecoder, { localModelPath: BASE, device, maxNewTokens: expected.max_new_tokens.caption });
  const images: DecodedImage[] = expected.images.map((i) => ({ width: i.width, height: i.height, data: pixels(i.rgba_base64) }));
  const captions = await cap.summarize(images);
  cap.dispose();
  // the control: a model loaded in the page does show in the page's timeline
  const mainFetchedLater = performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname);

  return { name: lm.name, summaries, ranked, longestGap, afterDispose, mainFetched, mainFetchedLater, captions, submits, progress };
}

/** A worker asked for a model that is not there: the error crosses back as a MolarError. */
export async function missing() {
  try {
    await createWorkerLm('no-such-model', { localModelPath: BASE, device: 'wasm' });
    return null;
  } catch (e) {
    const m = e as { name: string; code?: string; file?: string; message: string };
    return { name: m.name, code: m.code, file: m.file, message: m.message };
  }
}
