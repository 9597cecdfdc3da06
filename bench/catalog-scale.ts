/**
 * `npm run bench:catalog-scale`: `molar train`'s SASRec path (trainForBuild: the data-adaptive
 * defaults, the memory plan, the loop) on a synthetic log (bench/synthetic-log.ts) per catalog
 * size, each in its own process so its peak RSS is its own. Short by design: `--steps` steps of one
 * epoch (a time-capped fraction; the epoch time is projected from it and the row says so) and a
 * validation pass on `--valid-users` users.
 *
 * `--write <dir>` instead writes the log as interactions.csv + catalog.csv for the CLI.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { leaveOneOut } from '../src/data/split.js';
import type { BuiltDataset } from '../src/data/sequences.js';
import { trainForBuild } from '../src/train/build-step.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';
import { syntheticLog } from './synthetic-log.js';

const o = new Command()
  .option('--items <list>', 'catalog sizes, comma-separated', '100000,1000000')
  .option('--users <n>', 'users in each log', '50000')
  .option('--steps <n>', 'training steps timed (of one epoch)', '200')
  .option('--valid-users <n>', 'users of the validation pass', '500')
  .option('--seed <n>', 'log seed', '24')
  .option('--item-updates <how>', 'auto | dense | sparse (molar train --item-updates)', 'auto')
  .option('--only <items>', '(internal) run one size in this process and print its figures as JSON')
  .option('--write <dir>', 'write the log for --items (first size) as CSV and exit')
  .option('--name <name>', 'results file name', 'catalog-scale')
  .parse()
  .opts();
const users = Number(o.users);
const seed = Number(o.seed);

async function one(items: number) {
  const t0 = Date.now();
  const sequences = syntheticLog({ items, users, seed });
  const split = leaveOneOut(sequences);
  const genMs = Date.now() - t0;
  // trainForBuild reads only numItems and sequences of the dataset
  const dataset = { numItems: items, sequences } as Pick<BuiltDataset, 'numItems' | 'sequences'> as BuiltDataset;
  const r = await trainForBuild(
    { split, dataset, progress: () => {}, log: (m) => process.stderr.write(`${m}\n`) },
    { config: { maxEpochs: 1 }, itemUpdates: o.itemUpdates, maxStepsPerEpoch: Number(o.steps), validUsers: Number(o.validUsers), progress: false },
  );
  const e = r.history[0];
  const batchSize = r.config.batchSize;
  const stepsPerEpoch = Math.ceil(sequences.filter((s) => s.length >= 4).length / batchSize);
  const steps = e.stepLosses.length;
  return {
    items, users, interactions: sequences.reduce((n, s) => n + s.length, 0), genMs,
    steps, stepsPerEpoch, msPerStep: e.epochMs / steps, epochMinProjected: (e.epochMs / steps) * stepsPerEpoch / 60_000,
    validMs: e.minutes * 60_000 - e.epochMs, validNdcg10: e.validNdcg10 ?? NaN, firstLoss: e.stepLosses[0], lastLoss: e.stepLosses.at(-1)!,
    peakRssGiB: (process.resourceUsage().maxRSS * 1024) / 1024 ** 3,
    estimatedHeapGiB: r.memory.heapBytes / 1024 ** 3, estimatedJsGiB: r.memory.jsBytes / 1024 ** 3, itemUpdates: r.memory.itemUpdates, workers: r.memory.workers,
    loss: r.config.loss, negatives: r.config.numNegatives, batchSize, maxLen: r.config.maxLen, hidden: r.config.hidden,
  };
}

if (o.write) {
  const items = Number(String(o.items).split(',')[0]);
  const seqs = syntheticLog({ items, users, seed });
  mkdirSync(o.write, { recursive: true });
  const lines = ['user_id,item_id,timestamp'];
  seqs.forEach((s, u) => s.forEach((it, t) => lines.push(`u${u},i${it},${t}`)));
  writeFileSync(path.join(o.write, 'interactions.csv'), lines.join('\n') + '\n');
  writeFileSync(path.join(o.write, 'catalog.csv'), ['item_id,title', ...Array.from({ length: items }, (_, i) => `i${i + 1},item ${i + 1}`)].join('\n') + '\n');
  process.stdout.write(`wrote ${lines.length - 1} interactions over ${items} items to ${o.write}\n`);
} else if (o.only) {
  process.stdout.write(`${JSON.stringify(await one(Number(o.only)))}\n`);
} else {
  const command = `npm run bench:catalog-scale -- ${process.argv.slice(2).join(' ')}`.trim();
  const rows: BenchRow[] = [];
  for (const items of String(o.items).split(',').map(Number)) {
    // the machine is shared: how busy it was when this size started
    const load1 = loadavg()[0];
    const out = execFileSync(process.execPath, [...process.execArgv, process.argv[1], '--only', String(items), '--users', String(users), '--steps', o.steps, '--valid-users', o.validUsers, '--seed', String(seed), '--item-updates', o.itemUpdates], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 1 << 24 });
    const f = JSON.parse(out.trim().split('\n').at(-1)!);
    rows.push({
      benchmark: 'catalog-scale',
      dataset: `synthetic-${items / 1000}k (bench/synthetic-log.ts, seed ${seed}, ${users} users, ${f.interactions} interactions)`,
      model: `sasrec ${f.loss} ${f.negatives} negatives, item updates ${f.itemUpdates}`,
      metrics: {
        peak_rss_gib: +f.peakRssGiB.toFixed(2),
        estimated_heap_gib: +f.estimatedHeapGiB.toFixed(2),
        ms_per_step: Math.round(f.msPerStep),
        epoch_min_projected: +f.epochMinProjected.toFixed(1),
        steps_run: f.steps,
        steps_per_epoch: f.stepsPerEpoch,
        valid_ms: Math.round(f.validMs),
        [`valid_ndcg@10_${o.validUsers}u`]: +f.validNdcg10.toFixed(4),
        first_loss: +f.firstLoss.toFixed(3),
        last_loss: +f.lastLoss.toFixed(3),
      },
      command,
      date: BENCH_DATE,
      machine: BENCH_MACHINE,
      settings: { batchSize: f.batchSize, maxLen: f.maxLen, hidden: f.hidden, workers: f.workers },
      loadAvg1m: +load1.toFixed(1),
    });
  }
  await recordBench(o.name, rows, (r) => {
    const m = r.metrics as Record<string, number>;
    return `peak RSS ${m.peak_rss_gib} GiB (heap estimate ${m.estimated_heap_gib} GiB); ${m.ms_per_step} ms/step over ${m.steps_run} of ${m.steps_per_epoch} steps (a time-capped fraction of one epoch): epoch ≈ ${m.epoch_min_projected} min projected; loss ${m.first_loss} → ${m.last_loss}; validation on ${o.validUsers} users ${m.valid_ms} ms; load avg ${r.loadAvg1m} on the shared machine`;
  });
}
