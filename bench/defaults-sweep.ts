/**
 * `npm run bench:defaults-sweep`: the measurements behind SASRec's data-adaptive defaults
 * (models/sasrec/adaptive.ts). On slices of the shared data (bench/slices.ts) it trains SASRec with
 * the 30-minute ML-1M recipe (full softmax, lr 0.006 with
 * warm-up, cosine over the time budget) at each dropout × batch size of a small grid, picks the best
 * on validation NDCG@10 (`--with-defaults` adds a run on the fixed library defaults), and reports every run's validation AND test figures, so the choice can be
 * read off validation and checked on test. Seen items are removed (molar build's protocol).
 */
import { loadavg } from 'node:os';
import { Command } from 'commander';
import { buildSequences } from '../src/data/sequences.js';
import { leaveOneOut } from '../src/data/split.js';
import { evaluate } from '../src/eval/evaluate.js';
import type { SasrecConfig } from '../src/models/sasrec/config.js';
import { SasrecModel } from '../src/models/sasrec/model.js';
import { sequentialScorer } from '../src/score/scorer.js';
import { useNodeBackend } from '../src/train/backend-node.js';
import { defaultMaxLen, defaultWorkers } from '../src/train/build-step.js';
import { trainSasrec } from '../src/train/sasrec.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';
import { cutSlice, sliceByName } from './slices.js';

const opts = new Command()
  .option('--slices <list>', 'slice names (bench/slices.ts)', 'ml-1m-300u,ml-1m-600u,ml-1m-1500u,amazon-scientific-1000u')
  .option('--dropouts <list>', 'dropout grid', '0.1,0.5')
  .option('--batches <list>', 'batch-size grid', '32,64')
  .option('--minutes <m>', 'training budget per run', '2')
  .option('--with-defaults', 'also train with the fixed library defaults (SASREC_DEFAULTS)')
  .option('--seed <n>', 'training seed', '42')
  .option('--slice-seed <n>', 'seed of the user sample', '7')
  .option('--name <name>', 'results file name', 'defaults-sweep')
  .parse()
  .opts();

const backend = await useNodeBackend('wasm');
const rows: BenchRow[] = [];
const command = `npm run bench:defaults-sweep -- ${process.argv.slice(2).join(' ')}`.trim();
for (const name of String(opts.slices).split(',')) {
  const slice = await cutSlice(sliceByName(name), Number(opts.sliceSeed));
  const dataset = buildSequences(slice.interactions, slice.catalog, { name });
  const split = leaveOneOut(dataset.sequences);
  const maxLen = defaultMaxLen(split.train, dataset.numItems);
  const recipe = (dropout: number, batchSize: number): Partial<SasrecConfig> => ({
    loss: 'ce', learningRate: 0.006, warmupSteps: 100, lrSchedule: 'cosine-time', patience: 100, positions: 'from-oldest', maxLen, dropout, batchSize, seed: Number(opts.seed),
  });
  const grid: [string, Partial<SasrecConfig>][] = opts.withDefaults ? [['sasrec-defaults', { maxLen, seed: Number(opts.seed) }]] : [];
  for (const d of String(opts.dropouts).split(',').map(Number)) for (const b of String(opts.batches).split(',').map(Number)) grid.push([`recipe-d${d}-b${b}`, recipe(d, b)]);
  const runs: BenchRow[] = [];
  for (const [model, config] of grid) {
    const load1 = loadavg()[0];
    const r = await trainSasrec({ split, sequences: dataset.sequences, numItems: dataset.numItems, filterSeen: true, timeBudgetMs: Number(opts.minutes) * 60_000, workers: defaultWorkers(), progress: false, config });
    const m = SasrecModel.fromEntry({ config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs }, r.weights.data);
    const test = await evaluate(sequentialScorer(m), split, dataset.sequences, { split: 'test', ks: [10, 20], filterSeen: true });
    m.dispose();
    const row: BenchRow = {
      benchmark: 'defaults-sweep',
      dataset: name,
      model,
      metrics: { 'valid_ndcg@10': r.bestValid?.['ndcg@10'] ?? 0, ...test.metrics, epochs: r.history.length, best_epoch: r.bestEpoch, wall_min: r.wallMs / 60_000, users: dataset.users.length, items: dataset.numItems, interactions: dataset.interactions, load1_at_start: load1 },
      stoppedBy: r.stoppedBy,
      backend,
      command,
      date: BENCH_DATE,
      machine: BENCH_MACHINE,
    };
    runs.push(row);
    console.error(`${name} ${model}: valid ${row.metrics['valid_ndcg@10']} test ${test.metrics['ndcg@10']} (${r.history.length} epochs)`);
  }
  // the choice is made on validation only; test is reported beside it
  const best = runs.filter((r) => r.model !== 'sasrec-defaults').reduce((a, b) => (Number(b.metrics['valid_ndcg@10']) > Number(a.metrics['valid_ndcg@10']) ? b : a));
  best.chosenOnValid = true;
  rows.push(...runs);
}
await recordBench(String(opts.name), rows, (r) => {
  const m = r.metrics as Record<string, number>;
  const f = (x: number) => x.toFixed(4);
  return `${m.users} users, ${m.items} items, ${m.interactions} interactions; valid NDCG@10 ${f(m['valid_ndcg@10'])}${r.chosenOnValid ? ' (chosen on valid)' : ''}; test, filterSeen=true: NDCG@10 ${f(m['ndcg@10'])}, Recall@10 ${f(m['recall@10'])}; ${m.epochs} epochs (best ${m.best_epoch}, stopped by ${r.stoppedBy}), ${m.wall_min.toFixed(1)} min; load average ${m.load1_at_start.toFixed(1)} at start`;
});
