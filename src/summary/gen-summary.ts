/**
 * Stage 2 of MLLM-MSR, generative provider: the recurrent preference summary. The history is cut
 * into blocks of `blockSize` (3 in the paper) items, oldest first; each step reads one block's
 * titles and image summaries plus the previous summary and writes the next one, so a new block
 * costs one generation, never a pass over the whole history. The LM is a `TextLm`: in Node
 * `loadCausalLm` (gen-lm.ts), in a page `createWorkerLm` (worker-client.ts) so the main thread
 * never runs the model.
 */
import { MolarError } from '../errors.js';
import type { TextLm } from './gen-lm.js';
import { SUMMARY_PREFIX, summaryPrompt, type GenItem } from './gen-prompts.js';

export const GEN_SUMMARY_DEFAULTS = Object.freeze({ blockSize: 3, maxNewTokens: 48 });

/** Where the recurrence stands: the summary after the first `blocks` completed blocks ('' before any). */
export interface SummaryState {
  summary: string;
  blocks: number;
}

export class GenerativeSummarizer {
  readonly blockSize: number;
  readonly maxNewTokens: number;

  constructor(
    readonly lm: TextLm,
    o: { blockSize?: number; maxNewTokens?: number } = {},
  ) {
    this.blockSize = o.blockSize ?? GEN_SUMMARY_DEFAULTS.blockSize;
    this.maxNewTokens = o.maxNewTokens ?? GEN_SUMMARY_DEFAULTS.maxNewTokens;
    if (!(Number.isInteger(this.blockSize) && this.blockSize >= 1)) throw new MolarError('BAD_CONFIG', `blockSize must be a whole number >= 1, got ${this.blockSize}`, { field: 'blockSize' });
    if (!(Number.isInteger(this.maxNewTokens) && this.maxNewTokens >= 1)) throw new MolarError('BAD_CONFIG', `maxNewTokens must be a whole number >= 1, got ${this.maxNewTokens}`, { field: 'maxNewTokens' });
  }

  get name(): string {
    return `gen-summary(${this.lm.name})`;
  }

  /** One step of the recurrence: the summary after `block`, given the one before it. */
  async step(previous: string, block: readonly GenItem[]): Promise<string> {
    if (block.length === 0) throw new MolarError('BAD_INPUT', 'a summary step needs at least one item', { field: 'block' });
    const { text } = await this.lm.generate(summaryPrompt(block, previous), this.maxNewTokens);
    return (SUMMARY_PREFIX + text).trim();
  }

  /**
   * Brings `state` up to date with `history` (oldest first): one step per completed block not yet
   * read; a block still filling up waits. `onStep` sees each new summary (to persist it at once).
   */
  async advance(state: SummaryState, history: readonly GenItem[], onStep?: (s: SummaryState) => void): Promise<SummaryState> {
    const complete = Math.floor(history.length / this.blockSize);
    if (state.blocks > complete) throw new MolarError('BAD_INPUT', `the summary has read ${state.blocks} blocks but the history holds only ${complete}; clear the summary with the history`, { field: 'blocks' });
    let s = state;
    for (let b = state.blocks; b < complete; b++) {
      s = { summary: await this.step(s.summary, history.slice(b * this.blockSize, (b + 1) * this.blockSize)), blocks: b + 1 };
      onStep?.(s);
    }
    return s;
  }
}
