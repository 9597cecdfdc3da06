/**
 * MLLM-MSR's default providers timed in headless Chromium (issue 20 §6), per tfjs backend, first
 * call and warm (median), each backend in a fresh browser context (its own tfjs and IndexedDB):
 *
 * - stage 2, one summary step: the kept state's 16 window chains stepped by a completed block and
 *   read with the newest partial block (summary/memory.ts), against the state from scratch over the
 *   whole 16-block window (what every call cost before the state was kept);
 * - stage 3, one re-ranked list: MsrReranker over the top `--depth` candidates;
 *   both on a model of the fixture's architecture sized like ML-1M (`--items` 3416, 512-wide vectors,
 *   random weights: the same work as trained ones);
 * - the fixture bundle (e2e/fixtures/msr-bundle, 10 items) through the Recommender: recommend() with
 *   the re-ranker and the kept state, and explainMany() of its list (leave-one-out).
 *
 * `npm run bench:msr-timing [-- --backends wasm,webgl,webgpu,cpu --warm 20 --slow-warm 5 --dry-run]`
 * WebGPU and WebGL run on SwiftShader (software) here, so those and cpu get `--slow-warm` runs.
 * → bench/results/msr-timing.json, rows "msr-timing".
 */
import os from 'node:os';
import { Command } from 'commander';
import { pageModule } from '../e2e/helpers.js';
import type { BackendName } from '../src/config.js';
import { loadModulePage, startBenchBrowser } from './browser-harness.js';
import { recordBench, type BenchRow } from './record.js';

type PageMod = typeof import('./pages/msr-timing.js');

const o = new Command()
  .option('--backends <list>', 'tfjs backends, in order', 'wasm,webgl,webgpu,cpu')
  .option('--items <n>', 'catalog size of the synthetic model', Number, 3416)
  .option('--dim <n>', 'item-vector width of the synthetic model', Number, 512)
  .option('--depth <n>', 'candidates per re-ranked list', Number, 50)
  .option('--warm <n>', 'warm runs on wasm', Number, 20)
  .option('--slow-warm <n>', 'warm runs on webgl / webgpu (SwiftShader) / cpu', Number, 5)
  .option('--dry-run', 'print the rows, record nothing (smoke runs)')
  .parse()
  .opts<{ backends: string; items: number; dim: number; depth: number; warm: number; slowWarm: number; dryRun?: boolean }>();

const PAGE = '/bench/pages/index.html';
const MODULE = '/bench/pages/msr-timing.ts';
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const date = new Date().toISOString().slice(0, 10);
const machine = `node ${os.cpus().length}-core ${Math.round(os.totalmem() / 2 ** 30)}GiB`;
const command = ['npm run bench:msr-timing', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');

const harness = await startBenchBrowser();
const { origin, browser, browserName } = harness;
const round = (x: number) => Math.round(x * 100) / 100;

try {
  const rows: BenchRow[] = [];
  for (const backend of o.backends.split(',').map((b) => b.trim()) as BackendName[]) {
    const warm = backend === 'wasm' ? o.warm : o.slowWarm;
    const context = await browser.newContext();
    try {
      const page = await context.newPage();
      page.on('console', (m) => (m.type() === 'error' ? log(`  [page error] ${m.text()}`) : undefined));
      await loadModulePage(page, `${origin}${PAGE}`, MODULE);
      const call = pageModule<PageMod>(page, MODULE);
      log(`${backend}: synthetic model (${o.items} items, ${o.dim}-wide), ${warm} warm runs`);
      const s = await call('synthetic', backend, { numItems: o.items, itemDim: o.dim, depth: o.depth, warm });
      log(`${backend}: fixture bundle`);
      const f = await call('fixture', backend, { warm });
      if (s.backend !== backend || f.backend !== backend) throw new Error(`asked for ${backend}, ran on ${s.backend} / ${f.backend}`);
      rows.push({
        benchmark: 'msr-timing',
        dataset: `synthetic ${o.items} items + e2e/fixtures/msr-bundle`,
        model: 'msr (hidden 64, blocks of 3, window 16)',
        backend,
        metrics: {
          summary_step_first_ms: round(s.step.first_ms),
          summary_step_warm_ms: round(s.step.warm_ms),
          summary_from_scratch_first_ms: round(s.scratch.first_ms),
          summary_from_scratch_warm_ms: round(s.scratch.warm_ms),
          rerank_list_first_ms: round(s.list.first_ms),
          rerank_list_warm_ms: round(s.list.warm_ms),
          rerank_candidates: s.candidates,
          fixture_recommend_first_ms: round(f.recommend.first_ms),
          fixture_recommend_warm_ms: round(f.recommend.warm_ms),
          fixture_explain_first_ms: round(f.explain.first_ms),
          fixture_explain_warm_ms: round(f.explain.warm_ms),
          warm_runs: warm,
          tensors_leaked: s.leaked,
        },
        command,
        date,
        machine,
        browser: browserName,
        notes: `${browserName} on ${backend}${backend === 'webgl' || backend === 'webgpu' ? ' (SwiftShader, software)' : ''}; first = the first call on a fresh page (kernel compile included), warm = median of ${warm}; summary step = 16 window chains stepped by one block + the read with a partial block; from scratch = the same state over the 16-block window; re-ranked list = MsrReranker.rerank with no kept state (its summary from scratch included) over ${s.candidates} candidates of ${o.items}; fixture = ${f.kind} first stage, ${f.history}-item history, top ${f.listed}, explainMany = leave-one-out over the history's distinct items; machine shared with other work`,
      });
    } finally {
      await context.close();
    }
  }
  const figures = (r: BenchRow) => {
    const m = r.metrics;
    return `${r.backend}: summary step ${m.summary_step_warm_ms} ms warm (first ${m.summary_step_first_ms}) vs from scratch ${m.summary_from_scratch_warm_ms} ms (first ${m.summary_from_scratch_first_ms}); re-ranked list of ${m.rerank_candidates} ${m.rerank_list_warm_ms} ms warm (first ${m.rerank_list_first_ms}); fixture recommend() ${m.fixture_recommend_warm_ms} ms warm (first ${m.fixture_recommend_first_ms}), explainMany ${m.fixture_explain_warm_ms} ms warm (first ${m.fixture_explain_first_ms})`;
  };
  if (o.dryRun) for (const r of rows) log(`[dry run, not recorded] ${figures(r)}`);
  else await recordBench('msr-timing', rows, figures);
} finally {
  await harness.close();
}
