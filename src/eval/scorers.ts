import type { MolarConfig } from '../config.js';
import { MolarError } from '../errors.js';
import type { Manifest, ModelEntry } from '../bundle/manifest.js';
import { deserializeCsr, deserializeFloat32, scoreCooccurrence, scorePopularity } from '../models/cooccurrence/cooccurrence.js';
import { functionScorer, type Scorer } from '../score/scorer.js';
import { SASREC_SCORER } from './scorers-sasrec.js';

/** What a scorer factory gets: the bundle's manifest, its own entry, and a file reader. */
export interface ScorerContext {
  manifest: Manifest;
  entry: ModelEntry;
  /** bytes of a bundle file (a key of manifest.files), integrity already checked */
  readFile(name: string): Promise<ArrayBuffer>;
  config: MolarConfig;
}

export interface ScorerSpec {
  /** higher wins when a bundle holds several models; `molar eval --model` overrides */
  priority: number;
  create(ctx: ScorerContext): Promise<Scorer>;
}

const file = (e: ModelEntry, i: number): string => {
  const f = e.files[i];
  if (!f) throw new MolarError('BUNDLE_INVALID', `model "${e.kind}" lists ${e.files.length} files, expected at least ${i + 1}`, { field: 'files' });
  return f;
};

/**
 * kind → scorer factory. Adding a model to `molar eval` is one entry here (or `registerScorer`
 * from the model's own module), e.g. `sasrec: { priority: 100, create: createSasrecScorer }`.
 */
export const SCORERS: Record<string, ScorerSpec> = {
  popularity: {
    priority: 1,
    async create({ manifest, entry, readFile }) {
      const pop = deserializeFloat32(await readFile(file(entry, 0)), manifest.numItems + 1, file(entry, 0));
      const scores = scorePopularity(pop);
      // every user gets the same ranking; copies keep callers free to mutate their rows
      return functionScorer(async (histories) => histories.map(() => scores.slice()));
    },
  },
  cooccurrence: {
    priority: 10,
    async create({ manifest, entry, readFile, config }) {
      const csr = deserializeCsr(await readFile(file(entry, 0)), manifest.numItems, file(entry, 0));
      const pop = deserializeFloat32(await readFile(file(entry, 1)), manifest.numItems + 1, file(entry, 1));
      return functionScorer(async (histories) => histories.map((h) => scoreCooccurrence(h, csr, pop, config.baseline)));
    },
  },
  sasrec: SASREC_SCORER,
};

export function registerScorer(kind: string, spec: ScorerSpec): void {
  SCORERS[kind] = spec;
}

/** The model to evaluate: `kind` when given, else the highest-priority kind the bundle holds. */
export function pickModel(manifest: Manifest, kind?: string): ModelEntry {
  if (kind) {
    if (!SCORERS[kind]) throw new MolarError('UNKNOWN_KIND', `no scorer for kind "${kind}": expected one of ${Object.keys(SCORERS).join(', ')}`, { field: 'model' });
    const e = manifest.models.find((m) => m.kind === kind);
    if (!e) throw new MolarError('BAD_INPUT', `the bundle has no "${kind}" model; it has ${manifest.models.map((m) => m.kind).join(', ') || 'none'}`, { field: 'model' });
    return e;
  }
  const usable = manifest.models.filter((m) => SCORERS[m.kind]);
  if (usable.length === 0) {
    throw new MolarError('UNKNOWN_KIND', `no scorer for any model in the bundle (${manifest.models.map((m) => m.kind).join(', ') || 'none'}); known kinds: ${Object.keys(SCORERS).join(', ')}`);
  }
  return usable.reduce((best, m) => (SCORERS[m.kind].priority > SCORERS[best.kind].priority ? m : best));
}

export async function createScorer(ctx: ScorerContext): Promise<Scorer> {
  const spec = SCORERS[ctx.entry.kind];
  if (!spec) throw new MolarError('UNKNOWN_KIND', `no scorer for kind "${ctx.entry.kind}": expected one of ${Object.keys(SCORERS).join(', ')}`);
  return spec.create(ctx);
}
