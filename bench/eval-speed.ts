/**
 * `npm run bench:eval-speed`: is `molar eval` fast next to training? For each log it builds a
 * bundle with the default `molar build` (a short `--minutes`: only the SASRec's speed matters here,
 * not its quality), then times `molar eval --model sasrec` over every test user (the scoring and
 * ranking, from the report's `seconds`; the process wall time too) against one SASRec training
 * epoch of the same build (the median `epochSeconds` of the epochs it ran, validation excluded).
 * Issue 23's target: eval ≤ one epoch.
 *
 * Logs: `ml-1m` (the shared data, written as a shop's CSVs; skipped when absent) and
 * `synthetic-50k` (bench/synthetic-log.ts: 50,000 users, 20,000 items, mean history 9, as a shop's files).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import type { Manifest, SasrecEntry } from '../src/bundle/manifest.js';
import { defaultDataRoot } from '../src/data/load-node.js';
import type { EvalReport } from '../src/cli/commands/eval.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';
import { cutSlice, sliceByName, writeSlice, type Slice } from './slices.js';
import { syntheticShop } from './synthetic-log.js';

const opts = new Command()
  .option('--logs <list>', 'ml-1m, synthetic-50k', 'ml-1m,synthetic-50k')
  .option('--minutes <m>', "each build's training budget", '3')
  .option('--work <dir>', 'where logs and bundles are written', path.join(tmpdir(), 'molar-eval-speed'))
  .parse()
  .opts();

const root = process.cwd();
const command = `npm run bench:eval-speed -- ${process.argv.slice(2).join(' ')}`.trim();
const molar = (args: string[]) => {
  const t0 = Date.now();
  const run = spawnSync(process.execPath, ['bin/molar.js', ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  if (run.status !== 0) throw new Error(`molar ${args[0]} failed:\n${run.stderr.slice(-3000)}`);
  return { stdout: run.stdout, seconds: (Date.now() - t0) / 1000 };
};

const rows: BenchRow[] = [];
for (const name of String(opts.logs).split(',')) {
  let slice: Slice;
  if (name === 'ml-1m') {
    if (!existsSync(path.join(defaultDataRoot(), 'ml-1m'))) {
      process.stderr.write('ml-1m: ../shared/data absent, skipped\n');
      continue;
    }
    slice = await cutSlice(sliceByName('ml-1m'));
  } else if (name === 'synthetic-50k') {
    slice = { spec: { name, preset: 'ml-1m' }, ...syntheticShop({ users: 50_000, items: 20_000, meanLength: 9 }) };
  } else throw new Error(`unknown log ${name}: expected ml-1m or synthetic-50k`);
  const dir = path.join(String(opts.work), name);
  const files = await writeSlice(slice, dir);
  const out = path.join(dir, 'bundle');
  const load1 = loadavg()[0];
  molar(['build', '--catalog', files.catalog, '--interactions', files.interactions, '--out', out, '--overwrite', '--minutes', String(opts.minutes)]);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
  const sasrec = manifest.models.find((m) => m.kind === 'sasrec') as SasrecEntry | undefined;
  if (!sasrec?.trainedWith) throw new Error(`${name}: the build trained no SASRec`);
  const epochs = (sasrec.trainedWith.history ?? []).map((h) => h.epochSeconds).filter((s): s is number => s !== undefined).sort((a, b) => a - b);
  if (!epochs.length) throw new Error(`${name}: the build's SASRec history records no epochSeconds`);
  const epochS = epochs[epochs.length >> 1];
  const json = path.join(dir, 'eval.json');
  const ev = molar(['eval', '--bundle', out, '--interactions', files.interactions, '--model', 'sasrec', '--json', json]);
  const report = JSON.parse(readFileSync(json, 'utf8')) as EvalReport;
  rows.push({
    benchmark: 'eval-speed',
    dataset: name,
    model: 'sasrec',
    metrics: {
      eval_s: report.seconds,
      eval_process_s: ev.seconds,
      epoch_s: epochS,
      'eval/epoch': report.seconds / epochS,
      users: report.users,
      items: manifest.numItems,
      max_len: Number((sasrec.config as { maxLen?: number }).maxLen),
      'ndcg@10': (report.metrics as Record<string, number>)['ndcg@10'],
      load1_at_start: Number(load1.toFixed(2)),
    },
    command,
    date: BENCH_DATE,
    machine: BENCH_MACHINE,
  });
  process.stderr.write(`${name}: eval ${report.seconds.toFixed(1)} s (process ${ev.seconds.toFixed(1)} s) vs epoch ${epochS.toFixed(1)} s\n`);
}
await recordBench('eval-speed', rows, (r) => {
  const m = r.metrics as Record<string, number>;
  return `eval ${m.eval_s.toFixed(1)} s over ${m.users} users × ${m.items} items (process ${m.eval_process_s.toFixed(1)} s) vs one training epoch ${m.epoch_s.toFixed(1)} s: ratio ${m['eval/epoch'].toFixed(2)}; NDCG@10 ${m['ndcg@10'].toFixed(4)}; load ${m.load1_at_start} at start`;
});
