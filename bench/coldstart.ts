/**
 * `npm run bench:coldstart`: Molar's cold start, measured. 10% of the items (seeded) are held out
 * of all training: their events leave every training sequence, and they leave every softmax too, so
 * no model ever sees them as targets or negatives. The users whose test item (their last) is a
 * held-out item are then ranked over the whole catalog: the content model scores the held-out
 * items from their vectors alone. Baselines: random, popularity (fitted on the same training data,
 * so held-out items have none), and SASRec trained on the same data (it has no embedding worth the
 * name for them). Protocol: full ranking, seen items removed as for ML-1M (kept for Amazon).
 * --teacher (Molar's way): SASRec is trained first (the same warm data) and the content model
 * aligns to it: item-level alignment of the fusion head to SASRec's rows of the warm items only
 * (train/molar-item-align.ts), then post-alignment; row `content+align`. Without --teacher, or
 * with --plain too, a content model trained alone: row `content`.
 */
import { Command } from 'commander';
import type { LeaveOneOutSplit } from '../src/data/types.js';
import { leaveOneOut } from '../src/data/split.js';
import { evaluateVariants } from '../src/eval/evaluate.js';
import { ContentModel } from '../src/models/content/model.js';
import { SasrecModel } from '../src/models/sasrec/model.js';
import { mulberry32, shuffleInPlace } from '../src/random.js';
import { sequentialScorer } from '../src/score/scorer.js';
import { trainMolar, type IdModel } from '../src/train/molar.js';
import { trainSasrec } from '../src/train/sasrec.js';
import { benchFeatures, benchSasrecConfig, contentModelOptions, openBenchDataset } from './molar-data.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';

// --id-residual: held-out items have no residual and are scored from content alone
const o = contentModelOptions(new Command(), { seedHelp: 'seed of the held-out draw and the models', name: 'coldstart' })
  .option('--held-out <x>', 'share of items held out of training', '0.1')
  .option('--content-minutes <m>', 'content model training budget', '15')
  .option('--id-minutes <m>', 'SASRec training budget (0: skip the ID baseline; --teacher needs one)', '5')
  .option('--teacher', 'align the content model to the SASRec trained here (item-level alignment + post-alignment)')
  .option('--plain', 'with --teacher: also train a content model alone (row content)')
  .option('--item-align-steps <n>', 'with --teacher: item-level alignment steps', '1500')
  .parse()
  .opts();

const name = String(o.dataset);
const { proto, loaded } = await openBenchDataset(name);
const seed = Number(o.seed);
const { dataset } = loaded;
const n = dataset.numItems;
const { features, encodeMin } = await benchFeatures(name, proto.encoder, loaded, { image: true, text: true });

// the held-out items (seeded Fisher-Yates), and every training sequence without them
const ids = shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i + 1), mulberry32(seed ^ 0xc01d));
const heldOut = ids.slice(0, Math.round(n * Number(o.heldOut)));
const cold = new Set(heldOut);
const warm = dataset.sequences.map((s) => s.filter((i) => !cold.has(i)));
const warmSplit = leaveOneOut(warm);
// test: the users whose last item is held out, ranked from everything before it (held-out items in
// the history stay: the content model reads them from their vectors)
const test: LeaveOneOutSplit = { train: dataset.sequences.map((s) => s.subarray(0, Math.max(0, s.length - 2))), valid: new Int32Array(dataset.sequences.length), test: Int32Array.from(dataset.sequences, (s) => (s.length >= 3 && cold.has(s[s.length - 1]) ? s[s.length - 1] : 0)) };
const coldUsers = test.test.filter((t) => t !== 0).length;
// random's expected Recall@20, of which the random row is one draw: 20 of the items each user's ranking holds
// (the history, everything before the target, leaves it when seen items are removed)
const ranked = (u: number) => n - (proto.filterSeen ? new Set(dataset.sequences[u].subarray(0, dataset.sequences[u].length - 1)).size : 0);
const randomExpected = test.test.reduce((a, t, u) => a + (t ? Math.min(1, 20 / ranked(u)) : 0), 0) / Math.max(1, coldUsers);
console.error(`${heldOut.length} items held out; ${coldUsers} users have a held-out test item`);

if (o.teacher && !(Number(o.idMinutes) > 0)) throw new Error('--teacher trains SASRec first: give --id-minutes > 0');
// the ID model first: the baseline, and with --teacher the content model's teacher
let idModel: IdModel | undefined;
if (Number(o.idMinutes) > 0) {
  const r = await trainSasrec({ split: warmSplit, sequences: warm, numItems: n, filterSeen: proto.filterSeen, validUsers: Number(o.validUsers), timeBudgetMs: Number(o.idMinutes) * 60_000, workers: Number(o.workers), config: benchSasrecConfig(name, proto.maxLen, seed) });
  idModel = { config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs, data: r.weights.data };
  console.error(`sasrec: ${r.history.length} epochs, best valid ${r.bestValid?.['ndcg@10']?.toFixed(4)}`);
}
const id = idModel ? SasrecModel.fromEntry(idModel, idModel.data) : undefined;
/** a content model on the warm data: alone, or aligned to the ID model */
async function content(teacher: IdModel | undefined) {
  const t0 = Date.now();
  const r = await trainMolar({
    split: warmSplit, sequences: warm, numItems: n, features, excludeItems: heldOut, idModel: teacher,
    config: { maxLen: proto.maxLen, seed, idResidual: o.idResidual === true, ...(teacher ? { hidden: Number(teacher.config.hidden) } : {}) },
    train: { lrSchedule: 'cosine-time', warmupSteps: 100, patience: 100, learningRate: Number(o.lr), batchSize: Number(o.batch), itemAlignSteps: teacher ? Number(o.itemAlignSteps) : 0, idLrFactor: Number(o.idLrFactor) },
    filterSeen: proto.filterSeen, validUsers: Number(o.validUsers), timeBudgetMs: Number(o.contentMinutes) * 60_000, workers: Number(o.workers), progress: true,
    onEpoch: (e) => console.error(`content${teacher ? '+align' : ''} epoch ${e.epoch} ${JSON.stringify(e.parts)} valid ${e.validNdcg10?.toFixed(4)} at ${e.minutes.toFixed(1)} min`),
  });
  const m = ContentModel.fromSaved({ config: r.config as unknown as Record<string, unknown>, weights: r.weights.specs }, r.weights.data, features);
  m.freeze();
  return { scorer: sequentialScorer(m, { owns: true }), minutes: (Date.now() - t0) / 60_000 };
}
const contents: Record<string, Awaited<ReturnType<typeof content>>> = {};
if (o.teacher) contents['content+align'] = await content(idModel);
if (!o.teacher || o.plain) contents.content = await content(undefined);
// popularity on the warm training data: held-out items have none
const pop = new Float32Array(n + 1);
for (const s of warmSplit.train) for (const i of s) pop[i]++;
const rand = mulberry32(seed ^ 0x7a9d);
const si = id ? sequentialScorer(id) : undefined;
const r = await evaluateVariants({
  async score(h) {
    const v: Record<string, Float32Array[]> = {
      ...Object.fromEntries(await Promise.all(Object.entries(contents).map(async ([k, c]) => [k, await c.scorer.score(h)]))),
      random: h.map(() => Float32Array.from({ length: n + 1 }, (_, i) => (i === 0 ? -Infinity : rand()))),
      // ties among the many zero-count items broken at random, not by id
      popularity: h.map(() => Float32Array.from(pop, (c, i) => (i === 0 ? -Infinity : c + rand() * 1e-3))),
    };
    if (si) v['id-only'] = await si.score(h.map((x) => x.filter((i) => !cold.has(i))));
    return v;
  },
}, test, dataset.sequences, { split: 'test', ks: [10, 20], filterSeen: proto.filterSeen, batchSize: 128 });
const random = r.random.metrics['recall@20'];
const rows: BenchRow[] = Object.entries(r).map(([model, e]) => ({
  benchmark: 'coldstart',
  dataset: name,
  model: `${model}${o.idResidual && contents[model] ? '-idres' : ''}`,
  metrics: { ...e.metrics, users: e.users, held_out_items: heldOut.length, x_random_recall20: random > 0 ? e.metrics['recall@20'] / random : 0, random_expected_recall20: randomExpected, x_expected_random_recall20: e.metrics['recall@20'] / randomExpected, content_min: contents[model]?.minutes ?? 0, id_min: Number(o.idMinutes), encode_min: encodeMin },
  filterSeen: proto.filterSeen,
  command: `npm run bench:coldstart -- ${process.argv.slice(2).join(' ')}`.trim(),
  date: BENCH_DATE,
  machine: BENCH_MACHINE,
}));
await recordBench(String(o.name), rows, (row) => {
  const m = row.metrics as Record<string, number>;
  return `${m.held_out_items} items (10%) held out of all training; ${m.users} users whose test item is one of them, full ranking, filterSeen=${row.filterSeen}: Recall@20 ${m['recall@20'].toFixed(4)} (${m.x_random_recall20.toFixed(1)}× the random row, ${m.x_expected_random_recall20.toFixed(1)}× random's expectation ${m.random_expected_recall20.toFixed(4)}), NDCG@20 ${m['ndcg@20'].toFixed(4)}, Recall@10 ${m['recall@10'].toFixed(4)}; content model ${m.content_min.toFixed(1)} min, SASRec ${m.id_min} min${String(row.model).startsWith('content+align') ? ' (its teacher)' : ''}`;
});
for (const row of rows) console.error(row.model, JSON.stringify(row.metrics));
