import type { BlendEntry, ModelEntry } from '../../bundle/manifest.js';
import { MolarError } from '../../errors.js';
import { meanStd } from '../fuse.js';
import type { Scorer, ScorerContext, ScorerSpec } from '../scorer.js';

/**
 * A weighted mix of other models in the same bundle (issue 19: e.g. SASRec + co-occurrence, the
 * weight chosen on validation by `molar build`). Each part's row is z-scored over the catalog
 * before mixing: the parts' scores live on unrelated scales (logits, decayed co-occurrence counts),
 * and a z-score puts each on "how far above this row's typical item", so the weight means what it
 * says whatever the scale. score(i) = Σ_k w_k · (s_k(i) − mean_k) / std_k; a flat row (std 0)
 * contributes nothing. Items only some parts score (added with addItems()) are left to fuse.ts.
 */
export function blendRow(rows: readonly Float32Array[], weights: readonly number[]): Float32Array {
  const n = Math.min(...rows.map((r) => r.length));
  const out = new Float32Array(n);
  rows.forEach((row, k) => {
    const { mean, std } = meanStd(row.subarray(1, n));
    if (!(std > 0) || weights[k] === 0) return;
    const a = weights[k] / std;
    for (let i = 1; i < n; i++) out[i] += a * (row[i] - mean);
  });
  out[0] = -Infinity;
  return out;
}

/** The entries a blend mixes, found by kind in the bundle, or BUNDLE_INVALID naming the missing one. */
export function blendParts(entry: BlendEntry, models: readonly ModelEntry[]): ModelEntry[] {
  return entry.parts.map((p) => {
    const m = models.find((x) => x.kind === p.kind);
    if (!m || m.kind === 'blend') throw new MolarError('BUNDLE_INVALID', `blend part "${p.kind}" is not a model of this bundle (it has ${models.map((x) => x.kind).join(', ')})`, { field: 'parts' });
    return m;
  });
}

/**
 * The blend kind, given the registry's own factory for its parts (registry.ts passes createScorer,
 * so a part is built exactly as if it were served alone).
 */
export function blendScorerSpec(create: (ctx: ScorerContext) => Promise<Scorer>): ScorerSpec<BlendEntry> {
  return {
    // a bundle that holds a blend was built to serve it: it outranks the kinds it mixes
    priority: 300,
    async create(ctx) {
      const parts: Scorer[] = [];
      try {
        for (const e of blendParts(ctx.entry, ctx.manifest.models)) parts.push(await create({ ...ctx, entry: e }));
      } catch (err) {
        for (const s of parts) s.dispose();
        throw err;
      }
      const weights = ctx.entry.parts.map((p) => p.weight);
      return {
        async score(histories) {
          const each = await Promise.all(parts.map((s) => s.score(histories)));
          return histories.map((_, b) => blendRow(each.map((rows) => rows[b]), weights));
        },
        dispose() {
          for (const s of parts) s.dispose();
        },
      };
    },
  };
}
