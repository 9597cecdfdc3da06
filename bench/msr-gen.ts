/**
 * `npx tsx bench/msr-gen.ts`: the generative MLLM-MSR providers' own cost in Node (onnxruntime-node,
 * cpu) on the fixture models of e2e/fixtures/tiny-gen: load, one summary step (a block of 3, greedy
 * 16 tokens), one re-ranked list (20 candidates' P(yes)), one caption; first call and warm (median
 * of --repeats). The models are tiny (2 layers of 32), so this measures the transformers.js path
 * (tokenizer, sessions, cache handling), not what a production LM costs.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { loadCaptioner } from '../src/summary/gen-caption.js';
import { loadCausalLm } from '../src/summary/gen-lm.js';
import { rerankPrompt, type GenItem } from '../src/summary/gen-prompts.js';
import { GenerativeSummarizer } from '../src/summary/gen-summary.js';
import type { DecodedImage } from '../src/encoders/types.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench } from './record.js';

const o = new Command()
  .option('--repeats <n>', 'warm calls timed per measure', '5')
  .option('--no-save', 'print only, do not write bench/results/msr-gen.json')
  .parse()
  .opts<{ repeats: string; save: boolean }>();

const DIR = fileURLToPath(new URL('../e2e/fixtures/tiny-gen/', import.meta.url));
const expected = JSON.parse(readFileSync(DIR + 'expected.json', 'utf8')) as {
  summary_steps: { block: GenItem[]; previous: string }[];
  rerank: { summary: string };
  images: { width: number; height: number; rgba_base64: string }[];
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = async (f: () => Promise<unknown>) => {
  const t0 = performance.now();
  await f();
  return performance.now() - t0;
};
async function firstAndWarm(f: () => Promise<unknown>) {
  const first = await ms(f);
  const warm: number[] = [];
  for (let i = 0; i < Number(o.repeats); i++) warm.push(await ms(f));
  return [+first.toFixed(1), +median(warm).toFixed(1)];
}

const opts = { localModelPath: DIR };
let lm!: Awaited<ReturnType<typeof loadCausalLm>>;
const lmLoad = await ms(async () => (lm = await loadCausalLm('tiny-gpt2', opts)));
const gen = new GenerativeSummarizer(lm, { maxNewTokens: 16 });
const step = expected.summary_steps[1];
const [stepFirst, stepWarm] = await firstAndWarm(() => gen.step(step.previous, step.block));
const titles = ['Jasmine green tea', 'Dog socks', 'Blue teapot', 'Red kettle', 'Star stickers'];
const prompts = Array.from({ length: 20 }, (_, i) => rerankPrompt(expected.rerank.summary, { title: `${titles[i % titles.length]} ${i}` }));
const [listFirst, listWarm] = await firstAndWarm(() => lm.yesNo(prompts));
lm.dispose();

const img: DecodedImage = { width: expected.images[0].width, height: expected.images[0].height, data: new Uint8Array(Buffer.from(expected.images[0].rgba_base64, 'base64')) };
let cap!: Awaited<ReturnType<typeof loadCaptioner>>;
const capLoad = await ms(async () => (cap = await loadCaptioner('tiny-captioner', async (x) => x as DecodedImage, { ...opts, maxNewTokens: 10 })));
const [capFirst, capWarm] = await firstAndWarm(() => cap.summarize([img]));
cap.dispose();

const metrics = {
  lmLoadMs: +lmLoad.toFixed(1), summaryStepFirstMs: stepFirst, summaryStepWarmMs: stepWarm,
  rerank20FirstMs: listFirst, rerank20WarmMs: listWarm,
  captionerLoadMs: +capLoad.toFixed(1), captionFirstMs: capFirst, captionWarmMs: capWarm,
};
console.log(JSON.stringify(metrics));
if (o.save) {
  await recordBench('msr-gen', [{
    benchmark: 'msr-gen', dataset: 'fixture prompts (e2e/fixtures/tiny-gen)', model: 'tiny-gpt2 + tiny-captioner (transformers.js, onnxruntime-node cpu)', metrics,
    command: `npx tsx bench/msr-gen.ts --repeats ${o.repeats}`, date: BENCH_DATE, machine: BENCH_MACHINE,
  }], (r) => `summary step (block of 3, 16 tokens) first ${r.metrics.summaryStepFirstMs} ms, warm ${r.metrics.summaryStepWarmMs} ms; P(yes) of 20 candidates first ${r.metrics.rerank20FirstMs} ms, warm ${r.metrics.rerank20WarmMs} ms; caption first ${r.metrics.captionFirstMs} ms, warm ${r.metrics.captionWarmMs} ms; loads ${r.metrics.lmLoadMs} / ${r.metrics.captionerLoadMs} ms (fixture models: the transformers.js path, not a production LM)`);
}
