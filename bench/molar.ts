/**
 * `npm run bench:molar`: Molar against ID-only SASRec on ../shared/data (ML-1M: titles + genres +
 * posters, seen items removed; Amazon Scientific: text, seen items kept), test split, all users,
 * full ranking. Stages: SASRec (the ID model; or --sasrec-from a checkpoint an earlier run saved),
 * then the content model aligned to it, then the mix weight chosen on validation. Rows:
 * `id-only`, `content+align` (the aligned content model alone), `fused` (the mix), and with
 * --content-only also `content-only` (a content model trained without alignment).
 * --order joint trains the ID model on with the content model (warm-started from stage 1; rows
 * `content+align-joint`, `fused-joint`, and `id-joint`: the jointly trained SASRec alone); --order
 * both trains each order, names rows `-teacher` / `-joint`, and records in every row which order
 * the valid NDCG@10 of the fused mix chose (`chosen_order`). --no-ub: the w/o-UB ablation.
 * --align-grid α:τ,…: each pair trains the teacher order for --grid-minutes first; the best valid
 * NDCG@10 of the content model sets α and τ for the rows, which record the grid (`align_grid`).
 * Each row's `curve` is valid NDCG@10 per epoch against minutes since its stage began; the stages
 * before it took `curve_start_min` (bench/plot.ts adds it).
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
import { MOLAR_ORDERS, type MolarOrder } from '../src/models/content/config.js';
import type { PositionCount } from '../src/models/nn/positions.js';
import { DEFAULT_MIX_GRID, JOINT_VALID_MIX, trainMolar, type IdModel, type TrainMolarResult } from '../src/train/molar.js';
import { trainSasrec } from '../src/train/sasrec.js';
import { benchFeatures, benchSasrecConfig, contentModelOptions, openBenchDataset } from './molar-data.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';


const o = contentModelOptions(new Command(), { seedHelp: 'seed', name: 'molar' })
  .option('--sasrec-minutes <m>', 'ID model training budget', '29.5')
  .option('--sasrec-from <file>', 'load the ID model from a checkpoint JSON an earlier run saved (--save-sasrec)')
  .option('--save-sasrec <file>', 'save the trained ID model here')
  .option('--molar-minutes <m>', 'content model training budget', '25')
  .option('--molar-epochs <n>', 'content model epochs, exactly (an epoch-matched ablation: the rate then decays over the epochs, not the minutes; give a generous --molar-minutes)')
  .option('--align-weight <x>', 'post-alignment weight α', '0.5')
  .option('--align-tau <x>', 'post-alignment temperature τ', '0.2')
  .option('--align-grid <pairs>', 'α:τ pairs tried first (teacher order, --grid-minutes each), e.g. 0.25:0.1,0.5:0.2,1:0.5; the best valid NDCG@10 of the content model sets α and τ (overrides --align-weight/--align-tau)')
  .option('--grid-minutes <m>', 'training budget of each --align-grid point', '4')
  .option('--it-weight <x>', 'image-text task weight (0: off)', '0.1')
  .option('--sa-weight <x>', 'attribute task weight (0: off)', '0.1')
  .option('--dropout <x>', 'content model dropout', '0.2')
  .option('--item-align-steps <n>', 'item-level alignment steps before training (0: off; not for content-only)', '0')
  .option('--modality-dropout <x>', 'content model: rate at which training hides an item\'s text, image (and ID residual)', '0.1')
  .option('--fusion-inner <n>', 'fusion head inner width (0: linear)', '256')
  .option('--user-warm-start', 'with --id-residual: the content user model starts as the ID model (its blocks, positions and item rows; MolarTrainConfig.userWarmStart)')
  .option('--mix-grid <list>', 'content weights tried for the mix, comma-separated', DEFAULT_MIX_GRID.join(','))
  .option('--no-image', 'drop the image vectors (ablation)')
  .option('--no-text', 'drop the text vectors (ablation)')
  .option('--content-only', 'also train a content model without alignment (row content-only)')
  .option('--sasrec-only', 'stage 1 only: train (or load) the ID model, record its row and stop (with --save-sasrec: a checkpoint for later runs)')
  .option('--order <o>', 'teacher: align to the frozen ID model | joint: train it on with the content model | both: each, the better on valid NDCG@10 of the fused mix chosen', 'teacher')
  .option('--no-ub', 'ablation w/o UB: the next-item loss trains the content user model, not the fusion head')
  .option('--tag <t>', 'suffix of the model names (e.g. an ablation)', '')
  .parse()
  .opts();

const orders: MolarOrder[] = o.order === 'both' ? ['teacher', 'joint'] : [o.order as MolarOrder];
if (!orders.every((x) => (MOLAR_ORDERS as readonly string[]).includes(x))) throw new Error(`--order must be teacher, joint or both, got ${JSON.stringify(o.order)}`);
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
/** the ID model's own curve (valid NDCG@10 per epoch) and its training minutes, also when loaded */
let idCurve: Record<string, unknown>[] | undefined;
let idTrainedMin = 0;
if (o.sasrecFrom) {
  const saved = JSON.parse(await readFile(String(o.sasrecFrom), 'utf8'));
  id = { config: saved.config, weights: saved.weights, data: Float32Array.from(saved.data) };
  idCurve = saved.curve;
  idTrainedMin = Number(saved.minutes ?? 0);
} else {
  const t = Date.now();
  const r = await trainSasrec({
    split, sequences, numItems, filterSeen: proto.filterSeen, validUsers: Number(o.validUsers), timeBudgetMs: Number(o.sasrecMinutes) * 60_000, progress: true, workers: Number(o.workers),
    config: benchSasrecConfig(name, proto.maxLen, seed),
    onEpoch: (e) => console.error(`sasrec epoch ${e.epoch} loss ${e.loss.toFixed(4)} valid ${e.validNdcg10?.toFixed(4)} at ${e.minutes.toFixed(1)} min`),
  });
  sasrecMin = (Date.now() - t) / 60_000;
  idTrainedMin = sasrecMin;
  idCurve = r.history.map((e) => ({ epoch: e.epoch, minutes: e.minutes, loss: e.loss, valid_ndcg10: e.validNdcg10 }));
  id = { config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs, data: r.weights.data };
  if (o.saveSasrec) await writeFile(String(o.saveSasrec), JSON.stringify({ config: id.config, weights: id.weights, data: Array.from(id.data), minutes: sasrecMin, curve: idCurve }));
}

// stage 2: the content model in each order asked for (and, with --content-only, one without alignment)
// --molar-epochs: every content model trains that many epochs, its rate decaying over them, so runs compare by epochs
const byEpochs = o.molarEpochs !== undefined;
let train = { maxEpochs: byEpochs ? Number(o.molarEpochs) : 200, alignWeight: Number(o.alignWeight), alignTau: Number(o.alignTau), itWeight: Number(o.itWeight), saWeight: Number(o.saWeight), learningRate: Number(o.lr), batchSize: Number(o.batch), itemAlignSteps: Number(o.itemAlignSteps), idLrFactor: Number(o.idLrFactor), patience: 100, lrSchedule: byEpochs ? ('cosine' as const) : ('cosine-time' as const), warmupSteps: 100, ubToHead: o.ub !== false };
const warmStart = (idModel: IdModel | undefined) => o.userWarmStart === true && idModel !== undefined;
const molar = (idModel: IdModel | undefined, order: MolarOrder, minutes = Number(o.molarMinutes)) => trainMolar({
  split, sequences, numItems, features, idModel,
  // the user-level warm start copies SASRec's blocks: the content model takes their shapes
  config: { maxLen: proto.maxLen, hidden: Number(id.config.hidden), dropout: Number(o.dropout), modalityDropout: Number(o.modalityDropout), fusionInner: Number(o.fusionInner), idResidual: o.idResidual === true, seed, ...(warmStart(idModel) ? { blocks: Number(id.config.blocks), heads: Number(id.config.heads), positions: id.config.positions as PositionCount } : {}) },
  train: { ...train, order, userWarmStart: warmStart(idModel), ...(idModel ? {} : { itemAlignSteps: 0 }) }, mixGrid: String(o.mixGrid).split(',').map(Number), filterSeen: proto.filterSeen, validUsers: Number(o.validUsers), timeBudgetMs: minutes * 60_000, workers: Number(o.workers), progress: true,
  onEpoch: (e) => console.error(`content (${order}, α ${train.alignWeight}, τ ${train.alignTau}) epoch ${e.epoch} loss ${e.loss.toFixed(4)} ${JSON.stringify(e.parts)} valid ${e.validNdcg10?.toFixed(4)} at ${e.minutes.toFixed(1)} min`),
});
// α and τ chosen on validation: each grid point trains the teacher order briefly; the content
// model's own best valid NDCG@10 decides (the fused mix's valid figure is dominated by the ID side)
const alignGrid: { alpha: number; tau: number; valid_ndcg10: number; epochs: number }[] = [];
if (o.alignGrid) {
  const pairs = String(o.alignGrid).split(',').map((p) => p.split(':').map(Number));
  if (!pairs.every((p) => p.length === 2 && p[0] >= 0 && p[1] > 0)) throw new Error(`--align-grid must be α:τ pairs (α ≥ 0, τ > 0), comma-separated, got ${JSON.stringify(o.alignGrid)}`);
  for (const [alpha, tau] of pairs) {
    train = { ...train, alignWeight: alpha, alignTau: tau };
    const r = await molar(id, 'teacher', Number(o.gridMinutes));
    alignGrid.push({ alpha, tau, valid_ndcg10: r.bestValid?.['ndcg@10'] ?? 0, epochs: r.history.length });
  }
  const best = alignGrid.reduce((b, g) => (g.valid_ndcg10 > b.valid_ndcg10 ? g : b));
  train = { ...train, alignWeight: best.alpha, alignTau: best.tau };
  console.error(`α/τ chosen on valid NDCG@10 of the content model: α ${best.alpha}, τ ${best.tau} (${alignGrid.map((g) => `${g.alpha}:${g.tau} ${g.valid_ndcg10.toFixed(4)}`).join(', ')})`);
}
const runs: TrainMolarResult[] = [];
if (!o.sasrecOnly) for (const order of orders) runs.push(await molar(id, order));
const plain = o.contentOnly && !o.sasrecOnly ? await molar(undefined, 'teacher') : undefined;
// the order kept: the best valid NDCG@10 of the fused mix (each at its own chosen weight)
const fusedValid = (r: TrainMolarResult) => r.mix.valid[String(r.mix.content)];
const chosen = runs.length ? runs.reduce((b, r) => (fusedValid(r) > fusedValid(b) ? r : b)) : undefined;
if (chosen && runs.length > 1) console.error(`order chosen on valid NDCG@10 of the fused mix: ${chosen.order} (${runs.map((r) => `${r.order} ${fusedValid(r).toFixed(4)}`).join(', ')})`);

// test: every variant from one pass over the test users
const sasrec = SasrecModel.fromEntry(id, id.data);
const contentOf = (r: TrainMolarResult) => {
  const m = ContentModel.fromSaved({ config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs }, r.weights.data, features);
  m.freeze();
  return m;
};
/** model name → the run it belongs to (none: the stage-1 ID model), and what it scores */
interface Variant { run?: TrainMolarResult; score: (h: Int32Array[]) => Promise<Float32Array[]> }
const variants = new Map<string, Variant>();
const sI = sequentialScorer(sasrec);
variants.set('id-only', { score: (h) => sI.score(h) });
for (const r of runs) {
  const sfx = runs.length > 1 || r.order === 'joint' ? `-${r.order}` : '';
  const c = sequentialScorer(contentOf(r), { owns: true });
  const d = r.id ? sequentialScorer(SasrecModel.fromEntry({ config: r.id.config as unknown as Record<string, unknown>, weights: r.id.weights.specs }, r.id.weights.data), { owns: true }) : sI;
  variants.set(`content+align${sfx}`, { run: r, score: (h) => c.score(h) });
  if (r.id) variants.set(`id${sfx}`, { run: r, score: (h) => d.score(h) });
  variants.set(`fused${sfx}`, { run: r, score: async (h) => { const [a, b] = [await c.score(h), await d.score(h)]; return a.map((row, i) => mixScores(row, b[i], r.mix.content)); } });
}
if (plain) {
  const p = sequentialScorer(contentOf(plain), { owns: true });
  variants.set('content-only', { run: plain, score: (h) => p.score(h) });
}
const test = await evaluateVariants({
  async score(h) {
    const out: Record<string, Float32Array[]> = {};
    for (const [k, v] of variants) out[k] = await v.score(h);
    return out;
  },
}, split, sequences, { split: 'test', ks: [10, 20], filterSeen: proto.filterSeen, batchSize: 128 });
const rows: BenchRow[] = Object.entries(test).map(([model, r]) => {
  const run = variants.get(model)!.run;
  const shown = run ?? runs[0];
  return {
    benchmark: 'molar',
    dataset: name,
    model: `${model}${o.tag ? `-${o.tag}` : ''}`,
    metrics: {
      ...r.metrics,
      test_users: r.users,
      encode_min: encodeMin,
      sasrec_min: sasrecMin,
      molar_min: run ? run.wallMs / 60_000 : 0,
      epochs: run ? run.history.length : 0,
      align_weight: run === plain ? 0 : train.alignWeight,
      align_tau: train.alignTau,
      mix_content: shown ? shown.mix.content : 0,
    },
    order: run && run !== plain ? run.order : undefined,
    chosen_order: chosen?.order,
    ub_to_head: train.ubToHead,
    mixValid: shown?.mix.valid,
    align_grid: alignGrid.length ? { minutes_each: Number(o.gridMinutes), points: alignGrid } : undefined,
    itemAlign: run && run !== plain ? run.itemAlign : undefined,
    id_lr_factor: run?.config.idResidual ? run.train.idLrFactor : undefined,
    user_warm_start: run?.train.userWarmStart || undefined,
    encoder: `${proto.encoder}${o.image === false ? ' (image dropped)' : ''}${o.text === false ? ' (text dropped)' : ''}`,
    tasks: { it: train.itWeight, sa: train.saWeight },
    config: run ? run.config : id.config,
    // the stage-1 ID model: its own curve; a content run: its curve after the ID model's minutes
    curve: run ? run.history.map((e) => ({ epoch: e.epoch, minutes: e.minutes, loss: e.loss, parts: e.parts, valid_ndcg10: e.validNdcg10 })) : idCurve,
    // content-only trains without the ID model, so its curve starts at 0
    curve_start_min: run && run !== plain ? idTrainedMin : 0,
    curve_of: !run ? 'the ID model (SASRec) alone' : run.order === 'joint' ? `the mix at content weight ${JOINT_VALID_MIX} (joint training validates both models)` : 'the content model alone',
    filterSeen: proto.filterSeen,
    load1_at_end: loadavg()[0],
    command: `npm run bench:molar -- ${process.argv.slice(2).join(' ')}`.trim(),
    date: BENCH_DATE,
    machine: BENCH_MACHINE,
  };
});
/** the α/τ grid in a row's text: each point's valid NDCG@10 */
const grid = (r: BenchRow) => {
  const g = r.align_grid as { minutes_each: number; points: typeof alignGrid } | undefined;
  return g && !String(r.model).startsWith('content-only') ? ` (chosen on valid from α:τ ${g.points.map((p) => `${p.alpha}:${p.tau} ${p.valid_ndcg10.toFixed(4)}`).join(', ')}; ${g.minutes_each} min each)` : '';
};
await recordBench(String(o.name), rows, (r) => {
  const m = r.metrics as Record<string, number>;
  const f = (x: number) => x.toFixed(4);
  const order = r.order ? `, order ${r.order}${orders.length > 1 ? ` (chosen on valid: ${r.chosen_order})` : ''}` : '';
  return `test, filterSeen=${r.filterSeen}, users ${m.test_users}: NDCG@10 ${f(m['ndcg@10'])}, Recall@10 ${f(m['recall@10'])}, NDCG@20 ${f(m['ndcg@20'])}, Recall@20 ${f(m['recall@20'])}, MRR ${f(m.mrr)}; ${r.encoder}; SASRec ${m.sasrec_min.toFixed(1)} min (0 = loaded), content ${m.molar_min.toFixed(1)} min / ${m.epochs} epochs${order}, α ${m.align_weight}, τ ${m.align_tau}${grid(r)}, IT ${(r.tasks as Record<string, number>).it}, SA ${(r.tasks as Record<string, number>).sa}${r.ub_to_head ? '' : ', UB not into the head (w/o UB)'}${r.id_lr_factor !== undefined ? `, ID residual at ${r.id_lr_factor}× the rate` : ''}${r.user_warm_start ? ', user model warm-started as SASRec' : ''}, mix w ${m.mix_content} (valid ${JSON.stringify(r.mixValid)}); encoding ${m.encode_min.toFixed(1)} min (cached, not counted)`;
});
for (const r of rows) console.error(r.model, JSON.stringify(r.metrics));
