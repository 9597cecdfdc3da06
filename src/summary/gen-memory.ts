/**
 * The generative summary (stage 2, gen-summary.ts) kept beside the history, as memory.ts keeps the
 * default provider's state: one record per provider in the history's `summaries` store holding the
 * latest summary text and the complete blocks it read (count and item ids). A read generates one
 * step per block completed since, from the kept text, so a reload resumes where the last page left
 * off and a new block costs one LM call, never a pass from the history's start.
 *
 * Blocks are counted from the history's start. The kept text is dropped when it no longer matches:
 * another summarizer (LM, block size, tokens: `source`), or a history that no longer starts with the
 * blocks it read (trimmed to maxEvents, cleared, a late event, an item a later addItems() made
 * known). Then only the newest `maxBlocks` complete blocks are summarised from nothing, so a long
 * history costs at most that many LM calls.
 */
import type { ItemRecord } from '../bundle/manifest.js';
import type { SummaryRecord } from '../history/index.js';
import type { GenItem } from './gen-prompts.js';
import type { GenerativeSummarizer, SummaryState } from './gen-summary.js';
import type { SummaryStorage } from './memory.js';

export const GEN_MEMORY_DEFAULTS = Object.freeze({ maxBlocks: 8 });

/** Stage 2's input for one history item: its title, and stage 1's text of it where there is one. */
export type GenItemOf = (id: number, items: readonly ItemRecord[]) => Promise<GenItem>;

export class GenerativeMemory {
  /** one read at a time, so two calls do not both generate and write the same blocks */
  private queue: Promise<unknown> = Promise.resolve();
  /** the store's name of this summarizer's record */
  readonly provider: string;
  readonly source: string;

  constructor(
    readonly summarizer: GenerativeSummarizer,
    private readonly storage: SummaryStorage,
    private readonly itemOf: GenItemOf,
    readonly maxBlocks: number = GEN_MEMORY_DEFAULTS.maxBlocks,
    private readonly now: () => number = Date.now,
  ) {
    this.provider = summarizer.name;
    this.source = `blocks of ${summarizer.blockSize}, ${summarizer.maxNewTokens} new tokens`;
  }

  /**
   * The summary after `history` (internal ids, oldest first; `items[id - 1]` names them): the kept
   * one advanced by the blocks completed since (each step written at once). '' before a full block.
   */
  read(history: Int32Array, items: readonly ItemRecord[]): Promise<SummaryState> {
    const run = this.queue.then(() => this.advance(history, items));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * The kept summary as it stands, generating nothing (what-if histories of explanations read this;
   * so does a Recommender while its LM loads). `wait: false` reads the store without waiting for a
   * read in progress: what it has written so far, step by step.
   */
  async kept(history: Int32Array, items: readonly ItemRecord[], { wait = true } = {}): Promise<SummaryState> {
    if (wait) await this.queue;
    const names = Array.from(history, (id) => items[id - 1]?.id ?? `#${id}`);
    const r = this.usable(await this.storage.summary(this.provider), names);
    return r ? { summary: r.text ?? '', blocks: r.blocks } : { summary: '', blocks: 0 };
  }

  private async advance(history: Int32Array, items: readonly ItemRecord[]): Promise<SummaryState> {
    const S = this.summarizer.blockSize;
    const names = Array.from(history, (id) => items[id - 1]?.id ?? `#${id}`);
    const complete = Math.floor(history.length / S);
    // read from the store each time: another tab, or a clearHistory(), may have changed it
    const kept = this.usable(await this.storage.summary(this.provider), names);
    let state: SummaryState = kept ? { summary: kept.text ?? '', blocks: kept.blocks } : { summary: '', blocks: Math.max(0, complete - this.maxBlocks) };
    for (let b = state.blocks; b < complete; b++) {
      const block = await Promise.all(Array.from(history.subarray(b * S, (b + 1) * S), (id) => this.itemOf(id, items)));
      state = { summary: await this.summarizer.step(state.summary, block), blocks: b + 1 };
      // written per step: a page closed halfway keeps the blocks it did read
      await this.storage.putSummary({ provider: this.provider, source: this.source, blocks: state.blocks, items: names.slice(0, state.blocks * S), states: new Float32Array(0), text: state.summary, updatedAt: this.now() });
    }
    return state;
  }

  /** `r` when this summarizer wrote it over blocks the history still starts with (and it is well formed), else undefined. */
  private usable(r: SummaryRecord | undefined, names: string[]): SummaryRecord | undefined {
    const S = this.summarizer.blockSize;
    if (!r || r.source !== this.source || typeof r.text !== 'string' || !Number.isInteger(r.blocks) || r.blocks < 1) return undefined;
    if (!Array.isArray(r.items) || r.items.length !== r.blocks * S || r.items.length > names.length || r.items.some((id, i) => id !== names[i])) return undefined;
    return r;
  }
}
