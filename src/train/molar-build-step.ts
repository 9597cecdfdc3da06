import type { BuildContext, BuildStep } from '../bundle/build.js';
import type { ItemVectorsEntry, MolarEntry, SasrecEntry } from '../bundle/manifest.js';
import { FLOAT_ITEM_VECTORS, ITEM_VECTORS_FILE } from '../encoders/build-step-node.js';
import { MolarError } from '../errors.js';
import { ItemVectorStore } from '../items/store.js';
import { adaptiveMolarDefaults, describeAdaptiveMolar, withAdaptiveMolar } from '../models/content/adaptive.js';
import { shapeOf } from '../models/sasrec/adaptive.js';
import { contentArchitecture, type ContentConfig, type MolarTrainConfig } from '../models/content/config.js';
import { buildAttributeTable, serializeAttributes } from '../models/fusion/attributes.js';
import { featuresFromVectors, textWidth, type ItemFeatures } from '../models/fusion/features.js';
import { useNodeBackend } from './backend-node.js';
import { defaultWorkers, epochProgress, SASREC_FILE, SASREC_TRAINED } from './build-step.js';
import { trainMolar, type TrainMolarResult } from './molar.js';

export const MOLAR_FILE = 'molar.bin';
export const MOLAR_ATTRIBUTES_FILE = 'molar_attributes.bin';

export interface MolarStepOptions {
  config?: Partial<ContentConfig>;
  train?: Partial<MolarTrainConfig>;
  minutes?: number;
  workers?: number;
  progress?: boolean;
  /** the history-kept protocol (as sasrecStep's keepSeen); default: the build's (BuildContext.filterSeen) */
  keepSeen?: boolean;
}

/**
 * Build step: Molar's content model over the item vectors (`--encode`), post-aligned to the SASRec
 * this build trained (when it did), written as a `molar` entry the Recommender serves ahead of
 * SASRec. With `train.order` 'joint' that SASRec trains on with it and replaces the bundle's
 * sasrec.bin (jointSasrecEntry). It trains on the int8 vectors the page will read (quantised, then read back), so what
 * validation measured is what ships.
 */
export function molarStep(o: MolarStepOptions = {}): BuildStep {
  return {
    name: 'molar',
    after: ['item-vectors'],
    afterIfPresent: ['sasrec'],
    trains: true,
    async run(ctx: BuildContext) {
      await useNodeBackend();
      const vEntry = ctx.models.find((m): m is ItemVectorsEntry => m.kind === 'item-vectors');
      if (!vEntry) throw new MolarError('BAD_CONFIG', 'the molar step needs item vectors: build with --encode <encoder id>', { field: 'encode' });
      const { features, vocab, attributes } = itemFeatures(ctx, vEntry);
      const id = ctx.find(SASREC_TRAINED);
      if (o.train?.order === 'joint' && !id) throw new MolarError('BAD_CONFIG', 'order joint trains the SASRec this build trains together with the content model: keep the sasrec step', { field: '--order' });
      // its share of the build's budget, read once: what SASRec left of it (BuildContext.trainMinutes)
      const minutes = o.minutes ?? ctx.trainMinutes;
      const adaptive = adaptiveMolarDefaults(shapeOf(ctx.split.train, ctx.dataset.numItems), { budgeted: minutes !== undefined, alignedMaxLen: id?.config.maxLen });
      ctx.log(`molar settings for this data (a flag overrides its line):\n${describeAdaptiveMolar(adaptive, o)}`);
      // aligned to SASRec, it reads the same window (adaptive) at the same width
      const { config, train } = withAdaptiveMolar(adaptive, { config: { ...(id ? { hidden: id.config.hidden } : {}), ...o.config }, train: o.train });
      const r = await trainMolar({
        split: ctx.split,
        sequences: ctx.dataset.sequences,
        numItems: ctx.dataset.numItems,
        features,
        idModel: id ? { config: id.config as unknown as Record<string, unknown>, weights: id.weights.specs, data: id.weights.data } : undefined,
        config,
        train,
        filterSeen: o.keepSeen === undefined ? ctx.filterSeen : !o.keepSeen,
        timeBudgetMs: minutes !== undefined ? minutes * 60_000 : undefined,
        workers: o.workers ?? defaultWorkers(),
        progress: o.progress ?? true,
        onEpoch: epochProgress(ctx.progress, minutes),
      });
      ctx.files.set(MOLAR_FILE, { data: bytes(r.weights.data) });
      if (r.id) {
        // the jointly trained SASRec is the one served from now on, alone and as the mix's ID side
        const i = ctx.models.findIndex((m) => m.kind === 'sasrec');
        ctx.models[i] = jointSasrecEntry(ctx.models[i] as SasrecEntry, r);
        ctx.files.set(SASREC_FILE, { data: bytes(r.id.weights.data) });
      }
      if (attributes) ctx.files.set(MOLAR_ATTRIBUTES_FILE, { data: attributes });
      ctx.models.push(molarEntry(r, { vectors: vEntry.files[0] ?? ITEM_VECTORS_FILE, vocab: attributes ? vocab : undefined, withId: !!id }));
      ctx.log(`molar: ${r.history.length} epochs (best ${r.bestEpoch}, valid NDCG@10 ${r.bestValid?.['ndcg@10']?.toFixed(4) ?? '-'}), mix content ${r.mix.content} (valid ${JSON.stringify(r.mix.valid)}) in ${(r.wallMs / 60_000).toFixed(1)} min, order ${r.order}${r.id ? ` (${SASREC_FILE} rewritten)` : ''}`);
    },
  };
}

/**
 * The head's inputs: the float item vectors as the page will read them (through int8), split at
 * the encoder's text width, and the catalog's attributes as a vocabulary table.
 */
function itemFeatures(ctx: BuildContext, v: ItemVectorsEntry): { features: ItemFeatures; vocab: string[]; attributes?: Uint8Array } {
  const m = ctx.get(FLOAT_ITEM_VECTORS);
  const data = ItemVectorStore.fromItems(m).dequantize().data;
  const n = ctx.dataset.numItems;
  const textDim = textWidth(v.encoder, m.dim);
  const byId = new Map(ctx.catalog.map((c) => [c.id, c]));
  const table = buildAttributeTable(ctx.dataset.items.itemIds.map((id) => byId.get(id)?.attributes));
  const has = table.vocab.length > 0;
  const features = featuresFromVectors(data, n + 1, { textDim, imageDim: m.dim - textDim }, has ? { ptr: table.ptr, ids: table.ids, count: table.vocab.length } : undefined);
  return { features, vocab: table.vocab, ...(has ? { attributes: serializeAttributes(table) } : {}) };
}

const bytes = (f: Float32Array): Uint8Array => new Uint8Array(f.buffer, f.byteOffset, f.byteLength);

/**
 * The bundle's sasrec entry after joint training replaced its weights (same architecture, same
 * specs): its validation figures were the SASRec trained alone, so they go (the choose step
 * measures the new one), and its settings say it was trained on with Molar, for how many epochs.
 */
export function jointSasrecEntry(old: SasrecEntry, r: TrainMolarResult): SasrecEntry {
  if (!r.id) throw new MolarError('BAD_INPUT', 'not a joint result: it carries no SASRec', { field: 'order' });
  const { valid: _alone, ...kept } = old.trainedWith ?? { loss: String(old.config.loss), epochs: 0 };
  return {
    ...old,
    weights: r.id.weights.specs.map((s) => ({ ...s, shape: [...s.shape] })),
    trainedWith: { ...kept, settings: { ...kept.settings, trainedJointlyWith: 'molar', jointEpochs: r.bestEpoch } },
  };
}

/**
 * How it was trained, not needed to serve: the knobs an ML engineer compares two bundles by (the
 * architecture, dropout included, is the entry's config). Booleans as 0 / 1, like `tasks.ubToHead`.
 */
function molarSettings(r: TrainMolarResult): Record<string, number | string> {
  const t = r.train;
  const c = r.config;
  return {
    order: t.order, learningRate: t.learningRate, lrSchedule: t.lrSchedule, warmupSteps: t.warmupSteps, batchSize: t.batchSize,
    modalityDropout: c.modalityDropout, itemAlignSteps: t.itemAlignSteps, idLrFactor: t.idLrFactor, userWarmStart: t.userWarmStart ? 1 : 0, seed: c.seed,
  };
}

export function molarEntry(r: TrainMolarResult, o: { vectors: string; vocab?: string[]; withId: boolean }): MolarEntry {
  const parts = { weights: MOLAR_FILE, vectors: o.vectors, ...(o.vocab ? { attributes: MOLAR_ATTRIBUTES_FILE } : {}) };
  return {
    kind: 'molar',
    files: [...Object.values(parts), ...(o.withId && r.mix.content < 1 ? [SASREC_FILE] : [])],
    config: contentArchitecture(r.config),
    weights: r.weights.specs.map((s) => ({ ...s, shape: [...s.shape] })),
    parts,
    ...(o.vocab ? { attributes: o.vocab } : {}),
    mix: { content: r.mix.content, ...(o.withId ? { idModel: 'sasrec' as const } : {}) },
    trainedWith: {
      epochs: r.bestEpoch,
      ...(r.bestValid ? { valid: r.bestValid } : {}),
      mixValid: r.mix.valid,
      align: { weight: r.train.alignWeight, tau: r.train.alignTau },
      tasks: { it: r.train.itWeight, sa: r.train.saWeight, ...(r.train.ubToHead ? {} : { ubToHead: 0 }) },
      settings: molarSettings(r),
    },
  };
}
