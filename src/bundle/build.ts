import path from 'node:path';
import { leaveOneOut } from '../data/split.js';
import type { BuiltDataset } from '../data/sequences.js';
import type { CatalogItem, LeaveOneOutSplit } from '../data/types.js';
import { MolarError } from '../errors.js';
import { buildCooccurrence, serializeCsr, serializeFloat32 } from '../models/cooccurrence/cooccurrence.js';
import { COOCCURRENCE_DEFAULTS, type CooccurrenceArgs } from '../models/cooccurrence/config.js';
import type { ItemRecord, Manifest, ModelEntry } from './manifest.js';
import { writeBundle, type BundleFile } from './write.js';

/**
 * What every build step reads and adds to. Steps run in order; each may add files and model
 * entries, and read what earlier steps left (e.g. `items` for an item-vector encoder).
 */
export interface BuildContext {
  name: string;
  dataset: BuiltDataset;
  catalog: CatalogItem[];
  /** folder relative catalog image paths are resolved against */
  catalogDir?: string;
  split: LeaveOneOutSplit;
  /** sequences models are fitted on: split.train by default, full sequences with trainOn 'all' */
  trainSequences: Int32Array[];
  trainedOn: 'leave-one-out-train' | 'all';
  /** item table in internal-id order (position i = id i+1); filled by the `items` step */
  items: ItemRecord[];
  files: Map<string, BundleFile>;
  models: ModelEntry[];
  /** free per-step options from the CLI, e.g. { cooccurrence: { window: 3 } } */
  options: Record<string, unknown>;
  log(message: string): void;
  /** report progress of long work (done of total units) under the step's name */
  progress(done: number, total: number): void;
}

export interface BuildStep {
  name: string;
  run(ctx: BuildContext): Promise<void>;
}

const isUrl = (s: string): boolean => /^(https?:|data:|blob:)/i.test(s) || s.startsWith('//');

/** The text encoders read: title, description, then attributes as `key: value`. */
export function itemText(c: CatalogItem): string | undefined {
  const parts = [c.title, c.description, ...Object.entries(c.attributes ?? {}).map(([k, v]) => `${k}: ${v.replaceAll('|', ', ')}`)];
  const text = parts.filter((p) => p && p.trim()).join('. ');
  return text || undefined;
}

export const itemsStep: BuildStep = {
  name: 'items',
  async run(ctx) {
    const byId = new Map(ctx.catalog.map((c) => [c.id, c]));
    const copyImages = ctx.options.images !== false;
    let copied = 0;
    ctx.items = ctx.dataset.items.itemIds.map((id, i) => {
      const c = byId.get(id) ?? { id };
      const rec: ItemRecord = { id };
      if (c.title) rec.title = c.title;
      const text = itemText(c);
      if (text) rec.text = text;
      if (c.url) rec.url = c.url;
      if (c.price !== undefined) rec.price = c.price;
      if (c.image) {
        if (isUrl(c.image)) rec.image = c.image;
        else if (copyImages) {
          const src = path.resolve(ctx.catalogDir ?? '.', c.image);
          // internal id in the name: external ids may hold characters unsafe in a path
          const name = `images/${i + 1}${path.extname(c.image).toLowerCase() || '.img'}`;
          ctx.files.set(name, { copyFrom: src });
          rec.image = name;
          copied++;
        }
      }
      return rec;
    });
    ctx.log(`items: ${ctx.items.length} records, ${copied} images to copy`);
  },
};

export const cooccurrenceStep: BuildStep = {
  name: 'popularity+cooccurrence',
  async run(ctx) {
    const args = (ctx.options.cooccurrence ?? {}) as Partial<CooccurrenceArgs>;
    const { csr, popularity } = buildCooccurrence(ctx.trainSequences, ctx.dataset.numItems, args);
    ctx.files.set('popularity.bin', { data: serializeFloat32(popularity) });
    ctx.files.set('cooccurrence.bin', { data: serializeCsr(csr) });
    const full = { ...COOCCURRENCE_DEFAULTS, ...args };
    ctx.models.push({ kind: 'popularity', files: ['popularity.bin'] });
    ctx.models.push({ kind: 'cooccurrence', files: ['cooccurrence.bin', 'popularity.bin'], nnz: csr.indices.length, topN: full.topN, window: full.window });
    ctx.log(`cooccurrence: ${csr.indices.length} neighbour weights (window ${full.window}, topN ${full.topN})`);
  },
};

/** Steps of a plain `molar build`; other modules append theirs: `[...defaultSteps, sasrecStep]`. */
export const defaultSteps: readonly BuildStep[] = Object.freeze([itemsStep, cooccurrenceStep]);

export interface BuildBundleOptions {
  out: string;
  name?: string;
  dataset: BuiltDataset;
  catalog: CatalogItem[];
  catalogDir?: string;
  steps?: readonly BuildStep[];
  /** fit on leave-one-out training prefixes (default, evaluable) or on all data (production) */
  trainOn?: 'leave-one-out-train' | 'all';
  options?: Record<string, unknown>;
  overwrite?: boolean;
  source?: string;
  kcore?: number;
  log?(message: string): void;
  /** step start / progress, for the CLI's bars */
  onProgress?(step: string, done: number, total: number): void;
}

/** Run the steps, then write the bundle atomically. Returns the manifest written. */
export async function buildBundle(opts: BuildBundleOptions): Promise<Manifest> {
  const split = leaveOneOut(opts.dataset.sequences);
  const trainedOn = opts.trainOn ?? 'leave-one-out-train';
  let current = '';
  const ctx: BuildContext = {
    name: opts.name ?? opts.dataset.name,
    dataset: opts.dataset,
    catalog: opts.catalog,
    catalogDir: opts.catalogDir,
    split,
    trainSequences: trainedOn === 'all' ? opts.dataset.sequences : split.train,
    trainedOn,
    items: [],
    files: new Map(),
    models: [],
    options: opts.options ?? {},
    log: opts.log ?? (() => {}),
    progress: (done, total) => opts.onProgress?.(current, done, total),
  };
  const names = new Set<string>();
  for (const step of opts.steps ?? defaultSteps) {
    if (names.has(step.name)) throw new MolarError('BAD_CONFIG', `build step "${step.name}" appears twice`, { field: 'steps' });
    names.add(step.name);
    current = step.name;
    opts.onProgress?.(step.name, 0, 1);
    await step.run(ctx);
    opts.onProgress?.(step.name, 1, 1);
  }
  if (ctx.items.length !== opts.dataset.numItems) {
    throw new MolarError('BAD_CONFIG', `the steps produced ${ctx.items.length} item records for ${opts.dataset.numItems} items: is the "items" step missing?`, { field: 'steps' });
  }
  current = 'write';
  return writeBundle({
    out: opts.out,
    name: ctx.name,
    items: ctx.items,
    files: ctx.files,
    models: ctx.models,
    overwrite: opts.overwrite,
    stats: {
      users: opts.dataset.users.length,
      interactions: opts.dataset.interactions,
      ...(opts.source ? { source: opts.source } : {}),
      trainedOn,
      ...(opts.kcore ? { kcore: opts.kcore } : {}),
    },
    onFile: (d, t) => opts.onProgress?.('write', d, t),
  });
}
