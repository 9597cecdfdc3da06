/**
 * The on-disk bundle format, typed apart from any runtime class (as tfjs keeps keras_format/ apart
 * from layers). Node writes it (bundle/write.ts), any runtime reads it (bundle/read.ts). Later models
 * add entries to `models` and files to `files`; they never change this shape without bumping
 * BUNDLE_FORMAT_VERSION. See docs in ARCHITECTURE.md § Bundle format.
 */
import type { HfDtype } from '../config.js';

export const BUNDLE_FORMAT = 'molar-bundle';
export const BUNDLE_FORMAT_VERSION = 1;

/**
 * A bundle file name: relative, forward-slashed segments of letters, digits and `_ . + -`, none of
 * them `.` or `..`. The writer refuses anything else and the reader treats it as a broken bundle:
 * names are joined onto the bundle URL, where `../`, `%2e%2e`, `?`, `#` or a scheme would reach
 * outside it.
 */
export function isSafeBundlePath(name: unknown): name is string {
  return typeof name === 'string' && name.length <= 512 && name.split('/').every((seg) => /^[\w.+-]+$/.test(seg) && seg !== '.' && seg !== '..');
}

export interface FileEntry {
  /** hex sha256 of the file's bytes; the reader refuses a mismatch */
  sha256: string;
  bytes: number;
}

/** Item table: `items.json` holds ItemRecord[]; position i has internal id i+1 (0 = padding). */
export interface ItemRecord {
  id: string;
  title?: string;
  text?: string;
  /** URL relative to the bundle root, or absolute */
  image?: string;
  url?: string;
  price?: number;
}

export interface ModelEntryBase {
  /** registry key; an unknown kind is an error listing the known ones */
  kind: string;
  /** files of this model, keys of Manifest.files */
  files: string[];
}

/** Popularity counts over training sequences: Float32[numItems+1] (index 0 unused). */
export interface PopularityEntry extends ModelEntryBase {
  kind: 'popularity';
}

/**
 * Item-to-item co-occurrence, kept sparse as CSR over internal ids 0..numItems:
 * one file of [indptr Uint32 (numItems+2)] [indices Uint32 (nnz)] [values Float32 (nnz)], little-endian.
 */
export interface CooccurrenceEntry extends ModelEntryBase {
  kind: 'cooccurrence';
  nnz: number;
  /** neighbours kept per item */
  topN: number;
  /** how many following items count as co-occurring */
  window: number;
}

/** Weights of a tfjs model as one little-endian Float32 blob, tensors in `weights` order. */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
}

export interface SasrecEntry extends ModelEntryBase {
  kind: 'sasrec';
  config: Record<string, unknown>;
  weights: WeightSpec[];
  /**
   * loss the model was trained with, the kept epoch (`epochs`), validation metrics at it, and, from
   * writers since issue 22, every epoch's figures (`history`: optional, older bundles lack it)
   */
  trainedWith?: { loss: string; epochs: number; valid?: Record<string, number>; history?: EpochRecord[]; settings?: Record<string, number | string> };
}

/** One training epoch as the bundle records it: mean loss (and its parts), valid NDCG@10, wall minutes since training began. */
export interface EpochRecord {
  epoch: number;
  loss: number;
  parts?: Record<string, number>;
  validNdcg10?: number;
  minutes: number;
  /** the epoch's training steps alone, validation excluded (writers since issue 23) */
  epochSeconds?: number;
}

/** int8 item vectors with a per-row Float32 scale: value = int8 * scale[row]. Row 0 = padding. */
export interface ItemVectorsEntry extends ModelEntryBase {
  kind: 'item-vectors';
  /** which encoder produced them, so addItems() encodes new items the same way */
  encoder: {
    id: string;
    dim: number;
    modality: 'text' | 'image' | 'text+image';
    /**
     * text+image only: width of the text half of each `[text | image]` row (the rest is the image).
     * Optional: bundles written before it was added lack it; Molar's fusion head needs it.
     */
    textDim?: number;
    /**
     * Set when the id has hf-text:/hf-image: parts: the transformers.js weights they were encoded
     * with, which the browser then loads too (q8 and fp32 vectors differ). Optional, so bundles
     * written before it was added still read; those were built with fp32. Checked where it is
     * read (encoders/browser.ts): a value outside HF_DTYPES is BUNDLE_INVALID.
     */
    hf?: { dtype: HfDtype };
  };
  dim: number;
}

/**
 * Molar (arXiv 2412.18176): a fusion head over the item vectors and a content user model over its
 * fused vectors, post-aligned to the bundle's SASRec, scored as a log-probability mix with it
 * (score/mix.ts). `files` lists everything it reads: its weights, the item vectors, the attribute
 * table, and the ID model's files; `parts` says which is which.
 */
export interface MolarEntry extends ModelEntryBase {
  kind: 'molar';
  /** architecture (models/content/config.ts contentArchitecture) */
  config: Record<string, unknown>;
  weights: WeightSpec[];
  parts: {
    /** Float32 weight blob, `weights` order */
    weights: string;
    /** the item-vectors entry's file (int8 [text | image] rows the head reads) */
    vectors: string;
    /** attribute table (models/fusion/attributes.ts file form), when the catalog has attributes */
    attributes?: string;
  };
  /** attribute vocabulary: `key=value` tokens the attribute table's ids index */
  attributes?: string[];
  /** content weight w of the mix w·log p_content + (1-w)·log p_id; `idModel` names the ID side's kind */
  mix: { content: number; idModel?: 'sasrec' };
  trainedWith?: { epochs: number; valid?: Record<string, number>; mixValid?: Record<string, number>; align: { weight: number; tau: number }; tasks: Record<string, number>; settings?: Record<string, number | string> };
}

/**
 * A weighted mix of other models of the bundle (score/kinds/blend.ts): each part's scores z-scored
 * over the catalog, then summed with its weight. `files` is the union of the parts' files.
 */
export interface BlendEntry extends ModelEntryBase {
  kind: 'blend';
  parts: { kind: string; weight: number }[];
}

/**
 * Which model the bundle serves and why (issue 19): `molar build` scores every candidate it fitted
 * on the validation split (full ranking, `molar eval`'s protocol) and serves the best. Readers serve
 * `kind`; a bundle without it (written before) serves by kind priority.
 */
export interface ServedChoice {
  kind: string;
  /** one sentence for people: what won and by how much */
  reason: string;
  /** every candidate's validation figures (ndcg@10, recall@10, …), by kind (a blend as `blend`) */
  candidates: Record<string, Record<string, number>>;
  split: 'valid';
  users: number;
  filterSeen: boolean;
}

/**
 * MLLM-MSR stage 1 (summary/tags.ts): every item's best catalog attributes as a provider tagged
 * them, and the provider itself for items added later. Data the summary reads, not a model that ranks.
 */
export interface ItemTagsEntry extends ModelEntryBase {
  kind: 'item-tags';
  provider: 'linear-tagger';
  /** `key=value` tokens the tag ids index */
  vocab: string[];
  /** tags kept per item in the tags file */
  perItem: number;
  /** width of the item-vector rows the tagger reads */
  dim: number;
  parts: { tags: string; tagger: string };
  fit?: { ridge: number; heldOut: number; heldOutPrecision?: number };
}

/**
 * MLLM-MSR stage 1, generative provider (summary/gen-caption.ts, `molar build --image-summaries`):
 * one text per item image, written at build time. Data the summary reads, not a model that ranks.
 */
export interface ImageSummariesEntry extends ModelEntryBase {
  kind: 'image-summaries';
  /** the provider that wrote them: "hf-caption:<model>" */
  provider: string;
  /** a JSON array of numItems strings: internal id i+1's text at index i ('' = no image, or unreadable) */
  parts: { texts: string };
  /** how they were made: transformers.js weights and the greedy length limit */
  hf: { dtype: string; maxNewTokens: number };
}

/**
 * MLLM-MSR stages 2 + 3, default providers (models/msr/model.ts): the recurrent preference summary
 * and the re-ranker over the first stage's top N. Not a scorer: the Recommender runs it behind the
 * re-ranking seam when the model it serves is `firstStage` (the one it was trained over).
 */
export interface MsrEntry extends ModelEntryBase {
  kind: 'msr';
  /** architecture (models/msr/config.ts msrArchitecture) */
  config: Record<string, unknown>;
  weights: WeightSpec[];
  /** Float32 weight blob (`weights` order) and the item-vectors file it reads */
  parts: { weights: string; vectors: string };
  /** kind of the first-stage model whose scores it was trained on */
  firstStage: string;
  /** mix weight w of  w · rerank logit + (1 - w) · first-stage log-probability, chosen on validation */
  weight: number;
  /**
   * `weights`: valid figures at each mix weight tried (on `validUsers.chosen` users); writers since
   * issue 20's fix also record stage 3's example source (`rerankExamples`), the same figures on the
   * held-out users alone, and the first stage's fit on stage 3's examples vs on the held-out users
   */
  trainedWith?: { epochs: number; valid?: Record<string, number>; weights?: Record<string, Record<string, number>>; negatives: number; hardShare: number; rerankExamples?: string; rerankFold?: number; validUsers?: Record<string, number>; weightsHeldOut?: Record<string, Record<string, number>>; firstStageFit?: Record<string, Record<string, number>> };
}

/** The model kinds this reader knows the fields of. */
export type KnownModelEntry = PopularityEntry | CooccurrenceEntry | SasrecEntry | ItemVectorsEntry | MolarEntry | ItemTagsEntry | ImageSummariesEntry | MsrEntry | BlendEntry;

/**
 * An entry of a kind this reader does not know (written by a newer molar-web): it reads, keeps its
 * fields (so a rewrite of the manifest keeps it too), and is never served; `pickModel` skips it.
 */
export interface UnknownModelEntry extends ModelEntryBase {
  readonly [field: string]: unknown;
}

/** A manifest's model entry: one of the known kinds, or the one explicit unknown arm. */
export type ModelEntry = KnownModelEntry | UnknownModelEntry;

/** Narrows an entry to the known arm of its kind: `entryOf(m, 'sasrec')` is a SasrecEntry or undefined. */
export function entryOf<K extends KnownModelEntry['kind']>(m: ModelEntry | undefined, kind: K): Extract<KnownModelEntry, { kind: K }> | undefined {
  return m?.kind === kind ? (m as Extract<KnownModelEntry, { kind: K }>) : undefined;
}


export interface Manifest {
  format: typeof BUNDLE_FORMAT;
  formatVersion: number;
  name: string;
  createdAt: string;
  /** tool that wrote it, e.g. "molar-web 0.1.0" */
  generator: string;
  numItems: number;
  itemsFile: string;
  files: Record<string, FileEntry>;
  models: ModelEntry[];
  /** the model chosen on validation; absent in bundles written before issue 19 (priority order then) */
  served?: ServedChoice;
  /** training data facts shown by `molar eval` and the demo */
  stats?: {
    users: number;
    interactions: number;
    source?: string;
    /**
     * which sequences the models were fitted on: the leave-one-out training prefixes (so `molar
     * eval` on the same data is honest) or everything (a production bundle, not for evaluation)
     */
    trainedOn?: 'leave-one-out-train' | 'all';
    /** k-core filter applied before fitting, so eval rebuilds the same sequences */
    kcore?: number;
  };
}
