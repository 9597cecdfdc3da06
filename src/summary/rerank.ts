/**
 * Stage 3 (default provider) behind the re-ranking seam (score/rerank.ts): the learned scorer of
 * models/msr/model.ts over (preference summary state, candidate vector, first-stage score), mixed
 * with the first stage as  w · rerank logit + (1 - w) · first-stage log-probability  (w chosen on
 * validation at build time, `summary.weight` overrides it; w = 0 is the first stage's order).
 */
import type { ItemRecord } from '../bundle/manifest.js';
import type { MsrModel } from '../models/msr/model.js';
import { describePreference, type PreferenceSummary, type TagSource } from './describe.js';
import type { SummaryMemory } from './memory.js';
import { tagTableOf, topTags, type LinearTagger } from './tags.js';
import { logSoftmax } from '../score/mix.js';
import type { Candidate, Reranker, RerankContext } from '../score/rerank.js';
import type { AddedRows } from '../score/scorer.js';

/** Log-probabilities below this are clamped: a -Infinity first-stage score must not turn a logit into NaN. */
export const LP_FLOOR = -30;

/** The first stage's log-softmax over the catalog (ids 1..), floored at LP_FLOOR; index 0 -Infinity. */
export function firstStageLogProbs(row: Float32Array): Float32Array {
  const out = logSoftmax(row);
  for (let i = 1; i < out.length; i++) if (!(out[i] >= LP_FLOOR)) out[i] = LP_FLOOR;
  return out;
}

/**
 * The first stage's scores standardised over the catalog (ids 1..; mean 0, deviation 1 over the
 * finite ones; non-finite ones at -LP_FLOOR deviations below): a scale-free view of the same
 * ranking. A softmax-trained model's log-probabilities already carry its scale; a co-occurrence
 * model's [0, 1] scores make a nearly flat log-softmax, and this is what the re-ranker reads of them.
 */
export function firstStageZ(row: Float32Array): Float32Array {
  let n = 0;
  let sum = 0;
  let sq = 0;
  for (let i = 1; i < row.length; i++) if (Number.isFinite(row[i])) (n++, (sum += row[i]), (sq += row[i] * row[i]));
  const mean = n ? sum / n : 0;
  const sd = n > 1 ? Math.sqrt(Math.max(0, sq / n - mean * mean)) : 0;
  const out = new Float32Array(row.length);
  for (let i = 1; i < row.length; i++) out[i] = Number.isFinite(row[i]) ? (sd > 0 ? (row[i] - mean) / sd : 0) : LP_FLOOR;
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
    /** the shopper's stage-2 state kept beside the history; without it the state is computed from the history each call */
    private readonly memory?: SummaryMemory,
  ) {}

  /** The shopper's preference summary as text (describe.ts): "Prefers …; lately …". */
  describe(history: Int32Array, items: readonly ItemRecord[]): Promise<PreferenceSummary> {
    const memory = this.memory;
    return describePreference(this.model, history, { tags: this.tags, items, blockSize: this.model.config.blockSize, state: memory && ((known) => memory.state(known, items)) });
  }

  async rerank(candidates: Candidate[], ctx: RerankContext): Promise<Candidate[]> {
    if (candidates.length === 0 || this.weight === 0) return candidates;
    // catalog-wide log-probabilities when the caller has the full row (recommend() and molar eval
    // do); else the candidates' own log-softmax, a per-list shift of the same scale
    const full = ctx.scores ?? Float32Array.from([-Infinity, ...candidates.map((c) => c.score)]);
    const [lpRow, zRow] = [firstStageLogProbs(full), firstStageZ(full)];
    const at = (c: Candidate, i: number) => (ctx.scores ? c.id : i + 1);
    const lp = Float32Array.from(candidates, (c, i) => (at(c, i) < lpRow.length ? lpRow[at(c, i)] : LP_FLOOR));
    const z = Float32Array.from(candidates, (c, i) => (at(c, i) < zRow.length ? zRow[at(c, i)] : LP_FLOOR));
    const known = ctx.history.filter((i) => i > 0 && i <= this.model.numItems);
    const ids = Int32Array.from(candidates, (c) => (c.id <= this.model.numItems ? c.id : 0));
    const kept = this.memory && !ctx.scratch ? [await this.memory.state(known, ctx.items)] : undefined;
    const [rr] = await this.model.rerankScores([known], [ids], [lp], [z], kept);
    const final = mixRerank(rr, lp, this.weight);
    return candidates.map((c, i) => ({ id: c.id, score: final[i] })).sort((a, b) => b.score - a.score);
  }

  /**
   * Items added with addItems() (rows in the item-vector layout): re-ranked from their vectors from
   * then on; with `first`, new content for items added before (their rows and tags are replaced; a
   * summary state already kept read the old content until the shopper's next block).
   */
  addItems(vectors: AddedRows): void {
    this.model.addItems(vectors.data, vectors.first);
    // their tags, computed now, so the summary reads them as it reads catalog items
    if (this.tags && this.tagger && this.tagger.dim === vectors.dim) {
      const t = this.tags.table;
      const at = vectors.first ?? t.rows;
      const table = tagTableOf(Array.from({ length: Math.max(t.rows, at + vectors.rows) }, () => []), t.perItem);
      table.ids.set(t.ids);
      table.scores.set(t.scores);
      const fresh = tagTableOf(Array.from({ length: vectors.rows }, (_, r) => topTags(this.tagger!.scores(vectors.data.subarray(r * vectors.dim, (r + 1) * vectors.dim)), t.perItem)), t.perItem);
      table.ids.set(fresh.ids, at * t.perItem);
      table.scores.set(fresh.scores, at * t.perItem);
      this.tags = { vocab: this.tags.vocab, table };
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.model.dispose();
  }
}
