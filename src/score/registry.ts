import type { Manifest, ModelEntry } from '../bundle/manifest.js';
import { MolarError } from '../errors.js';
import { COOCCURRENCE_SCORER, POPULARITY_SCORER } from './kinds/baselines.js';
import { blendScorerSpec } from './kinds/blend.js';
import { MOLAR_SCORER } from './kinds/molar.js';
import { SASREC_SCORER } from './kinds/sasrec.js';
import type { Scorer, ScorerContext, ScorerSpec } from './scorer.js';

/**
 * Manifest `kind` → scorer factory: the one table `molar eval`, the trainer's tools and the
 * browser's Recommender share. **A new model kind** is a file in score/kinds/ exporting its
 * ScorerSpec and one line here (or `registerScorer` from outside). `item-vectors` is not here:
 * it is data the Recommender's cold start reads, not a model that ranks.
 */
const SCORERS = new Map<string, ScorerSpec>([
  ['popularity', POPULARITY_SCORER as ScorerSpec],
  ['cooccurrence', COOCCURRENCE_SCORER as ScorerSpec],
  ['sasrec', SASREC_SCORER as ScorerSpec],
  ['molar', MOLAR_SCORER as ScorerSpec],
  // its parts are built by this table's own factory (a function declaration, so in scope here)
  ['blend', blendScorerSpec((ctx) => createScorer(ctx)) as ScorerSpec],
]);

export function registerScorer<E extends ModelEntry>(kind: string, spec: ScorerSpec<E>): void {
  SCORERS.set(kind, spec as unknown as ScorerSpec);
}

/** Kinds a scorer is registered for. */
export const scorerKinds = (): string[] => [...SCORERS.keys()];

/**
 * The model to serve or evaluate: `kind` when given; else the one `molar build` chose on validation
 * (`manifest.served`); else, for bundles written before that choice existed (or whose choice this
 * reader cannot score), the highest-priority kind the bundle holds. Entries of kinds with no scorer
 * (item vectors, a newer writer's kinds) are skipped.
 */
export function pickModel(manifest: Pick<Manifest, 'models' | 'served'>, kind?: string): ModelEntry {
  const kinds = scorerKinds().join(', ');
  if (kind) {
    if (!SCORERS.has(kind)) throw new MolarError('UNKNOWN_KIND', `no scorer for kind "${kind}": expected one of ${kinds}`, { field: 'model' });
    const e = manifest.models.find((m) => m.kind === kind);
    if (!e) throw new MolarError('BAD_INPUT', `the bundle has no "${kind}" model; it has ${manifest.models.map((m) => m.kind).join(', ') || 'none'}`, { field: 'model' });
    return e;
  }
  const served = manifest.served && SCORERS.has(manifest.served.kind) ? manifest.models.find((m) => m.kind === manifest.served!.kind) : undefined;
  if (served) return served;
  const usable = manifest.models.filter((m) => SCORERS.has(m.kind));
  if (usable.length === 0) {
    throw new MolarError('UNKNOWN_KIND', `no scorer for any model in the bundle (${manifest.models.map((m) => m.kind).join(', ') || 'none'}); known kinds: ${kinds}`);
  }
  const priority = (m: ModelEntry) => SCORERS.get(m.kind)!.priority;
  return usable.reduce((best, m) => (priority(m) > priority(best) ? m : best));
}

/** A scorer for `ctx.entry` on the active tfjs backend (the caller picks the backend first). */
export async function createScorer(ctx: ScorerContext): Promise<Scorer> {
  const spec = SCORERS.get(ctx.entry.kind);
  if (!spec) throw new MolarError('UNKNOWN_KIND', `no scorer for kind "${ctx.entry.kind}": expected one of ${scorerKinds().join(', ')}`);
  return spec.create(ctx);
}
