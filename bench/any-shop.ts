/**
 * `npm run bench:any-shop`: does `molar build` serve a shop the best model it can find? For each
 * slice of the shared data (bench/slices.ts), written as a shop's CSV files, it runs the default
 * `molar build` (10-minute budget, no flags) as a user would, reads the build report it writes
 * beside the bundle, and records the test figures of the served model and of every candidate. As
 * a reference it also trains SASRec with the fixed library defaults the build used before issue 19
 * (SASREC_DEFAULTS, maxLen 200 or 50 by the median history) for the same 10 minutes.
 * Protocol: full ranking, seen items removed (the build's default), leave-one-out test split.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { buildSequences } from '../src/data/sequences.js';
import { leaveOneOut } from '../src/data/split.js';
import type { BuildReport } from '../src/eval/choose-step-node.js';
import { evaluate } from '../src/eval/evaluate.js';
import { SasrecModel } from '../src/models/sasrec/model.js';
import { sequentialScorer } from '../src/score/scorer.js';
import { useNodeBackend } from '../src/train/backend-node.js';
import { defaultWorkers } from '../src/train/build-step.js';
import { trainSasrec } from '../src/train/sasrec.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';
import { cutSlice, sliceByName, writeSlice } from './slices.js';

const opts = new Command()
  .option('--slices <list>', 'slice names (bench/slices.ts)', 'ml-1m-300u,ml-1m-600u,amazon-scientific-1000u,ml-1m-1500u,amazon-scientific,ml-1m')
  .option('--minutes <m>', "the build's budget (the default build uses 10; passed only when not 10)", '10')
  .option('--no-defaults', 'skip the SASREC_DEFAULTS reference run')
  .option('--slice-seed <n>', 'seed of the user sample', '7')
  .option('--work <dir>', 'where slices and bundles are written', path.join(tmpdir(), 'molar-any-shop'))
  .parse()
  .opts();

const root = process.cwd();
const command = `npm run bench:any-shop -- ${process.argv.slice(2).join(' ')}`.trim();
for (const name of String(opts.slices).split(',')) {
  const slice = await cutSlice(sliceByName(name), Number(opts.sliceSeed));
  const dir = path.join(String(opts.work), name);
  const files = await writeSlice(slice, dir);
  const out = path.join(dir, 'bundle');
  const load1 = loadavg()[0];
  const t0 = Date.now();
  const args = ['bin/molar.js', 'build', '--catalog', files.catalog, '--interactions', files.interactions, '--out', out, '--overwrite', ...(Number(opts.minutes) !== 10 ? ['--minutes', String(opts.minutes)] : [])];
  const run = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`molar build on ${name} failed:\n${run.stderr.slice(-3000)}`);
  process.stderr.write(run.stdout);
  const buildMin = (Date.now() - t0) / 60_000;
  const report = JSON.parse(readFileSync(`${out}.report.json`, 'utf8')) as BuildReport & { budgetMinutes: number };
  const base = { benchmark: 'any-shop', dataset: name, command, date: BENCH_DATE, machine: BENCH_MACHINE };
  const shape = { users: report.data.users, items: report.data.items, interactions: report.data.interactions };
  const rows: BenchRow[] = [];
  const served = report.candidates.find((c) => c.served)!;
  const row = (model: string, c: (typeof report.candidates)[number], extra: Record<string, unknown> = {}): BenchRow => ({
    ...base,
    model,
    metrics: { 'ndcg@10': c.test!['ndcg@10'], 'recall@10': c.test!['recall@10'], 'ndcg@20': c.test!['ndcg@20'], 'recall@20': c.test!['recall@20'], 'valid_ndcg@10': c.valid['ndcg@10'], train_min: c.trainMinutes, ...shape },
    split: 'test',
    filterSeen: report.protocol.filterSeen,
    ...extra,
  });
  rows.push(row('served', served, { servedKind: report.served.kind, reason: report.served.reason, build_min: buildMin, load1_at_start: load1 }));
  for (const c of report.candidates) rows.push(row(c.model === 'sasrec' ? 'sasrec-adaptive' : c.model, c));
  if (opts.defaults) rows.push(await defaultsRun(name, slice, Number(opts.minutes), base, shape));
  await recordBench(`any-shop-${name}`, rows, (r) => {
    const m = r.metrics as Record<string, number>;
    const f = (x: number) => x.toFixed(4);
    return `${m.users} users, ${m.items} items, ${m.interactions} interactions; test, filterSeen=${r.filterSeen}: NDCG@10 ${f(m['ndcg@10'])}, Recall@10 ${f(m['recall@10'])}; valid NDCG@10 ${m['valid_ndcg@10'] === undefined ? '-' : f(m['valid_ndcg@10'])}; train ${m.train_min.toFixed(1)} min${r.servedKind ? `; served ${r.servedKind} (${r.reason}); whole build ${Number(r.build_min).toFixed(1)} min, load average ${Number(r.load1_at_start).toFixed(1)} at start` : ''}`;
  });
}

/** SASRec on the library defaults, as `molar build` trained it before the adaptive defaults, for the same budget. */
async function defaultsRun(name: string, slice: Awaited<ReturnType<typeof cutSlice>>, minutes: number, base: Pick<BenchRow, 'benchmark' | 'dataset' | 'command' | 'date' | 'machine'>, shape: Record<string, number>): Promise<BenchRow> {
  await useNodeBackend('wasm');
  const dataset = buildSequences(slice.interactions, slice.catalog, { name });
  const split = leaveOneOut(dataset.sequences);
  const lens = dataset.sequences.map((s) => s.length).sort((a, b) => a - b);
  const maxLen = (lens[Math.floor(lens.length / 2)] ?? 0) >= 50 ? 200 : 50;
  const r = await trainSasrec({ split, sequences: dataset.sequences, numItems: dataset.numItems, filterSeen: true, timeBudgetMs: minutes * 60_000, workers: defaultWorkers(), progress: false, config: { maxLen } });
  const model = SasrecModel.fromEntry({ config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs }, r.weights.data);
  const test = await evaluate(sequentialScorer(model), split, dataset.sequences, { split: 'test', ks: [10, 20], filterSeen: true });
  model.dispose();
  return { ...base, model: 'sasrec-defaults', metrics: { ...test.metrics, 'valid_ndcg@10': r.bestValid?.['ndcg@10'] ?? 0, train_min: r.wallMs / 60_000, epochs: r.history.length, ...shape }, split: 'test', filterSeen: true, stoppedBy: r.stoppedBy };
}
