import path from 'node:path';
import { Option, type Command } from 'commander';
import { MolarError } from '../../errors.js';
import { MOLAR_FLAGS } from '../../models/content/flags.js';
import { SASREC_FLAGS } from '../../models/sasrec/flags.js';
import { leaveOneOut } from '../../data/split.js';
import { buildSequences } from '../../data/sequences.js';
import { loadSpecInteractions } from '../../data/load-node.js';
import { writeBundle, type BundleFile } from '../../bundle/write.js';
import { SASREC_FILE, sasrecBuildStep, sasrecEntry, trainForBuild } from '../../train/build-step.js';
import { openBundleDir } from '../bundle-node.js';
import { addDataOptions, positiveInt, specFromOptions, type DataOptions } from '../data-options.js';
import { addFlagTable, parseNumber } from '../flag-table.js';
import { extraBuildSteps } from './build.js';
import { trainMolarIntoBundle } from './train-molar.js';

// `molar build` trains SASRec by default; `molar build --no-train` skips it.
extraBuildSteps.push(sasrecBuildStep);

/** The flags that are not SASRec config fields (those come from models/sasrec/flags.ts). */
interface TrainOptions extends DataOptions {
  bundle: string;
  model: 'sasrec' | 'molar';
  minutes?: number;
  workers?: number;
  keepSeen?: boolean;
  positionWeighting?: boolean;
  weightAverage?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train a model on a bundle\'s data and write its checkpoint into the bundle (early stopping on valid NDCG@10): SASRec, or with --model molar the Molar content model')
    .requiredOption('--bundle <dir>', 'bundle folder written by `molar build`; rewritten atomically with the trained model added')
    .addOption(new Option('--model <kind>', 'sasrec, or molar: the content model over the bundle\'s item vectors (needs `molar build --encode`), aligned to its sasrec').choices(['sasrec', 'molar']).default('sasrec'));
  addDataOptions(cmd, false);
  const configOf = addFlagTable(cmd, SASREC_FLAGS);
  const molarOf = addFlagTable(cmd, MOLAR_FLAGS);
  cmd
    .option('--minutes <m>', 'wall-time cap; the best checkpoint so far is kept', (v) => parseNumber(v, '--minutes', true))
    .option('--keep-seen', 'repeats are recommendable: validate with seen items in the ranking and keep them among the negatives (RecBole protocol); default removes them, as `molar eval`')
    .option('--no-position-weighting', 'weigh each batch the same instead of each training position')
    .option('--weight-average <decay>', 'validate and keep a moving average of the weights, this decay per step (e.g. 0.99)')
    .option('--workers <n>', 'training threads (data-parallel; default: cores, at most 4)', (v) => positiveInt(v, '--workers'))
    .action(async (o: TrainOptions) => {
      const bundle = await openBundleDir(path.resolve(o.bundle));
      const { manifest } = bundle;
      const { spec, dir } = specFromOptions({ ...o, kcore: o.kcore ?? manifest.stats?.kcore });
      const interactions = await loadSpecInteractions(spec, dir);
      // the bundle's item table fixes the ids, so the model scores the bundle's items
      const dataset = buildSequences(interactions, bundle.items, { name: spec.name, kcore: spec.kcore });
      const config = configOf(o as unknown as Record<string, unknown>);
      const molarFlags = molarOf(o as unknown as Record<string, unknown>);
      if (o.model === 'molar') {
        if (o.positionWeighting === false || o.weightAverage !== undefined) throw new MolarError('BAD_INPUT', 'applies to --model sasrec only', { field: o.weightAverage !== undefined ? '--weight-average' : '--no-position-weighting' });
        process.stdout.write(`${await trainMolarIntoBundle(bundle, dataset, { sasrec: config, molar: molarFlags }, { minutes: o.minutes, workers: o.workers, keepSeen: o.keepSeen })} into ${o.bundle}\n`);
        return;
      }
      const stray = Object.keys(molarFlags)[0];
      if (stray) throw new MolarError('BAD_INPUT', `${stray} configures --model molar only`, { field: stray });
      const decay = o.weightAverage === undefined ? undefined : Number(o.weightAverage);
      if (decay !== undefined && !(decay > 0 && decay < 1)) throw new MolarError('BAD_INPUT', `expected a decay in (0, 1), got ${JSON.stringify(o.weightAverage)}`, { field: '--weight-average' });
      const r = await trainForBuild({ split: leaveOneOut(dataset.sequences), dataset, progress: () => {} }, { config, minutes: o.minutes, workers: o.workers, keepSeen: o.keepSeen, positionWeighting: o.positionWeighting, weightAverage: decay });
      const files = new Map<string, BundleFile>();
      for (const name of Object.keys(manifest.files)) if (name !== manifest.itemsFile && name !== SASREC_FILE) files.set(name, { copyFrom: path.join(bundle.dir, name) });
      files.set(SASREC_FILE, { data: new Uint8Array(r.weights.data.buffer, r.weights.data.byteOffset, r.weights.data.byteLength) });
      const models = [...manifest.models.filter((m) => m.kind !== 'sasrec'), sasrecEntry(r)];
      await writeBundle({ out: bundle.dir, name: manifest.name, items: bundle.items, files, models, stats: manifest.stats, overwrite: true });
      process.stdout.write(
        `trained sasrec (${r.config.loss}) on ${r.backend}: ${r.history.length} epochs, best ${r.bestEpoch}, valid NDCG@10 ${r.bestValid?.['ndcg@10']?.toFixed(4) ?? '-'}, ` +
          `${(r.wallMs / 60_000).toFixed(1)} min, stopped by ${r.stoppedBy}; wrote ${SASREC_FILE} into ${o.bundle}\n`,
      );
    });
}
