/**
 * `npm run bench:serve-int8 -- --bundle bundles/ml1m [--preset ml-1m | --interactions <file the bundle was built from>]`
 *
 * What the int8 item table costs in accuracy (issue 23 §3): the bundle's SASRec scored through its
 * serving scorer (score/kinds/sasrec.ts) twice, with `score.itemTable` float32 and int8, under
 * `molar eval`'s protocol (leave-one-out full ranking, seen items removed; tfjs wasm in Node),
 * on the validation and the test targets. Nothing is chosen here, so both are reported; the int8
 * row carries its difference from float32.
 * → bench/results/serve-int8.json, rows `benchmark: "serve-int8"`.
 */
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { openBundleDir } from '../src/cli/bundle-node.js';
import { loadForBundle } from '../src/cli/data-options.js';
import { resolveConfig } from '../src/config.js';
import type { SasrecEntry } from '../src/bundle/manifest.js';
import { leaveOneOut } from '../src/data/split.js';
import { evaluate } from '../src/eval/evaluate.js';
import { SASREC_SCORER } from '../src/score/kinds/sasrec.js';
import { useNodeBackend } from '../src/train/backend-node.js';
import { recordBench, type BenchRow } from './record.js';

const o = new Command()
  .requiredOption('--bundle <dir>', 'a bundle with a trained SASRec (molar build)')
  .option('--preset <name>', 'dataset preset the bundle was built from', 'ml-1m')
  .option('--interactions <file>', 'the interaction log the bundle was built from, instead of --preset')
  .option('--dataset <name>', 'dataset name for the rows', 'ml-1m')
  .option('--dry-run', 'print the rows, record nothing')
  .parse()
  .opts<{ bundle: string; preset: string; interactions?: string; dataset: string; dryRun?: boolean }>();

const log = (m: string) => process.stderr.write(`${m}\n`);
const bundle = await openBundleDir(path.resolve(o.bundle));
const entry = bundle.manifest.models.find((m) => m.kind === 'sasrec') as SasrecEntry | undefined;
if (!entry) throw new Error(`${o.bundle} holds no sasrec model`);
const { dataset } = await loadForBundle(o.interactions ? { interactions: o.interactions, header: true, catalogHeader: true } : { preset: o.preset, header: true, catalogHeader: true }, bundle);
const split = leaveOneOut(dataset.sequences);
await useNodeBackend('wasm');

const results: Record<string, { valid: Record<string, number>; test: Record<string, number>; users: number; s: number }> = {};
for (const itemTable of ['float32', 'int8'] as const) {
  const scorer = await SASREC_SCORER.create({ manifest: bundle.manifest, entry, readFile: bundle.readFile, config: resolveConfig({ score: { itemTable } }) });
  const t0 = performance.now();
  const valid = await evaluate(scorer, split, dataset.sequences, { split: 'valid' });
  const test = await evaluate(scorer, split, dataset.sequences, { split: 'test' });
  scorer.dispose();
  results[itemTable] = { valid: valid.metrics, test: test.metrics, users: test.users, s: (performance.now() - t0) / 1000 };
  log(`${itemTable}: test ${JSON.stringify(test.metrics)}, valid NDCG@10 ${valid.metrics['ndcg@10']}`);
}

const date = new Date().toISOString().slice(0, 10);
const machine = `node ${os.cpus().length}-core ${Math.round(os.totalmem() / 2 ** 30)}GiB`;
const command = `npm run bench:serve-int8 -- ${process.argv.slice(2).join(' ')}`;
const rows: BenchRow[] = (['float32', 'int8'] as const).map((k) => {
  const r = results[k];
  const d: Record<string, number> = k === 'int8' ? { 'ndcg@10_minus_float32': r.test['ndcg@10'] - results.float32.test['ndcg@10'], 'valid_ndcg@10_minus_float32': r.valid['ndcg@10'] - results.float32.valid['ndcg@10'] } : {};
  return {
    benchmark: 'serve-int8',
    dataset: o.dataset,
    model: `sasrec (${k} item table)`,
    metrics: { ...r.test, ...Object.fromEntries(Object.entries(r.valid).map(([m, v]) => [`valid_${m}`, v])), ...d, users: r.users, eval_s: r.s },
    command,
    date,
    machine,
    bundle: { name: bundle.manifest.name, createdAt: bundle.manifest.createdAt, trainedWith: entry.trainedWith ? { loss: entry.trainedWith.loss, epochs: entry.trainedWith.epochs } : undefined },
    notes: "molar eval's protocol: leave-one-out full ranking, seen items removed, test = history train + valid item; the same trained SASRec with its item table held as float32 or as int8 rows (bf16 per-row scale) as the page serves it",
  };
});
const f = (x: unknown, d = 4) => (typeof x === 'number' ? x.toFixed(d) : String(x));
const figures = (r: BenchRow) => `${r.metrics.users} users, test NDCG@10 ${f(r.metrics['ndcg@10'])}, Recall@10 ${f(r.metrics['recall@10'])}; valid NDCG@10 ${f(r.metrics['valid_ndcg@10'])}${r.metrics['ndcg@10_minus_float32'] !== undefined ? `; int8 − float32: test NDCG@10 ${f(r.metrics['ndcg@10_minus_float32'], 5)}, valid ${f(r.metrics['valid_ndcg@10_minus_float32'], 5)}` : ''}`;
if (o.dryRun) for (const r of rows) log(`[dry run] ${r.model}: ${figures(r)}`);
else await recordBench('serve-int8', rows, figures);
