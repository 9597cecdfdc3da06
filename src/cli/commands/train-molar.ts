import path from 'node:path';
import { writeBundle, type BundleFile } from '../../bundle/write.js';
import { entryOf, type ItemVectorsEntry, type MolarEntry, type SasrecEntry } from '../../bundle/manifest.js';
import type { BuiltDataset } from '../../data/sequences.js';
import { leaveOneOut } from '../../data/split.js';
import { MolarError } from '../../errors.js';
import { ItemVectorStore } from '../../items/store.js';
import type { ContentConfig, MolarTrainConfig } from '../../models/content/config.js';
import { adaptiveMolarDefaults, describeAdaptiveMolar, withAdaptiveMolar } from '../../models/content/adaptive.js';
import { MOLAR_SHARED_FIELDS } from '../../models/content/flags.js';
import { shapeOf } from '../../models/sasrec/adaptive.js';
import { deserializeAttributes } from '../../models/fusion/attributes.js';
import { featuresFromVectors, textWidth } from '../../models/fusion/features.js';
import type { SasrecConfig } from '../../models/sasrec/config.js';
import { useNodeBackend } from '../../train/backend-node.js';
import { defaultWorkers, SASREC_FILE } from '../../train/build-step.js';
import { trainMolar } from '../../train/molar.js';
import { jointSasrecEntry, MOLAR_ATTRIBUTES_FILE, MOLAR_FILE, molarEntry } from '../../train/molar-build-step.js';
import { chooseAgain } from '../../eval/choose-step-node.js';
import type { NodeBundle } from '../bundle-node.js';

/** The SASRec fields a user-level warm start copies the shapes of (train/molar-user-warm-start.ts). */
const WARM_START_SHAPE = ['blocks', 'heads', 'block', 'positions', 'maxLen'];

/**
 * `molar train --model molar`: (re)trains Molar's content model on a bundle that has item vectors
 * (`molar build --encode`), aligned to the bundle's SASRec when it has one, and writes the molar
 * entry into the bundle (`--order joint`: trains the bundle's SASRec with it and rewrites that too). The attribute table of an earlier molar entry is kept; a bundle without
 * one trains without attributes (the catalog is not part of a bundle).
 */
export async function trainMolarIntoBundle(
  bundle: NodeBundle,
  dataset: BuiltDataset,
  flags: { sasrec: Partial<SasrecConfig>; molar: Partial<ContentConfig & MolarTrainConfig> },
  o: { minutes?: number; workers?: number; keepSeen?: boolean; progress?: boolean; log?: (line: string) => void },
): Promise<string> {
  const { manifest } = bundle;
  const onlySasrec = Object.keys(flags.sasrec).filter((k) => !([...MOLAR_SHARED_FIELDS.architecture, ...MOLAR_SHARED_FIELDS.training] as string[]).includes(k));
  if (onlySasrec.length) throw new MolarError('BAD_INPUT', `${onlySasrec.join(', ')} configure SASRec only, not --model molar`, { field: '--model' });
  const pick = (from: Record<string, unknown>, keys: readonly string[]) => Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
  const vEntry = manifest.models.map((m) => entryOf(m, 'item-vectors')).find((e): e is ItemVectorsEntry => e !== undefined);
  if (!vEntry) throw new MolarError('BAD_INPUT', 'the bundle has no item vectors: build it with `molar build --encode <encoder id>`', { field: '--model' });
  const store = ItemVectorStore.fromArrayBuffer(await bundle.readFile(vEntry.files[0]), vEntry.files[0]);
  const n = manifest.numItems;
  const data = store.dequantize().data;
  const textDim = textWidth(vEntry.encoder, store.dim);
  const old = manifest.models.map((m) => entryOf(m, 'molar')).find((e): e is MolarEntry => e !== undefined);
  const attrs = old?.parts.attributes ? deserializeAttributes(await bundle.readFile(old.parts.attributes), n + 1, old.attributes?.length ?? 0, old.parts.attributes) : undefined;
  const features = featuresFromVectors(data, n + 1, { textDim, imageDim: store.dim - textDim }, attrs);
  const sasrec = manifest.models.map((m) => entryOf(m, 'sasrec')).find((e): e is SasrecEntry => e !== undefined);
  await useNodeBackend();
  const split = leaveOneOut(dataset.sequences);
  const given = {
    // the user-level warm start copies SASRec's blocks, so the content model takes their shapes (a flag that differs is refused by name);
    // entries written before `block` / `positions` existed are pre-LN / from-newest (SasrecModel.fromEntry)
    config: { ...(sasrec ? { hidden: Number(sasrec.config.hidden) } : {}), ...(sasrec && flags.molar.userWarmStart ? pick({ block: 'pre-ln', positions: 'from-newest', ...sasrec.config }, WARM_START_SHAPE) : {}), ...pick(flags.sasrec, MOLAR_SHARED_FIELDS.architecture), ...pick(flags.molar, ['modalityDropout', 'idResidual']) },
    train: { ...pick(flags.sasrec, MOLAR_SHARED_FIELDS.training), ...pick(flags.molar, ['order', 'alignWeight', 'alignTau', 'itWeight', 'itTau', 'saWeight', 'ubToHead', 'itemAlignSteps', 'idLrFactor', 'userWarmStart']) },
  };
  if (flags.molar.userWarmStart && !sasrec) throw new MolarError('BAD_INPUT', '--user-warm-start starts the content model as the bundle\'s SASRec; the bundle has none (train one: --model sasrec)', { field: '--user-warm-start' });
  if (given.train.order === 'joint' && !sasrec) throw new MolarError('BAD_INPUT', '--order joint trains the bundle\'s SASRec with the content model; the bundle has none (train one: --model sasrec)', { field: '--order' });
  const adaptive = adaptiveMolarDefaults(shapeOf(split.train, n), { budgeted: o.minutes !== undefined, alignedMaxLen: sasrec ? Number(sasrec.config.maxLen) : undefined });
  o.log?.(`molar settings for this data (a flag overrides its line):\n${describeAdaptiveMolar(adaptive, given)}`);
  const { config, train } = withAdaptiveMolar(adaptive, given);
  const r = await trainMolar({
    split,
    sequences: dataset.sequences,
    numItems: n,
    features,
    idModel: sasrec ? { config: sasrec.config, weights: sasrec.weights, data: new Float32Array(await bundle.readFile(sasrec.files[0])) } : undefined,
    config,
    train,
    filterSeen: !o.keepSeen,
    timeBudgetMs: o.minutes !== undefined ? o.minutes * 60_000 : undefined,
    workers: o.workers ?? defaultWorkers(),
    progress: o.progress ?? true,
  });
  const files = new Map<string, BundleFile>();
  for (const name of Object.keys(manifest.files)) if (name !== manifest.itemsFile && name !== MOLAR_FILE) files.set(name, { copyFrom: path.join(bundle.dir, name) });
  files.set(MOLAR_FILE, { data: new Uint8Array(r.weights.data.buffer, r.weights.data.byteOffset, r.weights.data.byteLength) });
  // joint: the SASRec trained with it replaces the bundle's (served alone and as the mix's ID side)
  if (r.id) files.set(SASREC_FILE, { data: new Uint8Array(r.id.weights.data.buffer, r.id.weights.data.byteOffset, r.id.weights.data.byteLength) });
  const entry = molarEntry(r, { vectors: vEntry.files[0], vocab: attrs ? old!.attributes : undefined, withId: !!sasrec });
  if (!attrs) files.delete(MOLAR_ATTRIBUTES_FILE);
  // the served model was chosen among the old models: choose again among the new ones
  const { models, served } = await chooseAgain({ name: manifest.name, numItems: n, models: [...manifest.models.filter((m) => m.kind !== 'molar').map((m) => (r.id && m.kind === 'sasrec' ? jointSasrecEntry(m as SasrecEntry, r) : m)), entry], files, split, sequences: dataset.sequences, filterSeen: !o.keepSeen });
  await writeBundle({ out: bundle.dir, name: manifest.name, items: bundle.items, files, models, served, stats: manifest.stats, overwrite: true });
  return `served: ${served.kind}: ${served.reason}\ntrained molar on ${r.history.length} epochs, best ${r.bestEpoch}, valid NDCG@10 ${r.bestValid?.['ndcg@10']?.toFixed(4) ?? '-'}, mix content ${r.mix.content}${sasrec ? (r.id ? ` (trained jointly with ${SASREC_FILE}, rewritten)` : ` (aligned to ${SASREC_FILE})`) : ' (no sasrec in the bundle: content only)'}, ${(r.wallMs / 60_000).toFixed(1)} min, stopped by ${r.stoppedBy}, order ${r.order}; wrote ${MOLAR_FILE}${r.id ? ` and ${SASREC_FILE}` : ''}`;
}
