import { readdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { buildBundle, defaultSteps, type BuildStep } from '../../bundle/build.js';
import { HF_DTYPES, oneOf, type HfDevice, type HfDtype } from '../../config.js';
import type { EncodeStepOptions } from '../../encoders/build-step-node.js';
import type { ImageSummariesStepOptions } from '../../summary/image-summaries-step-node.js';
import { MolarError } from '../../errors.js';
import { chooseStep, type BuildReport } from '../../eval/choose-step-node.js';
import { formatReport, reportPath } from '../report.js';
import { addDataOptions, loadFromOptions, positiveInt, type DataOptions } from '../data-options.js';
import { parseNumber } from '../flag-table.js';
import { CATALOG_HELP, MODEL_KINDS_HELP } from '../help.js';
import { progressBar } from '../progress.js';

interface BuildOptions extends DataOptions {
  out: string;
  allData?: boolean;
  images: boolean;
  /** --images-root: the folder local catalog images may come from (default the catalog's folder) */
  imagesRoot?: string;
  /** --allow-remote-images: keep catalog images given as absolute URLs (another origin) */
  allowRemoteImages?: boolean;
  overwrite?: boolean;
  window?: number;
  topN?: number;
  /** false with --no-train: leave out steps that train models (BuildStep.trains: sasrec) */
  train: boolean;
  /** false with --no-molar: item vectors without the Molar model trained on them */
  molar: boolean;
  /** --rerank: train MLLM-MSR's re-ranker over the served model (msrStep) */
  rerank?: boolean;
  /** --minutes: the build's training budget (BuildContext.trainMinutes) */
  minutes?: number;
  keepSeen?: boolean;
  /** --encode <encoderId>: also write item_vectors.bin (encodeStep) so the browser's addItems() works */
  encode?: string;
  /** --model-dir: folder of encoder model folders (`<dir>/<model>/` for hf-*, `<dir>/use-lite/` …) */
  modelDir?: string;
  /** transformers.js options of hf-* encoders */
  dtype?: HfDtype;
  device?: NodeHfDevice;
  allowRemoteModels?: boolean;
  /** --image-summaries <model>: stage 1's generative provider, a transformers.js captioner (imageSummariesStep) */
  imageSummaries?: string;
}

/** transformers.js devices in Node (onnxruntime-node); wasm is the browser's */
const NODE_HF_DEVICES = ['cpu', 'webgpu'] as const satisfies readonly HfDevice[];
type NodeHfDevice = (typeof NODE_HF_DEVICES)[number];
const ENCODER_FLAGS = [['modelDir', '--model-dir'], ['dtype', '--dtype'], ['device', '--device'], ['allowRemoteModels', '--allow-remote-models']] as const;

/**
 * Steps other modules contribute (SASRec training, …) register here from their own command module,
 * so this file need not change: `extraBuildSteps.push(step)`. Where one lands in the list does not
 * matter: buildBundle runs each after the steps its `after` / `afterIfPresent` name.
 */
export const extraBuildSteps: BuildStep[] = [];

/** `molar build --minutes` when not given: what a shop can wait for on a laptop. */
export const DEFAULT_BUILD_MINUTES = 10;

export function register(program: Command): void {
  const cmd = program
    .command('build')
    .description('read a catalog and interaction log, fit the baseline models and write a bundle folder')
    .requiredOption('--out <dir>', 'bundle folder to create (written atomically)')
    .option('--name <name>', 'bundle name (default: the data set name)');
  addDataOptions(cmd, true)
    .option('--all-data', 'fit on every interaction (production); default fits on leave-one-out training prefixes so `molar eval` stays honest')
    .option('--no-images', 'do not copy catalog images into the bundle')
    .option('--images-root <dir>', "copy local images only from inside this folder (default: the catalog's folder); others are left out with a warning")
    .option('--allow-remote-images', 'keep catalog images given as absolute http(s) URLs (a CDN); default: left out with a warning, since each one tells that origin what a shopper is shown (the page must allow them too: config items.allowRemoteImages)')
    .option('--overwrite', 'replace an existing bundle at --out')
    .option('--window <n>', 'co-occurrence window (following items)', (v) => positiveInt(v, '--window'))
    .option('--top-n <n>', 'co-occurrence neighbours kept per item', (v) => positiveInt(v, '--top-n'))
    .option('--no-train', 'skip training the SASRec model (it trains by default, with early stopping)')
    .option('--no-molar', 'with --encode: keep the item vectors for cold start only, do not train the Molar content model on them')
    .option('--rerank', 'with --encode: also train the MLLM-MSR re-ranker (a preference summary over blocks of the history, re-ranking the top candidates) over the model the bundle serves; it shares --minutes')
    .option('--minutes <m>', `training budget of the whole build, in minutes (default ${DEFAULT_BUILD_MINUTES}): split evenly over the models it trains (SASRec, then Molar with --encode takes what is left); early stopping may end sooner`, (v) => parseNumber(v, '--minutes', true))
    .option('--keep-seen', "repeats are recommendable: validate and choose with the user's history items left in the ranking (RecBole protocol); default removes them")
    .option('--encode <encoderId>', 'also encode item vectors (e.g. "use-lite", "use-lite+mobilenetv2", "hf-text:<model>", "hf-text:<m>+hf-image:<m>") for cold start with addItems()')
    .option('--model-dir <dir>', 'with --encode: folder of model folders, <dir>/<model>/ for hf-text:<model> / hf-image:<model> (config.json, onnx/…), <dir>/use-lite/ for built-ins (default: built-ins from node_modules)')
    .option('--dtype <dtype>', `with --encode hf-*: transformers.js weights, one of ${HF_DTYPES.join(', ')} (default fp32); recorded in the bundle so the browser loads the same`, (v) => oneOf(v, HF_DTYPES, '--dtype', 'BAD_INPUT'))
    .option('--device <device>', `with --encode hf-*: transformers.js device in Node, one of ${NODE_HF_DEVICES.join(', ')} (default cpu)`, (v) => oneOf(v, NODE_HF_DEVICES, '--device', 'BAD_INPUT'))
    .option('--image-summaries <model>', "caption every local catalog image with a transformers.js image-to-text model (a folder under --model-dir, or a path) into the bundle's summary_images.json (MLLM-MSR stage 1); cached per image in .cache/image-summaries")
    .option('--allow-remote-models', 'with --encode hf-*: download model files missing from --model-dir from huggingface.co (off: nothing is fetched)')
    .addHelpText('after', `\n${CATALOG_HELP}\n\n${MODEL_KINDS_HELP}`)
    .action(async (o: BuildOptions) => {
      // loaded only when asked: the encoders pull in tfjs and model files
      const encode = o.encode ? [(await import('../../encoders/build-step-node.js')).encodeStep(await encodeOptions(o))] : [];
      // with item vectors, Molar's content model trains too (after SASRec, aligned to it), unless --no-molar
      if (o.encode && o.train !== false && o.molar !== false) encode.push((await import('../../train/molar-build-step.js')).molarStep());
      else if (o.encode && o.molar !== false) process.stderr.write('molar: skipped (--no-train)\n');
      if (o.rerank && !o.encode) throw new MolarError('BAD_INPUT', 'the re-ranker reads item vectors: add --encode <encoderId>', { field: '--rerank' });
      if (o.rerank && o.train === false) throw new MolarError('BAD_INPUT', 'trains the re-ranker, and --no-train trains nothing', { field: '--rerank' });
      if (o.rerank) encode.push((await import('../../train/msr-build-step.js')).msrStep());
      // an encoder flag without --encode (or --image-summaries) would be silently ignored: say so instead
      const stray = ENCODER_FLAGS.find(([k]) => !o.encode && !o.imageSummaries && o[k] !== undefined);
      if (stray) throw new MolarError('BAD_INPUT', `only applies with --encode <encoderId>, which is not given (or with --image-summaries <model>)`, { field: stray[1] });
      if (o.imageSummaries) encode.push((await import('../../summary/image-summaries-step-node.js')).imageSummariesStep(await imageSummaryOptions(o)));
      if (o.train === false && o.minutes !== undefined) throw new MolarError('BAD_INPUT', 'is a training budget, and --no-train trains nothing', { field: '--minutes' });
      const minutes = o.minutes ?? (o.train === false ? undefined : DEFAULT_BUILD_MINUTES);
      const loaded = await loadFromOptions(o);
      for (const w of loaded.dataset.warnings) process.stderr.write(`warning: ${w}\n`);
      const bar = progressBar('build');
      let report: BuildReport | undefined;
      const cooccurrence = { ...(o.window ? { window: o.window } : {}), ...(o.topN ? { topN: o.topN } : {}) };
      const skipped = o.train === false ? extraBuildSteps.filter((s) => s.trains) : [];
      for (const s of skipped) process.stderr.write(`${s.name}: skipped (--no-train)\n`);
      try {
        const m = await buildBundle({
          out: path.resolve(o.out),
          name: o.name ?? loaded.dataset.name,
          dataset: loaded.dataset,
          catalog: loaded.catalog,
          catalogDir: loaded.catalogDir,
          steps: [
            ...defaultSteps({ items: { images: o.images, allowRemoteImages: o.allowRemoteImages === true, ...(o.imagesRoot ? { imagesRoot: path.resolve(o.imagesRoot) } : {}) }, cooccurrence }),
            ...extraBuildSteps.filter((s) => !skipped.includes(s)),
            ...encode,
            chooseStep({ onReport: (r) => (report = r) }),
          ],
          trainOn: o.allData ? 'all' : 'leave-one-out-train',
          trainMinutes: minutes,
          filterSeen: !o.keepSeen,
          overwrite: o.overwrite,
          source: loaded.source,
          kcore: loaded.spec.kcore,
          log: (msg) => process.stderr.write(`${msg}\n`),
          onProgress: (step, done, total) => bar.update(done, total, step),
        });
        bar.stop();
        if (report) {
          const file = reportPath(o.out);
          await writeFile(file, JSON.stringify({ ...report, budgetMinutes: minutes ?? null }, null, 2) + '\n');
          process.stdout.write(`${formatReport(report)}report: ${file}\n`);
        }
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

/**
 * The encode step's options from the flags, checked before any data is read or model loaded, so a
 * wrong folder or a flag that would be ignored stops the build at once with the flag's name.
 */
async function encodeOptions(o: BuildOptions): Promise<EncodeStepOptions> {
  const { encoderParts } = await import('../../encoders/registry.js');
  const parts = encoderParts(o.encode!, '--encode');
  const hf = parts.filter((p) => p.provider === 'hf');
  if (!hf.length && !o.imageSummaries) {
    const flag = o.dtype !== undefined ? '--dtype' : o.device !== undefined ? '--device' : o.allowRemoteModels ? '--allow-remote-models' : undefined;
    if (flag) throw new MolarError('BAD_INPUT', `applies to hf-text:<model> / hf-image:<model> encoders only, and --encode ${o.encode} has none`, { field: flag });
  }
  const modelDir = o.modelDir === undefined ? undefined : path.resolve(o.modelDir);
  if (modelDir !== undefined) {
    const isDir = await stat(modelDir).then((s) => s.isDirectory(), () => false);
    if (!isDir) throw new MolarError('BAD_INPUT', 'expected an existing folder that holds model folders (<dir>/<model>/)', { field: '--model-dir', file: modelDir });
    for (const p of parts) {
      // with remote loading on, transformers.js fetches what the folder lacks
      if (p.provider === 'hf' && o.allowRemoteModels) continue;
      const want = path.join(modelDir, p.model ?? p.id);
      if (!(await stat(want).then((s) => s.isDirectory(), () => false))) {
        throw new MolarError('BAD_INPUT', `${p.id} loads its model from this folder, which does not exist; --model-dir ${modelDir} holds ${await listing(modelDir)}`, { field: '--model-dir', file: want });
      }
    }
  } else if (!o.allowRemoteModels) {
    // transformers.js' own default folder lies inside node_modules, where no shop keeps a model
    const bare = hf.find((p) => !/^(\/|\.{1,2}\/)/.test(p.model!));
    if (bare) throw new MolarError('BAD_INPUT', `${bare.id} needs --model-dir <dir> holding ${bare.model}/ (or --allow-remote-models to download it from huggingface.co)`, { field: '--model-dir' });
  }
  return {
    encoder: o.encode,
    ...(modelDir !== undefined ? { modelDir } : {}),
    ...(hf.length ? { transformers: { dtype: o.dtype, device: o.device, allowRemoteModels: o.allowRemoteModels } } : {}),
  };
}

/** The captioner's model, found before any data is read: under --model-dir, or a path, or (opted in) remote. */
async function imageSummaryOptions(o: BuildOptions): Promise<ImageSummariesStepOptions> {
  const model = o.imageSummaries!;
  const isPath = /^(\/|\.{1,2}\/)/.test(model);
  const modelDir = o.modelDir === undefined ? undefined : path.resolve(o.modelDir);
  const want = isPath ? path.resolve(model) : modelDir !== undefined ? path.join(modelDir, model) : undefined;
  if (want === undefined && !o.allowRemoteModels) throw new MolarError('BAD_INPUT', `${model} needs --model-dir <dir> holding ${model}/, a path to the model folder, or --allow-remote-models`, { field: '--image-summaries' });
  if (want !== undefined && !o.allowRemoteModels && !(await stat(want).then((s) => s.isDirectory(), () => false))) {
    throw new MolarError('BAD_INPUT', `expected a model folder (config.json, onnx/…) here${modelDir !== undefined && !isPath ? `; --model-dir ${modelDir} holds ${await listing(modelDir)}` : ''}`, { field: '--image-summaries', file: want });
  }
  // a path is its own folder: transformers.js resolves it against localModelPath, so give it the parent
  return {
    model: isPath ? path.basename(path.resolve(model)) : model,
    ...(isPath ? { modelDir: path.dirname(path.resolve(model)) } : modelDir !== undefined ? { modelDir } : {}),
    dtype: o.dtype, device: o.device, allowRemoteModels: o.allowRemoteModels,
  };
}

async function listing(dir: string): Promise<string> {
  const names = (await readdir(dir, { withFileTypes: true }).catch(() => [])).filter((d) => d.isDirectory()).map((d) => d.name);
  return names.length ? `the folders ${names.slice(0, 10).join(', ')}${names.length > 10 ? ', …' : ''}` : 'no folders';
}
