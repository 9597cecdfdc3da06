import type { Command } from 'commander';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { buildBundle } from '../src/bundle/build.js';
import type { ItemVectorsEntry, Manifest } from '../src/bundle/manifest.js';
import { defaultDataRoot, getPreset, loadPreset, type LoadedDataset } from '../src/data/load-node.js';
import { encodeStep } from '../src/encoders/build-step-node.js';
import { itemsStep } from '../src/items/build-step-node.js';
import { ItemVectorStore } from '../src/items/store.js';
import { buildAttributeTable } from '../src/models/fusion/attributes.js';
import { featuresFromVectors, textWidth, type ItemFeatures } from '../src/models/fusion/features.js';
import type { SasrecConfig } from '../src/models/sasrec/config.js';
import { defaultWorkers } from '../src/train/build-step.js';
import { useNodeBackend } from '../src/train/backend-node.js';

/** Each data set's protocol (as the SASRec rows: ML-1M seen removed, Amazon seen kept) and encoder. */
export const BENCH_PROTOCOL: Record<string, { filterSeen: boolean; maxLen: number; encoder: string }> = {
  'ml-1m': { filterSeen: true, maxLen: 200, encoder: 'use-lite+mobilenetv2' },
  'amazon-scientific': { filterSeen: false, maxLen: 50, encoder: 'use-lite' },
};

/**
 * The ID model's recipe per data set, one place for every bench that trains one (README: ML-1M
 * 0.1857; Amazon: history kept, repeat bias, dropout 0.5).
 */
export function benchSasrecConfig(name: string, maxLen: number, seed: number): Partial<SasrecConfig> {
  return name === 'ml-1m'
    ? { loss: 'ce', dropout: 0.1, batchSize: 64, learningRate: 0.006, warmupSteps: 100, lrSchedule: 'cosine-time', patience: 100, maxEpochs: 200, positions: 'from-oldest', maxLen, seed }
    : { loss: 'ce', dropout: 0.5, heads: 2, excludeHistory: false, repeatBias: true, maxLen, patience: 20, seed };
}

/** The preset from ../shared/data on the wasm backend, or exit 0 (skip, not fail) when the data is absent. */
export async function openBenchDataset(name: string): Promise<{ proto: (typeof BENCH_PROTOCOL)[string]; loaded: LoadedDataset }> {
  const dataRoot = defaultDataRoot(process.cwd());
  if (!existsSync(path.join(dataRoot, getPreset(name).dir))) {
    console.error(`skip ${name}: ${dataRoot} has no ${getPreset(name).dir}`);
    process.exit(0);
  }
  await useNodeBackend('wasm');
  return { proto: BENCH_PROTOCOL[name], loaded: await loadPreset(name, dataRoot) };
}

/**
 * The fusion head's inputs for a benchmark: item vectors through the build's own items + encode
 * steps (from the encoder cache after the first run; the int8 file, as the page reads it), and the
 * catalog's attributes. `keep` drops a modality for the ablations.
 */
export async function benchFeatures(name: string, encoder: string, data: Pick<LoadedDataset, 'dataset' | 'catalog' | 'catalogDir'>, keep: { image: boolean; text: boolean }): Promise<{ features: ItemFeatures; encodeMin: number }> {
  const { dataset, catalog, catalogDir } = data;
  const t0 = Date.now();
  const out = path.join(await mkdtemp(path.join(tmpdir(), `molar-bench-${name}-`)), 'b');
  const manifest: Manifest = await buildBundle({ out, dataset, catalog, catalogDir, steps: [itemsStep({ images: false }), encodeStep({ encoder })], log: (m) => console.error(m) });
  const encodeMin = (Date.now() - t0) / 60_000;
  const v = manifest.models.find((m): m is ItemVectorsEntry => m.kind === 'item-vectors')!;
  const s = ItemVectorStore.fromArrayBuffer((await readFile(path.join(out, v.files[0]))).buffer as ArrayBuffer);
  const n = dataset.numItems;
  const dim = s.dim;
  const textDim = textWidth(v.encoder, dim);
  const keepText = keep.text && textDim > 0;
  const keepImage = keep.image && dim - textDim > 0;
  const [tD, iD] = [keepText ? textDim : 0, keepImage ? dim - textDim : 0];
  const all = s.dequantize().data;
  const rows = new Float32Array((n + 1) * (tD + iD));
  for (let r = 1; r <= n; r++) {
    const row = all.subarray(r * dim, (r + 1) * dim);
    if (keepText) rows.set(row.subarray(0, textDim), r * (tD + iD));
    if (keepImage) rows.set(row.subarray(textDim), r * (tD + iD) + tD);
  }
  const byId = new Map(catalog.map((c) => [c.id, c]));
  const table = buildAttributeTable(dataset.items.itemIds.map((i) => byId.get(i)?.attributes));
  const features = featuresFromVectors(rows, n + 1, { textDim: tD, imageDim: iD }, table.vocab.length ? { ptr: table.ptr, ids: table.ids, count: table.vocab.length } : undefined);
  return { features, encodeMin };
}

/**
 * The options bench:molar and bench:coldstart share (the content model's ID residual, rate, batch,
 * validation, threads, seed, results name), declared once so the two read the same flags the same way.
 */
export function contentModelOptions(cmd: Command, defaults: { seedHelp: string; name: string }): Command {
  return cmd
    .option('--dataset <name>', 'ml-1m | amazon-scientific', 'ml-1m')
    .option('--id-residual', "content model: a learned ID vector added to each known item's fused vector (ContentConfig.idResidual)")
    .option('--id-lr-factor <x>', 'with --id-residual: its table steps this many times the learning rate (MolarTrainConfig.idLrFactor)', '1')
    .option('--lr <x>', 'content model learning rate', '0.001')
    .option('--batch <n>', 'content model users per batch', '128')
    .option('--valid-users <n>', 'validation users per epoch (early stopping)', '2048')
    .option('--workers <n>', 'training threads', String(defaultWorkers()))
    .option('--seed <n>', defaults.seedHelp, '42')
    .option('--name <name>', 'results file name', defaults.name);
}
