/**
 * `npm run bench:msr-gen-browser -- [--devices wasm,webgpu --warm 5 --dry-run]`: MLLM-MSR's
 * generative providers timed in headless Chromium per onnxruntime-web device (issue 20 §6), first
 * call and warm (median of --warm), each device in a fresh browser context:
 *
 * - the fixture LM (e2e/fixtures/tiny-gen/tiny-gpt2) in the product's module worker: load, one
 *   summary step (a block of 3, 16 greedy tokens), one re-ranked list (20 candidates' P(yes));
 * - the fixture captioner in its worker: load, one caption (10 tokens);
 * - through Recommender.load with config.summary generative on e2e/fixtures/coldstart-bundle:
 *   load (which does not wait for the LM), the LM ready (generatorReady), one completed block (3 record() + the summary step from the kept text, written to
 *   IndexedDB), and recommend({ k: 5 }) re-ranking the first stage's top 10 by P(yes).
 *
 * WebGPU here is SwiftShader (software, Chromium's --enable-unsafe-webgpu): its figures say what the
 * path costs without a GPU, not what a GPU gives. The models are tiny (2 layers of 32), so this
 * measures the transformers.js path (tokenizer, worker messages, sessions, cache handling), not a
 * production LM. → bench/results/msr-gen-browser.json, rows "msr-gen-browser".
 */
import os from 'node:os';
import { Command } from 'commander';
import { pageModule } from '../e2e/helpers.js';
import { loadModulePage, startBenchBrowser } from './browser-harness.js';
import { recordBench, type BenchRow } from './record.js';

type PageMod = typeof import('./pages/msr-gen-browser.js');

const o = new Command()
  .option('--devices <list>', 'onnxruntime-web devices, in order', 'wasm,webgpu')
  .option('--warm <n>', 'warm calls timed per measure', Number, 5)
  .option('--dry-run', 'print the rows, record nothing (smoke runs)')
  .option('--name <name>', 'results file name', 'msr-gen-browser')
  .parse()
  .opts<{ devices: string; warm: number; dryRun?: boolean; name: string }>();

const PAGE = '/bench/pages/index.html';
const MODULE = '/bench/pages/msr-gen-browser.ts';
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const date = new Date().toISOString().slice(0, 10);
const machine = `node ${os.cpus().length}-core ${Math.round(os.totalmem() / 2 ** 30)}GiB`;
const command = ['npm run bench:msr-gen-browser', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
const round = (x: number) => Math.round(x * 10) / 10;

const harness = await startBenchBrowser();
const { origin, browser, browserName } = harness;
try {
  const rows: BenchRow[] = [];
  for (const device of o.devices.split(',').map((d) => d.trim()) as ('wasm' | 'webgpu')[]) {
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.on('console', (m) => (m.type() === 'error' ? log(`  [page error] ${m.text()}`) : undefined));
      await loadModulePage(page, `${origin}${PAGE}`, MODULE);
      const call = pageModule<PageMod>(page, MODULE);
      log(`${device}: providers in workers, ${o.warm} warm calls`);
      const p = await call('providers', device, o.warm);
      log(`${device}: through Recommender.load`);
      const r = await call('recommender', device, o.warm);
      rows.push({
        benchmark: 'msr-gen-browser',
        dataset: 'fixture prompts (e2e/fixtures/tiny-gen) + e2e/fixtures/coldstart-bundle',
        model: 'tiny-gpt2 + tiny-captioner (transformers.js, onnxruntime-web in module workers)',
        backend: device,
        metrics: {
          lm_load_ms: round(p.lmLoad),
          summary_step_first_ms: round(p.step.first_ms),
          summary_step_warm_ms: round(p.step.warm_ms),
          rerank20_first_ms: round(p.list.first_ms),
          rerank20_warm_ms: round(p.list.warm_ms),
          captioner_load_ms: round(p.capLoad),
          caption_first_ms: round(p.caption.first_ms),
          caption_warm_ms: round(p.caption.warm_ms),
          rec_load_ms: round(r.load),
          rec_generator_ready_ms: round(r.ready),
          rec_block_first_ms: round(r.block.first_ms),
          rec_block_warm_ms: round(r.block.warm_ms),
          rec_recommend_first_ms: round(r.list.first_ms),
          rec_recommend_warm_ms: round(r.list.warm_ms),
          warm_runs: o.warm,
        },
        command,
        date,
        machine,
        browser: browserName,
        notes: `${browserName}, onnxruntime-web ${device}${device === 'webgpu' ? ' (SwiftShader, software: no GPU on this machine)' : ''}; first = the first call after load (session warm-up included), warm = median of ${o.warm}; rec_load = until Recommender.load resolved (the LM loads in the background), rec_generator_ready = from the same start until generatorReady; rec_block = 3 record() + one summary step from the kept summary; rec_recommend = first stage (cooccurrence, tfjs wasm) + P(yes) of its top 10; fixture models (2 layers of 32): the transformers.js path, not a production LM; machine shared with other work`,
      });
    } finally {
      await context.close();
    }
  }
  const figures = (r: BenchRow) => {
    const m = r.metrics;
    return `${r.backend}: summary step ${m.summary_step_warm_ms} ms warm (first ${m.summary_step_first_ms}); P(yes) of 20 ${m.rerank20_warm_ms} ms warm (first ${m.rerank20_first_ms}); caption ${m.caption_warm_ms} ms warm (first ${m.caption_first_ms}); loads LM ${m.lm_load_ms} / captioner ${m.captioner_load_ms} ms; Recommender: load ${m.rec_load_ms} ms (generator ready at ${m.rec_generator_ready_ms}), one block ${m.rec_block_warm_ms} ms warm (first ${m.rec_block_first_ms}), recommend() ${m.rec_recommend_warm_ms} ms warm (first ${m.rec_recommend_first_ms})${r.backend === 'webgpu' ? ' (SwiftShader)' : ''}`;
  };
  if (o.dryRun) for (const r of rows) log(`[dry run, not recorded] ${figures(r)}`);
  else await recordBench(o.name, rows, figures);
} finally {
  await harness.close();
}
