/**
 * Stage 3 (default provider) behind the re-ranking seam (score/rerank.ts): the learned scorer of
 * models/msr/model.ts over (preference summary state, candidate vector, first-stage score), mixed
 * with the first stage as  w · rerank logit + (1 - w) · first-stage log-probability  (w chosen on
 * validation at build time, `summary.weight` overrides it; w = 0 is the first stage's order).
 */
import type { ItemRecord } from '../bundle/manifest.js';
import type { MsrModel } from '../models/msr/model.js';
import { describePreference, type PreferenceSummary, type TagSource } from './describe.js';
import { tagTableOf, topTags, type LinearTagger } from './tags.js';
import { logSoftmax } from '../score/mix.js';
import type { Candidate, Reranker, RerankContext } from '../score/rerank.js';

/** Log-probabilities below this are clamped: a -Infinity first-stage score must not turn a logit into NaN. */
export const LP_FLOOR = -30;

/** The first stage's log-softmax over the catalog (ids 1..), floored at LP_FLOOR; index 0 -Infinity. */
export function firstStageLogProbs(row: Float32Array): Float32Array {
  const out = logSoftmax(row);
  for (let i = 1; i < out.length; i++) if (!(out[i] >= LP_FLOOR)) out[i] = LP_FLOOR;
  return out;
}

/** w · rerank + (1 - w) · first stage, per candidate. */
export function mixRerank(rerank: Float32Array, firstStage: Float32Array, w: number): Float32Array {
  return Float32Array.from(rerank, (r, i) => w * r + (1 - w) * firstStage[i]);
}

export class MsrReranker implements Reranker {
  readonly name = 'msr';
  private disposed = false;
  constructor(
    private readonly model: MsrModel,
    /** the mix weight w */
    readonly weight: number,
    /** stage 1's tags of the bundle's items, which make the state readable */
    private tags?: TagSource,
    /** stage 1's provider, which tags items added with addItems() */
    private readonly tagger?: LinearTagger,
  ) {}

  /** The shopper's preference summary as text (describe.ts): "Prefers …; lately …". */
  describe(history: Int32Array, items: readonly ItemRecord[]): Promise<PreferenceSummary> {
    return describePreference(this.model, history, { tags: this.tags, items, blockSize: this.model.config.blockSize });
  }

  async rerank(candidates: Candidate[], ctx: RerankContext): Promise<Candidate[]> {
    if (candidates.length === 0 || this.weight === 0) return candidates;
    // catalog-wide log-probabilities when the caller has the full row (recommend() and molar eval
    // do); else the candidates' own log-softmax, a per-list shift of the same scale
    const row = ctx.scores ? firstStageLogProbs(ctx.scores) : undefined;
    const own = row ? undefined : firstStageLogProbs(Float32Array.from([-Infinity, ...candidates.map((c) => c.score)]));
    const lp = Float32Array.from(candidates, (c, i) => (row ? (c.id < row.length ? row[c.id] : LP_FLOOR) : own![i + 1]));
    const known = ctx.history.filter((i) => i > 0 && i <= this.model.numItems);
    const ids = Int32Array.from(candidates, (c) => (c.id <= this.model.numItems ? c.id : 0));
    const [rr] = await this.model.rerankScores([known], [ids], [lp]);
    const final = mixRerank(rr, lp, this.weight);
    return candidates.map((c, i) => ({ id: c.id, score: final[i] })).sort((a, b) => b.score - a.score);
  }

  /** Items added with addItems() (rows in the item-vector layout): re-ranked from their vectors from then on. */
  addItems(vectors: { data: Float32Array; rows: number; dim: number }): void {
    this.model.addItems(vectors.data);
    // their tags, computed now, so the summary reads them as it reads catalog items
    if (this.tags && this.tagger && this.tagger.dim === vectors.dim) {
      const t = this.tags.table;
      const rows = Array.from({ length: t.rows + vectors.rows }, (_, r) => (r < t.rows ? [] : topTags(this.tagger!.scores(vectors.data.subarray((r - t.rows) * vectors.dim, (r - t.rows + 1) * vectors.dim)), t.perItem)));
      const added = tagTableOf(rows, t.perItem);
      added.ids.set(t.ids);
      added.scores.set(t.scores);
      this.tags = { vocab: this.tags.vocab, table: added };
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}
