import path from 'node:path';
import type { Command } from 'commander';
import { buildBundle, defaultSteps, type BuildStep } from '../../bundle/build.js';
import { addDataOptions, loadFromOptions, positiveInt, type DataOptions } from '../data-options.js';
import { progressBar } from '../progress.js';

interface BuildOptions extends DataOptions {
  out: string;
  allData?: boolean;
  images: boolean;
  overwrite?: boolean;
  window?: number;
  topN?: number;
  /** false with --no-train: skip steps that train models (sasrec) */
  train: boolean;
  /** --encode <encoderId>: also write item_vectors.bin (encodeStep) so the browser's addItems() works */
  encode?: string;
}

/**
 * Steps other modules contribute (SASRec training, item-vector encoding) register here from their
 * own command module, so this file need not change: `extraBuildSteps.push(step)`.
 */
export const extraBuildSteps: BuildStep[] = [];

export function register(program: Command): void {
  const cmd = program
    .command('build')
    .description('read a catalog and interaction log, fit the baseline models and write a bundle folder')
    .requiredOption('--out <dir>', 'bundle folder to create (written atomically)')
    .option('--name <name>', 'bundle name (default: the data set name)');
  addDataOptions(cmd, true)
    .option('--all-data', 'fit on every interaction (production); default fits on leave-one-out training prefixes so `molar eval` stays honest')
    .option('--no-images', 'do not copy catalog images into the bundle')
    .option('--overwrite', 'replace an existing bundle at --out')
    .option('--window <n>', 'co-occurrence window (following items)', (v) => positiveInt(v, '--window'))
    .option('--top-n <n>', 'co-occurrence neighbours kept per item', (v) => positiveInt(v, '--top-n'))
    .option('--no-train', 'skip training the SASRec model (it trains by default, with early stopping)')
    .option('--encode <encoderId>', 'also encode item vectors (e.g. "use-lite", "use-lite+mobilenetv2") for cold start with addItems()')
    .action(async (o: BuildOptions) => {
      // loaded only when asked: the encoders pull in tfjs and model files
      const encode = o.encode ? [(await import('../../encoders/build-step-node.js')).encodeStep({ encoder: o.encode })] : [];
      const loaded = await loadFromOptions(o);
      for (const w of loaded.dataset.warnings) process.stderr.write(`warning: ${w}\n`);
      const bar = progressBar('build');
      const cooccurrence = { ...(o.window ? { window: o.window } : {}), ...(o.topN ? { topN: o.topN } : {}) };
      try {
        const m = await buildBundle({
          out: path.resolve(o.out),
          name: o.name ?? loaded.dataset.name,
          dataset: loaded.dataset,
          catalog: loaded.catalog,
          catalogDir: loaded.catalogDir,
          steps: [...defaultSteps, ...extraBuildSteps, ...encode],
          trainOn: o.allData ? 'all' : 'leave-one-out-train',
          options: { images: o.images, cooccurrence, ...(o.train === false ? { sasrec: false } : {}) },
          overwrite: o.overwrite,
          source: loaded.source,
          kcore: loaded.spec.kcore,
          log: (msg) => process.stderr.write(`${msg}\n`),
          onProgress: (step, done, total) => bar.update(done, total, step),
        });
        bar.stop();
        const bytes = Object.values(m.files).reduce((s, f) => s + f.bytes, 0);
        process.stdout.write(
          `wrote ${o.out}: ${m.numItems} items, ${m.stats?.users} users, ${m.stats?.interactions} interactions, ` +
            `models ${m.models.map((x) => x.kind).join(', ')}, ${Object.keys(m.files).length} files, ${(bytes / 1e6).toFixed(2)} MB\n`,
        );
      } finally {
        bar.stop();
      }
    });
}
