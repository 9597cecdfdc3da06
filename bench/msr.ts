/**
 * MLLM-MSR's default providers against their first stage (issue 20 §4): `molar eval` on a bundle
 * that holds a first stage and an `msr` entry (`molar train --model msr`), four ways: the sampled
 * protocol (1 target + 20 seeded unseen negatives: AUC, HR@5, NDCG@5) and full ranking (NDCG@10,
 * Recall@10), each for the first stage alone (`<kind>`) and re-ranked (`<kind>+rerank`). Every run
 * is a row in BENCHMARKS.md and bench/results/<name>.json, the re-ranker's training facts beside it.
 *
 *   npx tsx bench/msr.ts --bundle <dir> --preset amazon-scientific --keep-seen --name msr-amazon-scientific --setup '<the commands that made the bundle>'
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Manifest, MsrEntry } from '../src/bundle/manifest.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';

const run = promisify(execFile);
const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
};
const bundle = arg('bundle');
const preset = arg('preset');
if (!bundle || !preset) throw new Error('usage: tsx bench/msr.ts --bundle <dir> --preset <name> [--keep-seen] [--name <results name>] [--max-users n]');
const keepSeen = process.argv.includes('--keep-seen');
const name = arg('name') ?? `msr-${preset}`;
const maxUsers = arg('max-users');
/** how the bundle was made (its training commands), recorded before the eval command of each row */
const setup = arg('setup');

const manifest = JSON.parse(readFileSync(path.join(bundle, 'manifest.json'), 'utf8')) as Manifest;
const msr = manifest.models.find((m): m is MsrEntry => m.kind === 'msr');
if (!msr) throw new Error(`${bundle} has no msr entry: run molar train --model msr first`);
const scratch = mkdtempSync(path.join(tmpdir(), 'molar-bench-msr-'));
const rows: BenchRow[] = [];
for (const protocol of ['sampled', 'full'] as const) {
  for (const rerank of [false, true]) {
    const json = path.join(scratch, `${protocol}-${rerank}.json`);
    const args = ['eval', '--bundle', bundle, '--preset', preset, '--protocol', protocol, ...(protocol === 'sampled' ? ['--negatives', '20'] : []), ...(keepSeen && protocol === 'full' ? ['--keep-seen'] : []), ...(rerank ? ['--rerank'] : []), ...(maxUsers ? ['--max-users', maxUsers] : [])];
    const t0 = Date.now();
    await run(process.execPath, ['bin/molar.js', ...args, '--json', json], { maxBuffer: 1 << 26 });
    const r = JSON.parse(readFileSync(json, 'utf8'));
    rows.push({
      benchmark: 'msr',
      dataset: preset,
      model: r.model,
      metrics: r.metrics,
      command: `${setup ? `${setup} && ` : ''}molar ${args.join(' ')}`,
      date: BENCH_DATE,
      machine: BENCH_MACHINE,
      protocol,
      split: r.split,
      users: r.users,
      ...(protocol === 'full' ? { filterSeen: r.filterSeen } : { negatives: r.negatives, seed: r.seed }),
      evalSeconds: Math.round((Date.now() - t0) / 1000),
      reranker: { firstStage: msr.firstStage, weight: msr.weight, config: msr.config, trainedWith: msr.trainedWith },
    });
    process.stdout.write(`${r.model} ${protocol}: ${JSON.stringify(r.metrics)}\n`);
  }
}
const f = (v: unknown) => (typeof v === 'number' ? v.toFixed(4) : String(v));
await recordBench(name, rows, (r) => {
  const m = r.metrics;
  const figs = r.protocol === 'sampled' ? `AUC ${f(m.auc)}, HR@5 ${f(m['hr@5'])}, NDCG@5 ${f(m['ndcg@5'])}` : `NDCG@10 ${f(m['ndcg@10'])}, Recall@10 ${f(m['recall@10'])}, NDCG@20 ${f(m['ndcg@20'])}, MRR ${f(m.mrr)}`;
  const proto = r.protocol === 'sampled' ? `sampled (1 + 20 negatives, seed ${r.seed})` : `full ranking, filterSeen=${r.filterSeen}`;
  const t = msr.trainedWith;
  const fit = t?.firstStageFit ? ` (first stage NDCG@10 on those examples ${f(t.firstStageFit.examples?.['ndcg@10'])}, on held-out valid ${f(t.firstStageFit.heldOut?.['ndcg@10'])})` : '';
  const chosen = t?.validUsers ? ` on ${t.validUsers.chosen} users` : '';
  // bundles from before the rerankExamples field trained stage 3 on the training prefixes
  const re = r.model.endsWith('+rerank') ? `; re-ranker over ${msr.firstStage}, stage 3 on ${t?.rerankExamples ?? 'train-prefix'}${fit}, weight ${msr.weight} (chosen on valid${chosen}), stage-2 best epoch ${t?.epochs}` : '';
  return `${r.split}, ${proto}, users ${r.users}: ${figs}${re}`;
});
