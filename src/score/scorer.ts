import * as tf from '@tensorflow/tfjs';
import type { MolarConfig } from '../config.js';
import type { Manifest, ModelEntry } from '../bundle/manifest.js';
import { MolarError } from '../errors.js';
import { padLeft, type SequentialModel } from '../models/types.js';
import type { TopK } from './topk.js';

/**
 * What every model kind becomes at serving and evaluation time: full-catalog scores per history.
 * `molar eval`, the trainer's validation and the browser's Recommender all hold one of these and
 * never care which model is behind it.
 */
export interface Scorer {
  /** Scores over ids 0..N for each history; index 0 is padding and holds -Infinity. */
  score(histories: Int32Array[]): Promise<Float32Array[]>;
  /**
   * The k best ids of one history over ids 1..N without a full score row, streamed shard by shard
   * (score/item-table.ts): what recommend() asks for when nothing needs the whole row (no added
   * items to fuse, a re-ranker that reads only its candidates). `excluded` holds 0.
   */
  topK?(history: Int32Array, k: number, excluded: ReadonlySet<number>): Promise<TopK>;
  /** Frees the model's tensors (when it owns them). Safe to call twice. */
  dispose(): void;
  /**
   * Content models that score any item from its vector (Molar's content user model) take items
   * added with addItems() here (float rows, the bundle's item-vector layout) and score them from
   * then on: score() rows grow by their count. A scorer without it (ID models, baselines) leaves
   * added items to the content fusion in score/fuse.ts. `attributes`: each row's catalog attributes
   * (`{ genre: 'Drama|War' }`), for models that read them as Molar's fusion head does. With
   * `first`, the rows are new content for items added before, which keep their ids.
   */
  addItems?(vectors: AddedRows): void;
}

/** Items added with addItems(), as a scorer or re-ranker receives them. */
export interface AddedRows {
  /** float rows in the bundle's item-vector layout */
  data: Float32Array;
  rows: number;
  dim: number;
  /** per row: the item's catalog attributes, when it has any */
  attributes?: (Record<string, string> | undefined)[];
  /**
   * The internal id of the first row when the rows replace items added before (the page gave an
   * added item new content); absent: they are new items, appended after the last.
   */
  first?: number;
}

/** What a scorer factory gets: the bundle's manifest, its own entry, and a file reader. */
export interface ScorerContext<E extends ModelEntry = ModelEntry> {
  manifest: Manifest;
  entry: E;
  /** bytes of a bundle file (a key of manifest.files), integrity already checked */
  readFile(name: string): Promise<ArrayBuffer>;
  /**
   * the scorer has copied what it needs of this file: the reader may drop its bytes (a later
   * readFile fetches them again). Lets an int8 table be all the page holds of a large checkpoint.
   */
  release?(name: string): void;
  config: MolarConfig;
}

/**
 * One model kind's entry in the registry (score/registry.ts). `create` builds on whatever tfjs
 * backend is active: the caller chooses it first (the browser's runtime/, the CLI in Node).
 */
export interface ScorerSpec<E extends ModelEntry = ModelEntry> {
  /** higher wins when a bundle holds several models; `molar eval --model` / `model:` override */
  priority: number;
  create(ctx: ScorerContext<E>): Promise<Scorer>;
}

/** The i-th file of a model entry, or BUNDLE_INVALID naming the entry. */
export function entryFile(e: ModelEntry, i: number): string {
  const f = e.files[i];
  if (!f) throw new MolarError('BUNDLE_INVALID', `model "${e.kind}" lists ${e.files.length} files, expected at least ${i + 1}`, { field: 'files' });
  return f;
}

/** The part of a sequential model a scorer needs. */
export type ScorableModel = Pick<SequentialModel, 'maxLen' | 'numItems' | 'fullSortPredict' | 'dispose'>;

/**
 * Full-catalog scorer over any sequential model. Each call pads only to the longest history it was
 * given (capped at maxLen): models count positions per row, so shorter padding scores the same and
 * costs less. Column 0 (padding) is set to -Infinity so it never ranks.
 * `owns: true` makes dispose() dispose the model too (the serving case); the trainer validates
 * through a scorer that borrows its model (`owns: false`, the default).
 */
export function sequentialScorer(model: ScorableModel, { owns = false }: { owns?: boolean } = {}): Scorer {
  let disposed = false;
  return {
    async score(histories) {
      if (histories.length === 0) return [];
      const { flat, L } = padBatch(histories, model.maxLen);
      const seq = tf.tensor2d(flat, [histories.length, L], 'int32');
      const scores = model.fullSortPredict(seq);
      seq.dispose();
      const data = (await scores.data()) as Float32Array;
      scores.dispose();
      const N = model.numItems + 1;
      return histories.map((_, i) => {
        const row = data.slice(i * N, (i + 1) * N);
        row[0] = -Infinity;
        return row;
      });
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      if (owns) model.dispose();
    },
  };
}

/** Histories left-padded to the longest of them (capped at maxLen), flat [B * L]. */
export function padBatch(histories: Int32Array[], maxLen: number): { flat: Int32Array; L: number } {
  const L = Math.max(1, Math.min(maxLen, Math.max(...histories.map((h) => h.length))));
  const flat = new Int32Array(histories.length * L);
  histories.forEach((h, i) => flat.set(padLeft(h, L), i * L));
  return { flat, L };
}

/** A scorer from a plain function (baselines hold no tensors, so there is nothing to dispose). */
export function functionScorer(score: Scorer['score']): Scorer {
  return { score, dispose() {} };
}
