/**
 * Stage 3 of MLLM-MSR, generative provider, behind the re-ranking seam (score/rerank.ts): for each
 * of the first stage's top `n` candidates, ask the LM whether a shopper with this preference
 * summary would choose the item (title, and its stage-1 image summary where there is one), and
 * rank by P(yes) = softmax over the " Yes" / " No" next-token logits, as the paper does. Candidates
 * past `n` keep their order after the re-ranked ones, with scores below 0 (P(yes) is in [0, 1]).
 */
import { MolarError } from '../errors.js';
import type { Candidate, Reranker, RerankContext } from '../score/rerank.js';
import type { TextLm } from './gen-lm.js';
import { rerankPrompt, YES_NO } from './gen-prompts.js';

export interface YesNoRerankOptions {
  /** the current preference summary ('' = none yet: the first stage's order is kept) */
  summary: () => string | Promise<string>;
  /** stage 1's text for an internal item id, when it has one */
  imageSummary?: (id: number) => string | undefined;
  /** how many of the first stage's candidates to re-rank (default 20: the paper's 1 + 20 scale) */
  n?: number;
  words?: { yes: string; no: string };
}

export class YesNoReranker implements Reranker {
  readonly name = 'yes-no';
  readonly n: number;

  constructor(
    readonly lm: TextLm,
    private readonly o: YesNoRerankOptions,
  ) {
    this.n = o.n ?? 20;
    if (!(Number.isInteger(this.n) && this.n >= 1)) throw new MolarError('BAD_CONFIG', `n must be a whole number >= 1, got ${this.n}`, { field: 'n' });
  }

  async rerank(candidates: Candidate[], ctx: RerankContext): Promise<Candidate[]> {
    const summary = await this.o.summary();
    if (!summary) return candidates;
    const top = candidates.slice(0, this.n);
    const prompts = top.map((c) => {
      const item = ctx.items[c.id - 1];
      return rerankPrompt(summary, { title: item?.title ?? item?.text ?? item?.id ?? String(c.id), image: this.o.imageSummary?.(c.id) });
    });
    const p = await this.lm.yesNo(prompts, this.o.words ?? YES_NO);
    const ranked = top.map((c, i) => ({ id: c.id, score: p[i], at: i })).sort((a, b) => b.score - a.score || a.at - b.at);
    return [...ranked.map(({ id, score }) => ({ id, score })), ...candidates.slice(this.n).map((c, j) => ({ id: c.id, score: -1 - j }))];
  }
}
