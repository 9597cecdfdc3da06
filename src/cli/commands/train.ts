import path from 'node:path';
import { Option, type Command } from 'commander';
import type { Manifest, SasrecEntry } from '../../bundle/manifest.js';
import type { LeaveOneOutSplit } from '../../data/types.js';
import { readSasrecCheckpoint } from '../../train/import-checkpoint.js';
import { MolarError } from '../../errors.js';
import { MOLAR_FLAGS } from '../../models/content/flags.js';
import { SASREC_FLAGS } from '../../models/sasrec/flags.js';
import { RERANK_EXAMPLES, type RerankExamples } from '../../models/msr/config.js';
import { leaveOneOut } from '../../data/split.js';
import { writeBundle, type BundleFile } from '../../bundle/write.js';
import { SASREC_FILE, sasrecBuildStep, sasrecEntry, trainForBuild } from '../../train/build-step.js';
import { useNodeBackend } from '../../train/backend-node.js';
import { chooseAgain } from '../../eval/choose-step-node.js';
import { openBundleDir } from '../bundle-node.js';
import { addDataOptions, loadForBundle, positiveInt, type DataOptions } from '../data-options.js';
import { addFlagTable, parseNumber } from '../flag-table.js';
import { extraBuildSteps } from './build.js';
import { trainMolarIntoBundle } from './train-molar.js';
import { trainMsrIntoBundle } from './train-msr.js';
import { itemTagsStep } from '../../summary/tags-build-step.js';

// `molar build` trains SASRec by default; `molar build --no-train` skips it.
extraBuildSteps.push(sasrecBuildStep);
// with --encode and catalog attributes, every item's tags (MLLM-MSR stage 1; fitted in seconds, not a training step)
extraBuildSteps.push(itemTagsStep());

/** The flags that are not SASRec config fields (those come from models/sasrec/flags.ts). */
interface TrainOptions extends DataOptions {
  bundle: string;
  model: 'sasrec' | 'molar' | 'msr';
  minutes?: number;
  workers?: number;
  keepSeen?: boolean;
  positionWeighting?: boolean;
  weightAverage?: string;
  fromCheckpoint?: string;
  itemUpdates?: 'auto' | 'dense' | 'sparse';
  rerankExamples?: RerankExamples;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model on a bundle\'s data and write its checkpoint into the bundle (early stopping on valid NDCG@10): SASRec, or with --model molar the Molar content model')
    .requiredOption('--bundle <dir>', 'bundle folder written by `molar build`; rewritten atomically with the trained model added')
    .addOption(new Option('--model <kind>', 'sasrec; molar: the content model over the bundle\'s item vectors (needs `molar build --encode`), aligned to its sasrec; msr: MLLM-MSR\'s preference summary and re-ranker over the bundle\'s best model and its item vectors').choices(['sasrec', 'molar', 'msr']).default('sasrec'));
  addDataOptions(cmd, false);
  const configOf = addFlagTable(cmd, SASREC_FLAGS);
  const molarOf = addFlagTable(cmd, MOLAR_FLAGS);
  cmd
    .option('--minutes <m>', 'wall time of the whole command, loading and writing included (default: none, early stopping decides); the best checkpoint so far is kept', (v) => parseNumber(v, '--minutes', true))
    .option('--keep-seen', 'repeats are recommendable: validate with seen items in the ranking and keep them among the negatives (RecBole protocol); default removes them, as `molar eval`')
    .option('--no-position-weighting', 'weigh each batch the same instead of each training position')
    .option('--weight-average <decay>', 'validate and keep a moving average of the weights, this decay per step (e.g. 0.99)')
    .option('--workers <n>', 'training threads (data-parallel; default: cores, at most 4)', (v) => positiveInt(v, '--workers'))
    .addOption(new Option('--item-updates <how>', 'how the item table trains: auto (dense while it fits tfjs-wasm\'s heap, else by the rows each batch reads, on one thread), dense, or sparse (by rows: faster on large catalogs, lazy Adam)').choices(['auto', 'dense', 'sparse']).default('auto'))
    .addOption(new Option('--rerank-examples <source>', "--model msr: what the re-ranker trains on: valid-fold (default: the validation example of 75% of the users, seeded, scored by a first stage that never trained on it; the other users' validation early-stops and chooses the weight) or train-prefix (each user's last training item: a target the first stage trained on)").choices([...RERANK_EXAMPLES]))
    .option('--from-checkpoint <dir>', 'import a SASRec trained elsewhere instead of training (entry.json + sasrec.bin, as bench/torch_reference.py export writes them) for catalogs too large to train here; --interactions chooses the served model again')
    .action(async (o: TrainOptions) => {
      const bundle = await openBundleDir(path.resolve(o.bundle));
      const { manifest } = bundle;
      // the bundle's item table fixes the ids, so the model scores the bundle's items
      const { dataset } = await loadForBundle(o, bundle);
      if (o.fromCheckpoint && o.model !== 'sasrec') throw new MolarError('BAD_INPUT', 'imports a SASRec checkpoint (--model sasrec) only', { field: '--from-checkpoint' });
      if (o.rerankExamples && o.model !== 'msr') throw new MolarError('BAD_INPUT', 'configures --model msr only', { field: '--rerank-examples' });
      const config = configOf(o as unknown as Record<string, unknown>);
      const molarFlags = molarOf(o as unknown as Record<string, unknown>);
      if (o.model === 'msr') {
        const stray = [...Object.keys(config), ...Object.keys(molarFlags)][0];
        if (stray || o.positionWeighting === false || o.weightAverage !== undefined) throw new MolarError('BAD_INPUT', 'configures another model, not --model msr', { field: stray ?? (o.weightAverage !== undefined ? '--weight-average' : '--no-position-weighting') });
        process.stdout.write(`${await trainMsrIntoBundle(bundle, dataset, { minutes: o.minutes, keepSeen: o.keepSeen, ...(o.rerankExamples ? { train: { rerankExamples: o.rerankExamples } } : {}) })} into ${o.bundle}\n`);
        return;
      }
      if (o.model === 'molar') {
        if (o.positionWeighting === false || o.weightAverage !== undefined) throw new MolarError('BAD_INPUT', 'applies to --model sasrec only', { field: o.weightAverage !== undefined ? '--weight-average' : '--no-position-weighting' });
        process.stdout.write(`${await trainMolarIntoBundle(bundle, dataset, { sasrec: config, molar: molarFlags }, { minutes: o.minutes, workers: o.workers, keepSeen: o.keepSeen, log: (m) => process.stderr.write(`${m}\n`) })} into ${o.bundle}\n`);
        return;
      }
      const stray = Object.keys(molarFlags)[0];
      if (stray) throw new MolarError('BAD_INPUT', `${stray} configures --model molar only`, { field: stray });
      const decay = o.weightAverage === undefined ? undefined : Number(o.weightAverage);
      if (decay !== undefined && !(decay > 0 && decay < 1)) throw new MolarError('BAD_INPUT', `expected a decay in (0, 1), got ${JSON.stringify(o.weightAverage)}`, { field: '--weight-average' });
      // the backend loads here (trainForBuild's call is then a no-op), so --minutes counts its start-up too
      await useNodeBackend();
      const split = leaveOneOut(dataset.sequences);
      if (o.fromCheckpoint) {
        const given = Object.keys(config)[0] ?? (o.minutes !== undefined ? '--minutes' : o.weightAverage !== undefined ? '--weight-average' : undefined);
        if (given) throw new MolarError('BAD_INPUT', 'configures training; --from-checkpoint imports weights trained elsewhere', { field: given });
        const { entry, data } = await readSasrecCheckpoint(path.resolve(o.fromCheckpoint), manifest.numItems);
        const served = await writeSasrecInto(bundle, split, dataset.sequences, entry, data, !o.keepSeen);
        process.stdout.write(`imported sasrec (${entry.config.hidden}-d, ${entry.config.blocks} blocks) from ${o.fromCheckpoint}; wrote ${SASREC_FILE} into ${o.bundle}\nserved: ${served.kind}: ${served.reason}\n`);
        return;
      }
      const minutes = o.minutes === undefined ? undefined : trainingMinutes(o.minutes, manifest);
      const r = await trainForBuild({ split, dataset, progress: () => {}, log: (m) => process.stderr.write(`${m}\n`) }, { config, minutes, workers: o.workers, keepSeen: o.keepSeen, positionWeighting: o.positionWeighting, weightAverage: decay, itemUpdates: o.itemUpdates });
      const served = await writeSasrecInto(bundle, split, dataset.sequences, sasrecEntry(r), r.weights.data, !o.keepSeen);
      process.stdout.write(
        `trained sasrec (${r.config.loss}) on ${r.backend}: ${r.history.length} epochs, best ${r.bestEpoch}, valid NDCG@10 ${r.bestValid?.['ndcg@10']?.toFixed(4) ?? '-'}, ` +
          `${(r.wallMs / 60_000).toFixed(1)} min, stopped by ${r.stoppedBy}; wrote ${SASREC_FILE} into ${o.bundle}\nserved: ${served.kind}: ${served.reason}\n`,
      );
    });
}

/**
 * Writes a SASRec (entry + weight blob) into the bundle folder in place of its old one, every other
 * file copied, and chooses the served model again among the new set (on the validation split).
 */
async function writeSasrecInto(bundle: Awaited<ReturnType<typeof openBundleDir>>, split: LeaveOneOutSplit, sequences: Int32Array[], entry: SasrecEntry, data: Float32Array, filterSeen: boolean) {
  const { manifest } = bundle;
  const files = new Map<string, BundleFile>();
  for (const name of Object.keys(manifest.files)) if (name !== manifest.itemsFile && name !== SASREC_FILE) files.set(name, { copyFrom: path.join(bundle.dir, name) });
  files.set(SASREC_FILE, { data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
  // the bundle's served model was chosen among the old models: choose again among the new ones
  const { models, served } = await chooseAgain({ name: manifest.name, numItems: manifest.numItems, models: [...manifest.models.filter((m) => m.kind !== 'sasrec'), entry], files, split, sequences, filterSeen });
  await writeBundle({ out: bundle.dir, name: manifest.name, items: bundle.items, files, models, served, stats: manifest.stats, overwrite: true });
  return served;
}

/**
 * `--minutes` is the command's wall time, so what has passed since the process started (tsx, tfjs,
 * reading the log) and what writing the bundle back will take come off the training budget. The
 * write estimate is generous: a second, 2 ms a file and 50 MB/s for the bytes copied.
 */
function trainingMinutes(minutes: number, manifest: Manifest): number {
  const files = Object.values(manifest.files);
  const writeMs = 1000 + 2 * files.length + files.reduce((s, f) => s + f.bytes, 0) / 50_000;
  const left = minutes * 60_000 - performance.now() - writeMs;
  if (left <= 0) {
    throw new MolarError('BAD_INPUT', `leaves no time to train: ${(performance.now() / 1000).toFixed(1)} s went on starting and loading, and writing the bundle needs about ${(writeMs / 1000).toFixed(1)} s`, { field: '--minutes' });
  }
  return left / 60_000;
}
