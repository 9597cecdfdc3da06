import { artifact } from '../../bundle/artifact.js';
import type { BuildStep } from '../../bundle/build.js';
import { COOCCURRENCE_DEFAULTS, type CooccurrenceArgs } from './config.js';
import { buildCooccurrence, serializeCsr, serializeFloat32 } from './cooccurrence.js';

/**
 * Under `--all-data` the served counts include every user's validation and test events, so the
 * choose step cannot judge them on validation: it judges these instead, the same counts over the
 * leave-one-out training prefixes only (file name → bytes, the served files' names), and serves the
 * all-data ones. Counting is seconds, so fitting twice costs nothing next to training.
 */
export const COUNTS_ON_PREFIXES = artifact<Map<string, ArrayBuffer>>('popularity+cooccurrence/prefixes');

/** Overrides of COOCCURRENCE_DEFAULTS (`molar build --window`, `--top-n`). */
export type CooccurrenceStepOptions = Partial<CooccurrenceArgs>;

/**
 * Build step: popularity counts and windowed next-item counts over the build's training
 * sequences, as `popularity.bin` and `cooccurrence.bin` with their two model entries.
 */
export function cooccurrenceStep(args: CooccurrenceStepOptions = {}): BuildStep {
  return {
    name: 'popularity+cooccurrence',
    async run(ctx) {
      const { csr, popularity } = buildCooccurrence(ctx.trainSequences, ctx.dataset.numItems, args);
      ctx.files.set('popularity.bin', { data: serializeFloat32(popularity) });
      ctx.files.set('cooccurrence.bin', { data: serializeCsr(csr) });
      const full = { ...COOCCURRENCE_DEFAULTS, ...args };
      ctx.models.push({ kind: 'popularity', files: ['popularity.bin'] });
      ctx.models.push({ kind: 'cooccurrence', files: ['cooccurrence.bin', 'popularity.bin'], nnz: csr.indices.length, topN: full.topN, window: full.window });
      ctx.log(`cooccurrence: ${csr.indices.length} neighbour weights (window ${full.window}, topN ${full.topN})`);
      // empty when the served counts are already the prefixes' (the default, evaluable build)
      const fair = ctx.trainedOn === 'all' ? buildCooccurrence(ctx.split.train, ctx.dataset.numItems, args) : undefined;
      ctx.put(COUNTS_ON_PREFIXES, new Map(fair ? [['popularity.bin', serializeFloat32(fair.popularity)], ['cooccurrence.bin', serializeCsr(fair.csr)]] : []));
    },
  };
}
