/**
 * `npm run bench:molar`: Molar against ID-only SASRec on ../shared/data (ML-1M: titles + genres +
 * posters, seen items removed; Amazon Scientific: text, seen items kept), test split, all users,
 * full ranking. Stages: SASRec (the ID model; or --sasrec-from a checkpoint an earlier run saved),
 * then the content model aligned to it, then the mix weight chosen on validation. Rows:
 * `id-only`, `content+align` (the aligned content model alone), `fused` (the mix), and with
 * --content-only also `content-only` (a content model trained without alignment).
 * Item vectors come from the encode step's cache (.cache/encoders); encoding is not counted.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { loadavg } from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { leaveOneOut } from '../src/data/split.js';
import { evaluateVariants } from '../src/eval/evaluate.js';
import { ContentModel } from '../src/models/content/model.js';
import { SasrecModel } from '../src/models/sasrec/model.js';
import { mixScores } from '../src/score/mix.js';
import { sequentialScorer } from '../src/score/scorer.js';
import { defaultWorkers } from '../src/train/build-step.js';
import { DEFAULT_MIX_GRID, trainMolar, type IdModel, type TrainMolarResult } from '../src/train/molar.js';
import { trainSasrec } from '../src/train/sasrec.js';
import { benchFeatures, openBenchDataset } from './molar-data.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';


const o = new Command()
  .option('--dataset <name>', 'ml-1m | amazon-scientific', 'ml-1m')
  .option('--sasrec-minutes <m>', 'ID model training budget', '29.5')
  .option('--sasrec-from <file>', 'load the ID model from a checkpoint JSON an earlier run saved (--save-sasrec)')
  .option('--save-sasrec <file>', 'save the trained ID model here')
  .option('--molar-minutes <m>', 'content model training budget', '25')
  .option('--align-weight <x>', 'post-alignment weight α', '0.5')
  .option('--align-tau <x>', 'post-alignment temperature τ', '0.2')
  .option('--it-weight <x>', 'image-text task weight (0: off)', '0.1')
  .option('--sa-weight <x>', 'attribute task weight (0: off)', '0.1')
  .option('--lr <x>', 'content model learning rate', '0.001')
  .option('--batch <n>', 'content model users per batch', '128')
  .option('--dropout <x>', 'content model dropout', '0.2')
  .option('--item-align-steps <n>', 'item-level alignment steps before training (0: off)', '0')
  .option('--fusion-inner <n>', 'fusion head inner width (0: linear)', '256')
  .option('--mix-grid <list>', 'content weights tried for the mix, comma-separated', DEFAULT_MIX_GRID.join(','))
  .option('--no-image', 'drop the image vectors (ablation)')
  .option('--no-text', 'drop the text vectors (ablation)')
  .option('--content-only', 'also train a content model without alignment (row content-only)')
  .option('--valid-users <n>', 'validation users per epoch (early stopping)', '2048')
  .option('--workers <n>', 'training threads', String(defaultWorkers()))
  .option('--seed <n>', 'seed', '42')
  .option('--name <name>', 'results file name', 'molar')
  .option('--tag <t>', 'suffix of the model names (e.g. an ablation)', '')
  .parse()
  .opts();

const name = String(o.dataset);
const { proto, loaded } = await openBenchDataset(name);
const seed = Number(o.seed);
const { dataset, catalog, catalogDir } = loaded;
const split = leaveOneOut(dataset.sequences);
const sequences = dataset.sequences;
const numItems = dataset.numItems;

const { features, encodeMin } = await benchFeatures(name, proto.encoder, { dataset, catalog, catalogDir }, { image: o.image !== false, text: o.text !== false });

// stage 1: the ID model
let id: IdModel;
let sasrecMin = 0;
if (o.sasrecFrom) {
  const saved = JSON.parse(await readFile(String(o.sasrecFrom), 'utf8'));
  id = { config: saved.config, weights: saved.weights, data: Float32Array.from(saved.data) };
} else {
  const t = Date.now();
  const r = await trainSasrec({
    split, sequences, numItems, filterSeen: proto.filterSeen, validUsers: Number(o.validUsers), timeBudgetMs: Number(o.sasrecMinutes) * 60_000, progress: true, workers: Number(o.workers),
    // the README's recipe (ML-1M 0.1857); Amazon: history kept, repeat bias, dropout 0.5
    config: name === 'ml-1m'
      ? { loss: 'ce', dropout: 0.1, batchSize: 64, learningRate: 0.006, warmupSteps: 100, lrSchedule: 'cosine-time', patience: 100, maxEpochs: 200, positions: 'from-oldest', maxLen: proto.maxLen, seed }
      : { loss: 'ce', dropout: 0.5, heads: 2, excludeHistory: false, repeatBias: true, maxLen: proto.maxLen, patience: 20, seed },
    onEpoch: (e) => console.error(`sasrec epoch ${e.epoch} loss ${e.loss.toFixed(4)} valid ${e.validNdcg10?.toFixed(4)} at ${e.minutes.toFixed(1)} min`),
  });
  sasrecMin = (Date.now() - t) / 60_000;
  id = { config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs, data: r.weights.data };
  if (o.saveSasrec) await writeFile(String(o.saveSasrec), JSON.stringify({ config: id.config, weights: id.weights, data: Array.from(id.data), minutes: sasrecMin }));
}

// stage 2: the content model, aligned to it (and, with --content-only, one without alignment)
const train = { alignWeight: Number(o.alignWeight), alignTau: Number(o.alignTau), itWeight: Number(o.itWeight), saWeight: Number(o.saWeight), learningRate: Number(o.lr), batchSize: Number(o.batch), itemAlignSteps: Number(o.itemAlignSteps), patience: 100, lrSchedule: 'cosine-time' as const, warmupSteps: 100 };
const molar = (idModel: IdModel | undefined) => trainMolar({
  split, sequences, numItems, features, idModel,
  config: { maxLen: proto.maxLen, hidden: Number(id.config.hidden), dropout: Number(o.dropout), fusionInner: Number(o.fusionInner), seed },
  train, mixGrid: String(o.mixGrid).split(',').map(Number), filterSeen: proto.filterSeen, validUsers: Number(o.validUsers), timeBudgetMs: Number(o.molarMinutes) * 60_000, workers: Number(o.workers), progress: true,
  onEpoch: (e) => console.error(`content epoch ${e.epoch} loss ${e.loss.toFixed(4)} ${JSON.stringify(e.parts)} valid ${e.validNdcg10?.toFixed(4)} at ${e.minutes.toFixed(1)} min`),
});
const aligned = await molar(id);
const plain = o.contentOnly ? await molar(undefined) : undefined;

// test: every variant from one pass over the test users
const sasrec = SasrecModel.fromEntry(id, id.data);
const contentOf = (r: TrainMolarResult) => {
  const m = ContentModel.fromSaved({ config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs }, r.weights.data, features);
  m.freeze();
  return m;
};
const [ca, cp] = [contentOf(aligned), plain ? contentOf(plain) : undefined];
const [sI, sA, sP] = [sequentialScorer(sasrec), sequentialScorer(ca), cp ? sequentialScorer(cp) : undefined];
const test = await evaluateVariants({
  async score(h) {
    const [d, a] = [await sI.score(h), await sA.score(h)];
    const v: Record<string, Float32Array[]> = { 'id-only': d, 'content+align': a, fused: a.map((row, i) => mixScores(row, d[i], aligned.mix.content)) };
    if (sP) v['content-only'] = await sP.score(h);
    return v;
  },
}, split, sequences, { split: 'test', ks: [10, 20], filterSeen: proto.filterSeen, batchSize: 128 });
const rows: BenchRow[] = Object.entries(test).map(([model, r]) => ({
  benchmark: 'molar',
  dataset: name,
  model: `${model}${o.tag ? `-${o.tag}` : ''}`,
  metrics: {
    ...r.metrics,
    test_users: r.users,
    encode_min: encodeMin,
    sasrec_min: sasrecMin,
    molar_min: model === 'content-only' ? plain!.wallMs / 60_000 : model === 'id-only' ? 0 : aligned.wallMs / 60_000,
    epochs: model === 'content-only' ? plain!.history.length : aligned.history.length,
    align_weight: train.alignWeight,
    align_tau: train.alignTau,
    mix_content: aligned.mix.content,
  },
  mixValid: aligned.mix.valid,
  itemAlign: model === 'content-only' ? undefined : aligned.itemAlign,
  encoder: `${proto.encoder}${o.image === false ? ' (image dropped)' : ''}${o.text === false ? ' (text dropped)' : ''}`,
  tasks: { it: train.itWeight, sa: train.saWeight },
  config: (model === 'content-only' ? plain! : aligned).config,
  curve: (model === 'content-only' ? plain! : aligned).history.map((e) => ({ epoch: e.epoch, minutes: e.minutes, loss: e.loss, parts: e.parts, valid_ndcg10: e.validNdcg10 })),
  filterSeen: proto.filterSeen,
  load1_at_end: loadavg()[0],
  command: `npm run bench:molar -- ${process.argv.slice(2).join(' ')}`.trim(),
  date: BENCH_DATE,
  machine: BENCH_MACHINE,
}));
await recordBench(String(o.name), rows, (r) => {
  const m = r.metrics as Record<string, number>;
  const f = (x: number) => x.toFixed(4);
  return `test, filterSeen=${r.filterSeen}, users ${m.test_users}: NDCG@10 ${f(m['ndcg@10'])}, Recall@10 ${f(m['recall@10'])}, NDCG@20 ${f(m['ndcg@20'])}, Recall@20 ${f(m['recall@20'])}, MRR ${f(m.mrr)}; ${r.encoder}; SASRec ${m.sasrec_min.toFixed(1)} min (0 = loaded), content ${m.molar_min.toFixed(1)} min / ${m.epochs} epochs, α ${m.align_weight}, τ ${m.align_tau}, IT ${(r.tasks as Record<string, number>).it}, SA ${(r.tasks as Record<string, number>).sa}, mix w ${m.mix_content} (valid ${JSON.stringify(r.mixValid)}); encoding ${m.encode_min.toFixed(1)} min (cached, not counted)`;
});
for (const r of rows) console.error(r.model, JSON.stringify(r.metrics));
