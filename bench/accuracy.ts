/**
 * `npm run bench:accuracy`: trains SASRec in Node (tfjs, wasm backend) on ML-1M (filterSeen true)
 * and Amazon Scientific (filterSeen false) from ../shared/data, early-stopping on a validation
 * subset, then evaluates the kept checkpoint on the test split (all users, full ranking) with the
 * shared evaluator. Records test metrics, wall time, time/epoch and the valid NDCG@10 vs minutes curve.
 */
import { existsSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { defaultDataRoot, getPreset, loadPreset } from '../src/data/load-node.js';
import { leaveOneOut } from '../src/data/split.js';
import { evaluate } from '../src/eval/evaluate.js';
import { SASREC_DEFAULTS, type LrSchedule, type SasrecBlock, type SasrecInit, type SasrecLoss, type SasrecPositions } from '../src/models/sasrec/config.js';
import { SasrecModel } from '../src/models/sasrec/model.js';
import { sequentialScorer } from '../src/score/scorer.js';
import { useNodeBackend, type NodeBackend } from '../src/train/backend-node.js';
import { defaultWorkers } from '../src/train/build-step.js';
import { trainSasrec } from '../src/train/sasrec.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';

const PROTOCOL: Record<string, { filterSeen: boolean; maxLen: number }> = {
  'ml-1m': { filterSeen: true, maxLen: 200 },
  'amazon-scientific': { filterSeen: false, maxLen: 50 },
};

const opts = new Command()
  .option('--datasets <list>', 'comma-separated presets', 'ml-1m,amazon-scientific')
  .option('--loss <loss>', 'bce | gbce | ce | sampled-ce', 'sampled-ce')
  .option('--negatives <n>', 'negatives per positive (sampled losses)', '512')
  .option('--minutes <m>', 'training time budget per dataset', '20')
  .option('--max-epochs <n>', 'epoch cap', '200')
  .option('--batch <n>', 'users per batch', '128')
  .option('--lr <x>', 'Adam learning rate', '0.002')
  .option('--lr-schedule <s>', 'constant | cosine (to 0 over --max-epochs) | cosine-time (to 0 over --minutes)', 'constant')
  .option('--valid-users <n>', 'validation users per epoch (early stopping)', '1024')
  .option('--backend <b>', 'cpu | wasm', 'wasm')
  .option('--workers <n>', 'training threads (data-parallel)', String(defaultWorkers()))
  .option('--dropout <x>', 'dropout rate', '0.2')
  .option('--heads <n>', 'attention heads', '1')
  .option('--block <b>', "sasrec (the paper's block: keys and values from the un-normalised input) | pre-ln", SASREC_DEFAULTS.block)
  .option('--init <i>', 'normal (N(0, 0.02²), RecBole / SASRec+) | xavier', SASREC_DEFAULTS.init)
  .option('--positions <p>', 'count learned positions from-newest | from-oldest (SASRec+)', SASREC_DEFAULTS.positions)
  .option('--ffn-inner <n>', 'feed-forward inner width (default: hidden, 64)')
  .option('--patience <n>', 'epochs without a better valid NDCG@10 before stopping', '5')
  .option('--history-negatives', 'keep the user\'s own window items among the softmax negatives (default: as the protocol: left out when seen items are filtered)')
  .option('--repeat-bias', 'learn one scalar added to the scores of items already in the history (history-kept protocol only)')
  .option('--no-buckets', 'batch users in random order instead of length buckets')
  .option('--position-weighting', "scale each step by its target count over the average batch's (every position weighs the same, as with random batches); the default", true)
  .option('--no-position-weighting', 'every batch weighs the same (the batch mean), whatever its length')
  .option('--warmup-steps <n>', 'steps over which the learning rate rises linearly to its schedule', '0')
  .option('--weight-average <decay>', 'validate and keep an exponential moving average of the weights (decay per step, e.g. 0.99)')
  .option('--seed <n>', 'seed of init, batches, dropout and negatives', String(SASREC_DEFAULTS.seed))
  .option('--name <name>', 'results file name', 'accuracy-sasrec')
  .parse()
  .opts();

const root = process.cwd();
const dataRoot = defaultDataRoot(root);
const backend = await useNodeBackend(opts.backend as NodeBackend);
const rows: BenchRow[] = [];
for (const name of String(opts.datasets).split(',')) {
  const proto = PROTOCOL[name];
  if (!existsSync(path.join(dataRoot, getPreset(name).dir))) {
    console.error(`skip ${name}: ${dataRoot} has no ${getPreset(name).dir}`);
    continue;
  }
  const { dataset } = await loadPreset(name, dataRoot);
  const split = leaveOneOut(dataset.sequences);
  const loss = opts.loss as SasrecLoss;
  // the machine may be shared: the load average says how much of it this run had
  const load1AtStart = loadavg()[0];
  const t0 = Date.now();
  const r = await trainSasrec({
    split,
    sequences: dataset.sequences,
    numItems: dataset.numItems,
    filterSeen: proto.filterSeen,
    validUsers: Number(opts.validUsers),
    timeBudgetMs: Number(opts.minutes) * 60_000,
    progress: true,
    workers: Number(opts.workers),
    lengthBuckets: Boolean(opts.buckets),
    positionWeighting: Boolean(opts.positionWeighting),
    weightAverage: opts.weightAverage === undefined ? undefined : Number(opts.weightAverage),
    config: { loss, numNegatives: loss === 'ce' ? undefined : Math.min(Number(opts.negatives), dataset.numItems), maxLen: proto.maxLen, dropout: Number(opts.dropout), heads: Number(opts.heads), block: opts.block as SasrecBlock, positions: opts.positions as SasrecPositions, init: opts.init as SasrecInit, ffnInner: opts.ffnInner === undefined ? undefined : Number(opts.ffnInner), patience: Number(opts.patience), excludeHistory: proto.filterSeen && !opts.historyNegatives, repeatBias: Boolean(opts.repeatBias), batchSize: Number(opts.batch), learningRate: Number(opts.lr), seed: Number(opts.seed), lrSchedule: opts.lrSchedule as LrSchedule, warmupSteps: Number(opts.warmupSteps), maxEpochs: Number(opts.maxEpochs) },
    onEpoch: (e) => console.error(`${name} epoch ${e.epoch} loss ${e.loss.toFixed(4)} valid ndcg@10 ${e.validNdcg10?.toFixed(4)} at ${e.minutes.toFixed(1)} min`),
  });
  const trainMs = Date.now() - t0;
  const model = SasrecModel.fromEntry({ config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs }, r.weights.data);
  const test = await evaluate(sequentialScorer(model), split, dataset.sequences, { split: 'test', ks: [10, 20], filterSeen: proto.filterSeen, batchSize: 128 });
  // Under the history-kept protocol, how much top-10 room the model spends on items the user has
  // already seen: the same model ranked with them removed. A diagnostic, never the headline figure.
  const seenRemoved = proto.filterSeen ? undefined : await evaluate(sequentialScorer(model), split, dataset.sequences, { split: 'test', ks: [10], filterSeen: true, batchSize: 128 });
  model.dispose();
  const epochs = r.history.length;
  rows.push({
    benchmark: 'accuracy',
    dataset: name,
    model: `sasrec-${loss}${loss === 'ce' ? '' : `-${r.config.numNegatives}neg`}${r.config.excludeHistory && (loss === 'ce' || loss === 'sampled-ce') ? '-exclhist' : ''}${r.config.ffnInner !== r.config.hidden ? `-ffn${r.config.ffnInner}` : ''}${r.config.block !== 'pre-ln' ? `-block-${r.config.block}` : ''}${r.config.init !== 'xavier' ? `-init-${r.config.init}` : ''}${r.config.positions !== 'from-newest' ? `-pos-${r.config.positions}` : ''}${r.config.repeatBias ? '-repeat' : ''}${opts.weightAverage !== undefined ? `-ema${opts.weightAverage}` : ''}`,
    metrics: { ...test.metrics, ...(seenRemoved ? { 'ndcg@10_seen_removed': seenRemoved.metrics['ndcg@10'] } : {}), wall_min: trainMs / 60_000, min_per_epoch: r.history.reduce((s, e) => s + e.epochMs, 0) / epochs / 60_000, epochs, best_epoch: r.bestEpoch, test_users: test.users },
    split: 'test',
    filterSeen: proto.filterSeen,
    backend,
    workers: Number(opts.workers),
    lengthBuckets: Boolean(opts.buckets),
    positionWeighting: Boolean(opts.positionWeighting),
    ...(opts.weightAverage !== undefined ? { weightAverage: Number(opts.weightAverage) } : {}),
    stoppedBy: r.stoppedBy,
    load1_at_start: load1AtStart,
    load1_at_end: loadavg()[0],
    config: r.config,
    validUsersPerEpoch: Number(opts.validUsers),
    // the learned offset on seen items' scores (weights.ts puts repeat_bias last)
    ...(r.config.repeatBias ? { learnedRepeatBias: r.weights.data[r.weights.data.length - 1] } : {}),
    curve: r.history.map((e) => ({ epoch: e.epoch, minutes: e.minutes, loss: e.loss, valid_ndcg10: e.validNdcg10 })),
    command: `npm run bench:accuracy -- ${process.argv.slice(2).join(' ')}`.trim(),
    date: BENCH_DATE,
    machine: BENCH_MACHINE,
  });
  console.error(JSON.stringify(rows[rows.length - 1].metrics));
}
await recordBench(String(opts.name), rows, (r) => {
  const m = r.metrics as Record<string, number>;
  const f = (x: number) => x.toFixed(4);
  return `test, filterSeen=${r.filterSeen}, users ${m.test_users}: NDCG@10 ${f(m['ndcg@10'])}, Recall@10 ${f(m['recall@10'])}, NDCG@20 ${f(m['ndcg@20'])}, Recall@20 ${f(m['recall@20'])}, MRR ${f(m.mrr)}${m['ndcg@10_seen_removed'] !== undefined ? ` (NDCG@10 with seen items removed, diagnostic: ${f(m['ndcg@10_seen_removed'])})` : ''}; ${m.epochs} epochs (best ${m.best_epoch}, stopped by ${r.stoppedBy}), train ${m.wall_min.toFixed(1)} min, ${m.min_per_epoch.toFixed(2)} min/epoch, backend ${r.backend} × ${r.workers} threads${r.lengthBuckets ? ', length buckets' : ''}${r.positionWeighting ? ', position-weighted steps' : ''}${r.weightAverage !== undefined ? `, weight average (EMA ${r.weightAverage})` : ''}${r.learnedRepeatBias !== undefined ? `, learned repeat bias ${Number(r.learnedRepeatBias).toFixed(2)}` : ''}; load average ${Number(r.load1_at_start).toFixed(1)} at start, ${Number(r.load1_at_end).toFixed(1)} at end`;
});
