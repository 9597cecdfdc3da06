/**
 * Stage 2's state kept beside the history (history/, store `summaries`), so the preference summary
 * is updated per completed block, as the paper's is, instead of recomputed from the history's start
 * on every recommend(). What is kept: the complete blocks read (count and item ids) and the GRU
 * states of models/msr/model.ts `stepSummary`. A read steps them by the blocks completed since,
 * then reads the window's state with the newest partial block (not kept: it is not complete yet).
 *
 * The kept state is thrown away and read again from the history (at most `maxBlocks` GRU steps)
 * when it no longer matches: another bundle (`source`: the msr weights' and item vectors' sha256),
 * or a history that no longer starts with the blocks it read (trimmed to maxEvents, cleared, an
 * event recorded with an older timestamp, an item a later addItems() made known).
 */
import type { ItemRecord } from '../bundle/manifest.js';
import type { SummaryRecord } from '../history/index.js';
import type { MsrModel } from '../models/msr/model.js';

/** Where the state lives: HistoryStore has these two (history/store.ts). */
export interface SummaryStorage {
  summary(provider: string): Promise<SummaryRecord | undefined>;
  putSummary(record: SummaryRecord): Promise<void>;
}

/** The default provider's name in the store. */
export const MSR_PROVIDER = 'msr';

export class SummaryMemory {
  /** one read at a time, so two recommend() calls do not both step and write the same blocks */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly model: MsrModel,
    private readonly storage: SummaryStorage,
    /** what the state is computed with: the msr entry's weights and vectors, by sha256 */
    readonly source: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * The read state [hidden] after `history` (internal ids the model knows, oldest first; `items[id - 1]`
   * names them), equal to `model.summaryStates([history])` (to float rounding).
   */
  state(history: Int32Array, items: readonly ItemRecord[]): Promise<Float32Array> {
    const run = this.queue.then(() => this.read(history, items));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async read(history: Int32Array, items: readonly ItemRecord[]): Promise<Float32Array> {
    const { blockSize: S, maxBlocks: M } = this.model.config;
    const names = Array.from(history, (id) => items[id - 1]?.id ?? `#${id}`);
    const complete = Math.floor(history.length / S);
    // read from the store each time (one small get), not cached here: another tab, or a clearHistory(), may have changed it
    const kept = this.usable(await this.storage.summary(MSR_PROVIDER), names, complete);
    // chains older than the newest M blocks are never read again: a long gap (or nothing kept) replays only those
    const from = Math.max(kept?.blocks ?? 0, complete - M);
    const states = kept && kept.blocks >= complete - M ? kept.states : new Float32Array(0);
    const blocks = Array.from({ length: complete - from }, (_, k) => history.slice((from + k) * S, (from + k + 1) * S));
    // replayed from nothing, the blocks before `from` are simply not counted: only their window starts are missing, and those are never read
    const next = await this.model.stepSummary(states, states.length ? from : 0, blocks, history.subarray(complete * S));
    if (blocks.length || !kept) {
      await this.storage.putSummary({ provider: MSR_PROVIDER, source: this.source, blocks: complete, items: names.slice(0, complete * S), states: next.chains, updatedAt: this.now() });
    }
    return next.state;
  }

  /** `r` when it was computed with this bundle over blocks the history still starts with (and is well formed), else undefined. */
  private usable(r: SummaryRecord | undefined, names: string[], complete: number): SummaryRecord | undefined {
    const { blockSize: S, maxBlocks: M, hidden: H } = this.model.config;
    if (!r || r.source !== this.source || !Number.isInteger(r.blocks) || r.blocks < 0 || r.blocks > complete) return undefined;
    if (!Array.isArray(r.items) || r.items.length !== r.blocks * S || r.items.some((id, i) => id !== names[i])) return undefined;
    if (!(r.states instanceof Float32Array) || r.states.length !== Math.min(r.blocks, M) * H || !r.states.every(Number.isFinite)) return undefined;
    return r;
  }
}
