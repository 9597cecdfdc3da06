import type { BuildStep } from '../../bundle/build.js';
import { COOCCURRENCE_DEFAULTS, type CooccurrenceArgs } from './config.js';
import { buildCooccurrence, serializeCsr, serializeFloat32 } from './cooccurrence.js';

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
    },
  };
}
