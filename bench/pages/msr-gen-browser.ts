/**
 * Served by Vite to bench/msr-gen-browser.ts: MLLM-MSR's generative providers timed in the page on
 * one onnxruntime-web device, first call and warm (median): the LM and the captioner each in the
 * product's module worker (summary/worker.ts), and the whole path through Recommender.load with
 * config.summary generative on the small use-lite bundle (e2e/fixtures/coldstart-bundle).
 */
import type { GenItem } from '../../src/summary/gen-prompts.js';
import { rerankPrompt } from '../../src/summary/gen-prompts.js';
import { GenerativeSummarizer } from '../../src/summary/gen-summary.js';
import { Recommender } from '../../src/recommender/index.js';
import { time, type Timing } from './timing.js';
import { createWorkerCaptioner, createWorkerLm } from '../../src/summary/worker-client.js';
import type { DecodedImage } from '../../src/encoders/types.js';

const GEN = '/e2e/fixtures/tiny-gen/';

export type { Timing };

const since = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

interface Expected {
  summary_steps: { block: GenItem[]; previous: string }[];
  rerank: { summary: string };
  images: { width: number; height: number; rgba_base64: string }[];
}

/** The fixture LM in a worker: load, one summary step (block of 3, 16 tokens), one list of 20 P(yes); the captioner: load, one caption. */
export async function providers(device: 'wasm' | 'webgpu', warm: number) {
  const e = (await (await fetch(`${GEN}expected.json`)).json()) as Expected;
  let lm!: Awaited<ReturnType<typeof createWorkerLm>>;
  const lmLoad = await since(async () => (lm = await createWorkerLm('tiny-gpt2', { localModelPath: GEN, device })));
  const gen = new GenerativeSummarizer(lm, { maxNewTokens: 16 });
  const s = e.summary_steps[1];
  const step = await time(() => gen.step(s.previous, s.block), warm);
  const titles = ['Jasmine green tea', 'Dog socks', 'Blue teapot', 'Red kettle', 'Star stickers'];
  const prompts = Array.from({ length: 20 }, (_, i) => rerankPrompt(e.rerank.summary, { title: `${titles[i % titles.length]} ${i}` }));
  const list = await time(() => lm.yesNo(prompts), warm);
  lm.dispose();
  let cap!: Awaited<ReturnType<typeof createWorkerCaptioner>>;
  const capLoad = await since(async () => (cap = await createWorkerCaptioner('tiny-captioner', { localModelPath: GEN, device, maxNewTokens: 10 })));
  const img: DecodedImage = { width: e.images[0].width, height: e.images[0].height, data: Uint8ClampedArray.from(atob(e.images[0].rgba_base64), (c) => c.charCodeAt(0)) };
  const caption = await time(() => cap.summarize([img]), warm);
  cap.dispose();
  return { lmLoad, step, list, capLoad, caption };
}

/** Through the front door: load with the generative stages (and, from the same start, until its LM is ready), one summary step per completed block, recommend() re-ranking its top 10 by P(yes). */
export async function recommender(device: 'wasm' | 'webgpu', warm: number) {
  const views = ['tea-green', 'tea-black', 'tea-oolong', 'mug-white', 'mug-blue', 'pot-glass'];
  let rec!: Recommender;
  const t0 = performance.now();
  const load = await since(async () => {
    rec = await Recommender.load({
      bundleUrl: '/bundles/coldstart/',
      backend: 'wasm',
      namespace: `msr-gen-bench-${device}`,
      config: { score: { rerankDepth: 10 }, summary: { summarizer: 'generative', reranker: 'generative', generator: { model: 'tiny-gpt2', localModelPath: GEN, device, maxNewTokens: 16, n: 10 } } },
    });
  });
  // the LM loads in the background: load resolves first, the generator after
  if ((await rec.generatorReady) !== 'ready') throw new Error('the generative LM did not load');
  const ready = performance.now() - t0;
  await rec.clearHistory();
  for (const itemId of views.slice(0, 2)) await rec.record({ itemId });
  // each timed call completes one block (3 views): one generation from the kept summary
  let v = 0;
  const block = await time(async () => {
    for (let i = 0; i < 3; i++) await rec.record({ itemId: views[v++ % views.length] });
    await rec.preferenceSummary();
  }, warm);
  const list = await time(() => rec.recommend({ k: 5 }), warm);
  rec.dispose();
  return { load, ready, block, list };
}
