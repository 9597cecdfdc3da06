/**
 * Stage 3 of MLLM-MSR, generative provider, behind the re-ranking seam (score/rerank.ts): for each
 * of the first stage's top `n` candidates, ask the LM whether a shopper with this preference
 * summary would choose the item (title, and its stage-1 image summary where there is one), and
 * rank by P(yes) = softmax over the " Yes" / " No" next-token logits, as the paper does (weight 1,
 * the default: the score is P(yes)). A weight w < 1 mixes in the first stage the way the default
 * re-ranker does (rerank.ts):  w · log P(yes) + (1 - w) · first-stage log-probability. Candidates
 * past `n` keep their order after the re-ranked ones, with scores below all of theirs.
 */
import { MolarError } from '../errors.js';
import type { Candidate, Reranker, RerankContext } from '../score/rerank.js';
import type { TextLm } from './gen-lm.js';
import { rerankPrompt, YES_NO } from './gen-prompts.js';
import { firstStageLogProbs, LP_FLOOR } from './rerank.js';

export interface YesNoRerankOptions {
  /** the preference summary after `ctx.history` ('' = none yet: the first stage's order is kept) */
  summary: (ctx: RerankContext) => string | Promise<string>;
  /** stage 1's text for an internal item id, when it has one (an added item's may be computed on demand) */
  imageSummary?: (id: number) => string | undefined | Promise<string | undefined>;
  /** how many of the first stage's candidates to re-rank (default 20: the paper's 1 + 20 scale) */
  n?: number;
  /** w in [0, 1]: 1 ranks by P(yes) alone, 0 keeps the first stage's order */
  weight?: number;
  words?: { yes: string; no: string };
}

export class YesNoReranker implements Reranker {
  readonly name = 'yes-no';
  readonly n: number;
  readonly weight: number;

  constructor(
    readonly lm: TextLm,
    private readonly o: YesNoRerankOptions,
  ) {
    this.n = o.n ?? 20;
    this.weight = o.weight ?? 1;
    if (!(Number.isInteger(this.n) && this.n >= 1)) throw new MolarError('BAD_CONFIG', `n must be a whole number >= 1, got ${this.n}`, { field: 'n' });
    if (!(this.weight >= 0 && this.weight <= 1)) throw new MolarError('BAD_CONFIG', `weight must be in [0, 1], got ${this.weight}`, { field: 'weight' });
  }

  async rerank(candidates: Candidate[], ctx: RerankContext): Promise<Candidate[]> {
    const summary = await this.o.summary(ctx);
    if (!summary) return candidates;
    const top = candidates.slice(0, this.n);
    const prompts = await Promise.all(
      top.map(async (c) => {
        const item = ctx.items[c.id - 1];
        return rerankPrompt(summary, { title: item?.title ?? item?.text ?? item?.id ?? String(c.id), image: await this.o.imageSummary?.(c.id) });
      }),
    );
    const p = await this.lm.yesNo(prompts, this.o.words ?? YES_NO);
    const w = this.weight;
    let score = (i: number) => p[i];
    if (w < 1) {
      // the first stage on a log-probability scale: over the catalog when the caller has the row, else over the list
      const full = ctx.scores ?? Float32Array.from([-Infinity, ...candidates.map((c) => c.score)]);
      const lp = firstStageLogProbs(full);
      score = (i) => w * Math.max(Math.log(p[i]), LP_FLOOR) + (1 - w) * lp[ctx.scores ? top[i].id : i + 1];
    }
    const ranked = top.map((c, i) => ({ id: c.id, score: score(i), at: i })).sort((a, b) => b.score - a.score || a.at - b.at);
    const floor = Math.min(0, ...ranked.map((r) => r.score));
    return [...ranked.map(({ id, score }) => ({ id, score })), ...candidates.slice(this.n).map((c, j) => ({ id: c.id, score: floor - 1 - j }))];
  }
}
