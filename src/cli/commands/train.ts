import path from 'node:path';
import type { Command } from 'commander';
import { MolarError } from '../../errors.js';
import type { LrSchedule, SasrecBlock, SasrecConfig, SasrecInit, SasrecLoss, SasrecPositions } from '../../models/sasrec/config.js';
import { leaveOneOut } from '../../data/split.js';
import { buildSequences } from '../../data/sequences.js';
import { loadSpecInteractions } from '../../data/load-node.js';
import { writeBundle, type BundleFile } from '../../bundle/write.js';
import { SASREC_FILE, sasrecBuildStep, sasrecEntry, trainForBuild } from '../../train/build-step.js';
import { openBundleDir } from '../bundle-node.js';
import { addDataOptions, positiveInt, specFromOptions, type DataOptions } from '../data-options.js';
import { extraBuildSteps } from './build.js';

// `molar build` trains SASRec by default; `molar build --no-train` skips it.
extraBuildSteps.push(sasrecBuildStep);

interface TrainOptions extends DataOptions {
  bundle: string;
  loss?: SasrecLoss;
  negatives?: number;
  maxLen?: number;
  hidden?: number;
  ffnInner?: number;
  blocks?: number;
  block?: string;
  init?: string;
  positions?: string;
  heads?: number;
  epochs?: number;
  patience?: number;
  batchSize?: number;
  lr?: string;
  lrSchedule?: string;
  warmupSteps?: number;
  seed?: number;
  minutes?: string;
  workers?: number;
  dropout?: string;
  keepSeen?: boolean;
  repeatBias?: boolean;
  positionWeighting?: boolean;
  weightAverage?: string;
}

export function register(program: Command): void {
  const cmd = program
    .command('train')
    .description('train the SASRec sequence model on a bundle\'s data and write its checkpoint into the bundle (early stopping on valid NDCG@10)')
    .requiredOption('--bundle <dir>', 'bundle folder written by `molar build`; rewritten atomically with the sasrec model added');
  addDataOptions(cmd, false)
    .option('--loss <loss>', 'bce | gbce | ce | sampled-ce')
    .option('--negatives <n>', 'negatives per positive (sampled losses)', (v) => positiveInt(v, '--negatives'))
    .option('--max-len <n>', 'most recent items read (default 200 for long histories, else 50)', (v) => positiveInt(v, '--max-len'))
    .option('--hidden <n>', 'embedding width', (v) => positiveInt(v, '--hidden'))
    .option('--ffn-inner <n>', 'feed-forward inner width (default: --hidden, as SASRec; RecBole uses 4 × hidden)', (v) => positiveInt(v, '--ffn-inner'))
    .option('--blocks <n>', 'self-attention blocks', (v) => positiveInt(v, '--blocks'))
    .option('--heads <n>', 'attention heads', (v) => positiveInt(v, '--heads'))
    .option('--block <b>', "block wiring: sasrec (the paper's: keys and values read the un-normalised input) | pre-ln")
    .option('--init <i>', 'weight init: normal (N(0, 0.02²), RecBole / SASRec+) | xavier')
    .option('--positions <p>', 'count learned positions from-newest | from-oldest (SASRec+)')
    .option('--epochs <n>', 'epoch cap (early stopping usually ends sooner)', (v) => positiveInt(v, '--epochs'))
    .option('--patience <n>', 'epochs without a better valid NDCG@10 before stopping', (v) => positiveInt(v, '--patience'))
    .option('--batch-size <n>', 'users per batch', (v) => positiveInt(v, '--batch-size'))
    .option('--lr <x>', 'Adam learning rate')
    .option('--lr-schedule <s>', 'constant | cosine (decays to 0 over --epochs) | cosine-time (decays to 0 over --minutes, then stops)')
    .option('--warmup-steps <n>', 'steps over which the learning rate rises linearly to its schedule (default: none)', (v) => positiveInt(v, '--warmup-steps'))
    .option('--seed <n>', 'random seed', (v) => positiveInt(v, '--seed'))
    .option('--minutes <m>', 'wall-time cap; the best checkpoint so far is kept')
    .option('--dropout <x>', 'dropout rate in [0, 1)')
    .option('--keep-seen', 'repeats are recommendable: validate with seen items in the ranking and keep them among the negatives (RecBole protocol); default removes them, as `molar eval`')
    .option('--no-repeat-bias', 'with --keep-seen: do not learn a score offset for items already in the history')
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
      const num = (v: string | undefined, flag: string): number | undefined => {
        if (v === undefined) return undefined;
        const n = Number(v);
        if (!Number.isFinite(n) || n <= 0) throw new MolarError('BAD_INPUT', `expected a positive number, got ${JSON.stringify(v)}`, { field: flag });
        return n;
      };
      const config: Partial<SasrecConfig> = Object.fromEntries(
        Object.entries({ loss: o.loss, numNegatives: o.negatives, maxLen: o.maxLen, hidden: o.hidden, ffnInner: o.ffnInner, blocks: o.blocks, block: o.block as SasrecBlock | undefined, init: o.init as SasrecInit | undefined, positions: o.positions as SasrecPositions | undefined, heads: o.heads, maxEpochs: o.epochs, patience: o.patience, batchSize: o.batchSize, learningRate: num(o.lr, '--lr'), dropout: o.dropout === undefined ? undefined : Number(o.dropout), lrSchedule: o.lrSchedule as LrSchedule | undefined, warmupSteps: o.warmupSteps, seed: o.seed, repeatBias: o.repeatBias === false ? false : undefined }).filter(([, v]) => v !== undefined),
      );
      const decay = o.weightAverage === undefined ? undefined : Number(o.weightAverage);
      if (decay !== undefined && !(decay > 0 && decay < 1)) throw new MolarError('BAD_INPUT', `expected a decay in (0, 1), got ${JSON.stringify(o.weightAverage)}`, { field: '--weight-average' });
      const r = await trainForBuild({ split: leaveOneOut(dataset.sequences), dataset, progress: () => {} }, { config, minutes: num(o.minutes, '--minutes'), workers: o.workers, keepSeen: o.keepSeen, positionWeighting: o.positionWeighting, weightAverage: decay });
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
