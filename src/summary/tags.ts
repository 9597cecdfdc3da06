/**
 * Stage 1 of MLLM-MSR (arXiv 2408.09698): a short description of every item, which the preference
 * summary (stage 2) is made readable through. The paper has a 7B MLLM write a paragraph per image;
 * this stage has one interface, `TagProvider`, with one provider so far: the default `LinearTagger`,
 * a multi-label map from the item's `[text | image]` vector to the catalog's `key=value` attributes
 * (models/fusion/attributes.ts), fitted on the catalog at build time (fit-tagger.ts). The generative
 * provider (a transformers.js image-to-text model by id or path) writes free text rather than tags,
 * so it has a sibling interface: `ImageSummaryProvider` in gen-caption.ts, run at build time by
 * image-summaries-step-node.ts (`molar build --image-summaries`).
 */
import { MolarError } from '../errors.js';

/** One attribute value an item carries, by how strongly the provider believes it. */
export interface Tag {
  /** a `key=value` token of the bundle's attribute vocabulary */
  token: string;
  score: number;
}

export interface ItemTags {
  /** best first */
  tags: Tag[];
  /** what the page shows: "Action, Adventure" (text only, never markup) */
  text: string;
}

/** What an item offers a provider: its item-vector row (the bundle's layout) and its title. */
export interface TagInput {
  vector: Float32Array;
  title?: string;
}

/**
 * Stage 1's one interface. `tag` describes items the bundle did not describe (those added with
 * addItems()); the bundle's own items come described from its tags file.
 */
export interface TagProvider {
  readonly name: string;
  tag(items: TagInput[]): Promise<ItemTags[]>;
  dispose?(): void;
}

/** How many tags per item the tags file keeps, and the share of the best score a shown tag needs. */
export const TAG_LIMITS = Object.freeze({ perItem: 8, shown: 3, minShare: 0.5 });

/** "genres=Sci-Fi" → "Sci-Fi": the value is what reads; the key only groups. */
export const tagValue = (token: string): string => token.slice(token.indexOf('=') + 1);

/**
 * The shown text: the best tag, then up to `shown - 1` more scoring at least minShare of it, values
 * joined with ", ". Empty when no tag scores above 0.
 */
export function renderTags(tags: readonly Tag[], shown = TAG_LIMITS.shown): string {
  const best = tags[0]?.score ?? 0;
  if (!(best > 0)) return '';
  return tags
    .filter((t, i) => i === 0 || t.score >= TAG_LIMITS.minShare * best)
    .slice(0, shown)
    .map((t) => tagValue(t.token))
    .join(', ');
}

/** The `count` best of `scores` (ids into a vocabulary), best first, ties by id. */
export function topTags(scores: ArrayLike<number>, count: number): { id: number; score: number }[] {
  const ids = Array.from({ length: scores.length }, (_, i) => i).filter((i) => Number.isFinite(scores[i]));
  ids.sort((a, b) => scores[b] - scores[a] || a - b);
  return ids.slice(0, count).map((id) => ({ id, score: scores[id] }));
}

/**
 * The default provider: tag scores = x·W + b over the vocabulary (a ridge fit of the catalog's
 * attribute indicators, so a score reads roughly as "how likely the item has it").
 */
export class LinearTagger implements TagProvider {
  readonly name = 'linear-tagger';
  constructor(
    readonly vocab: readonly string[],
    readonly dim: number,
    /** [dim * vocab.length] row-major, then nothing else */
    readonly weights: Float32Array,
    readonly bias: Float32Array,
  ) {
    if (weights.length !== dim * vocab.length || bias.length !== vocab.length) throw new MolarError('BAD_INPUT', `a tagger of ${dim} x ${vocab.length} needs ${dim * vocab.length} weights and ${vocab.length} biases, got ${weights.length} and ${bias.length}`, { field: 'tagger' });
  }

  /** Scores over the vocabulary for one item-vector row. */
  scores(x: Float32Array): Float32Array {
    if (x.length !== this.dim) throw new MolarError('BAD_INPUT', `expected an item vector of ${this.dim} values, got ${x.length}`, { field: 'vector' });
    const A = this.vocab.length;
    const out = Float32Array.from(this.bias);
    for (let j = 0; j < this.dim; j++) {
      const v = x[j];
      if (v === 0) continue;
      const row = j * A;
      for (let a = 0; a < A; a++) out[a] += v * this.weights[row + a];
    }
    return out;
  }

  tagVector(x: Float32Array): ItemTags {
    const tags = topTags(this.scores(x), TAG_LIMITS.perItem).map(({ id, score }) => ({ token: this.vocab[id], score }));
    return { tags, text: renderTags(tags) };
  }

  async tag(items: TagInput[]): Promise<ItemTags[]> {
    return items.map((it) => this.tagVector(it.vector));
  }

  /** File form: Float32 weights [dim * A] then bias [A], little-endian. */
  toBytes(): Uint8Array {
    const out = new Float32Array(this.weights.length + this.bias.length);
    out.set(this.weights);
    out.set(this.bias, this.weights.length);
    return new Uint8Array(out.buffer);
  }

  static fromBytes(buf: ArrayBuffer, vocab: readonly string[], dim: number, file = TAGGER_FILE): LinearTagger {
    const A = vocab.length;
    if (buf.byteLength !== 4 * (dim * A + A)) throw new MolarError('BUNDLE_INVALID', `a tagger of ${dim} x ${A} is ${4 * (dim * A + A)} bytes, the file has ${buf.byteLength}`, { file });
    const all = new Float32Array(buf.slice(0));
    for (let i = 0; i < all.length; i++) if (!Number.isFinite(all[i])) throw new MolarError('BUNDLE_INVALID', `tagger weight ${i} is ${all[i]}; expected finite numbers`, { file });
    return new LinearTagger(vocab, dim, all.subarray(0, dim * A), all.subarray(dim * A));
  }
}

export const TAGGER_FILE = 'summary_tagger.bin';
export const TAGS_FILE = 'summary_tags.bin';

/**
 * Every item's best tags as the tags file holds them, rows 0..N (row 0 padding): Int32 ids
 * [rows * perItem] (-1 = none) then Float32 scores [rows * perItem], little-endian.
 */
export interface TagTable {
  rows: number;
  perItem: number;
  ids: Int32Array;
  scores: Float32Array;
}

export function tagTableOf(perRow: { id: number; score: number }[][], perItem: number): TagTable {
  const rows = perRow.length;
  const ids = new Int32Array(rows * perItem).fill(-1);
  const scores = new Float32Array(rows * perItem);
  perRow.forEach((tags, r) => tags.slice(0, perItem).forEach((t, j) => ((ids[r * perItem + j] = t.id), (scores[r * perItem + j] = t.score))));
  return { rows, perItem, ids, scores };
}

export function serializeTagTable(t: TagTable): Uint8Array {
  const out = new Uint8Array(t.ids.byteLength + t.scores.byteLength);
  out.set(new Uint8Array(t.ids.buffer, t.ids.byteOffset, t.ids.byteLength));
  out.set(new Uint8Array(t.scores.buffer, t.scores.byteOffset, t.scores.byteLength), t.ids.byteLength);
  return out;
}

/** Reads the tags file of `rows` rows, checking every id against a vocabulary of `count` tokens. */
export function deserializeTagTable(buf: ArrayBuffer, rows: number, perItem: number, count: number, file = TAGS_FILE): TagTable {
  const n = rows * perItem;
  if (buf.byteLength !== 8 * n) throw new MolarError('BUNDLE_INVALID', `${rows} rows of ${perItem} tags are ${8 * n} bytes, the file has ${buf.byteLength}`, { file });
  const ids = new Int32Array(buf.slice(0, 4 * n));
  const scores = new Float32Array(buf.slice(4 * n));
  for (let i = 0; i < n; i++) {
    if (ids[i] < -1 || ids[i] >= count) throw new MolarError('BUNDLE_INVALID', `tag id ${ids[i]} at ${i} outside -1..${count - 1}`, { file });
    if (!Number.isFinite(scores[i])) throw new MolarError('BUNDLE_INVALID', `tag score ${i} is ${scores[i]}; expected finite numbers`, { file });
  }
  return { rows, perItem, ids, scores };
}

/** Row r of a tag table as tags (best first) and text. */
export function tagsOfRow(t: TagTable, vocab: readonly string[], r: number): ItemTags {
  const tags: Tag[] = [];
  for (let j = 0; j < t.perItem; j++) {
    const id = t.ids[r * t.perItem + j];
    if (id >= 0) tags.push({ token: vocab[id], score: t.scores[r * t.perItem + j] });
  }
  return { tags, text: renderTags(tags) };
}
