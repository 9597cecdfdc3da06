/**
 * Stage 1's text per item, as the generative summarizer and re-ranker put it in their prompts and
 * `rec.itemSummary()` returns it. Catalog items: the bundle's image summary (`summary_images.json`,
 * written at build time) where it has one, else its tags (`summary_tags.bin`) rendered as text.
 * Items added with addItems(): computed on demand, the first time one is asked for, and cached per
 * item: the generative captioner on the item's image when one is configured, else (or when the
 * item has no image, or it gives nothing) the bundle's tagger on the item's vector.
 *
 * The image an added item is captioned from is the one the Recommender kept for it: a Blob the page
 * handed in, or its URL after items/urls.ts applied `items.allowRemoteImages` (a cross-origin URL
 * is gone by then unless the shop allowed it), so nothing is fetched from another origin unasked.
 *
 * A caption is also kept in `store` (the history's `itemTexts`, history/schema.ts v4), so a reload
 * does not caption the same image again. It is kept under its source, the captioner (`captionSource`:
 * model, dtype, tokens) and the image (sha256 of its URL, or of a Blob's bytes): another captioner
 * or another image is captioned afresh. The store is best effort: one that fails only costs a caption.
 */
import { entryOf, type Manifest } from '../bundle/manifest.js';
import { sha256Hex } from '../bundle/read.js';
import type { ItemTextRecord } from '../history/index.js';
import type { ImageInput } from '../encoders/types.js';
import { MolarError } from '../errors.js';
import type { WarningHandler } from '../warnings.js';
import type { ImageSummaryProvider } from './gen-caption.js';
import { loadImageSummaries } from './image-summaries.js';
import { deserializeTagTable, LinearTagger, tagsOfRow, type TagTable } from './tags.js';

export interface AddedSource {
  /** the item's id, for warnings */
  name: string;
  vector?: Float32Array;
  image?: ImageInput;
}

/** What the bundle says of its own items, and its tagger. */
export interface BundleTexts {
  /** the bundle's image summaries, internal id i+1 at index i ('' = none) */
  images?: readonly string[];
  /** the bundle's tags of its items, rows 0..N */
  tags?: { table: TagTable; vocab: readonly string[] };
  /** the bundle's tagger, for added items' vectors */
  tagger?: LinearTagger;
}

/** Where captions are kept between page loads: HistoryStore has these two (history/store.ts). */
export interface ItemTextStorage {
  itemText(id: string): Promise<ItemTextRecord | undefined>;
  putItemText(record: ItemTextRecord): Promise<void>;
}

export interface ItemTextSources {
  /** the bundle's files, read when first needed (a page that never asks fetches none of them) */
  bundle: () => Promise<BundleTexts>;
  /** the generative captioner, loaded on first use */
  captioner?: () => Promise<ImageSummaryProvider>;
  /** what the captioner is (gen-load.ts captionSource: model, dtype, tokens); with `store`, captions are kept under it */
  captionSource?: string;
  store?: ItemTextStorage;
  warn?: WarningHandler;
  now?: () => number;
}

export class ItemTexts {
  private readonly added = new Map<number, AddedSource>();
  private readonly cache = new Map<number, Promise<string>>();
  private captioner: Promise<ImageSummaryProvider> | undefined;
  private files: Promise<BundleTexts> | undefined;
  private disposed = false;

  constructor(
    /** the catalog's items are ids 1..numItems, added ones after */
    readonly numItems: number,
    private readonly o: ItemTextSources,
  ) {}

  /** An item added with addItems() (internal id > numItems): what its text is computed from, when asked. */
  add(id: number, item: AddedSource): void {
    this.added.set(id, item);
    this.cache.delete(id);
  }

  /** Stage 1's text of internal id `id` ('' = none). */
  text(id: number): Promise<string> {
    if (id >= 1 && id <= this.numItems) return this.catalogText(id);
    let t = this.cache.get(id);
    if (!t) {
      t = this.describe(id);
      this.cache.set(id, t);
      // a failure (the captioner's model did not load) is not cached: the next ask tries again
      t.catch(() => this.cache.delete(id));
    }
    return t;
  }

  dispose(): void {
    this.disposed = true;
    const c = this.captioner;
    this.captioner = undefined;
    void c?.then((x) => x.dispose(), () => {});
  }

  private bundle(): Promise<BundleTexts> {
    if (!this.files) {
      const p = this.o.bundle();
      this.files = p;
      p.catch(() => {
        if (this.files === p) this.files = undefined;
      });
    }
    return this.files;
  }

  private async catalogText(id: number): Promise<string> {
    const b = await this.bundle();
    const img = b.images?.[id - 1];
    if (img) return img;
    return b.tags ? tagsOfRow(b.tags.table, b.tags.vocab, id).text : '';
  }

  private async describe(id: number): Promise<string> {
    const a = this.added.get(id);
    if (!a) return '';
    if (this.o.captioner && a.image !== undefined && a.image !== null && a.image !== '') {
      const source = await this.sourceOf(a.image);
      const kept = source && (await this.o.store!.itemText(a.name).catch(() => undefined));
      if (kept && kept.source === source) return kept.text;
      const [caption] = await (await this.loadCaptioner()).summarize([a.image], {
        onWarning: (_, reason) => this.o.warn?.({ code: 'IMAGE_UNREADABLE', itemId: a.name, message: `addItems: item "${a.name}": its image could not be captioned (${reason}); described by its vector instead` }),
      });
      if (caption) {
        // a store that refuses (closed, full) costs only the caption next time
        if (source) await this.o.store!.putItemText({ id: a.name, source, text: caption, updatedAt: (this.o.now ?? Date.now)() }).catch(() => undefined);
        return caption;
      }
    }
    const { tagger } = await this.bundle();
    return tagger && a.vector && a.vector.length === tagger.dim ? tagger.tagVector(a.vector).text : '';
  }

  /** The key a kept caption of `image` is valid under; undefined when captions are not kept (or the image is not a URL or a Blob). */
  private async sourceOf(image: ImageInput): Promise<string | undefined> {
    if (!this.o.store || !this.o.captionSource) return undefined;
    let what: string;
    if (typeof image === 'string') what = `url ${await sha256Hex(new TextEncoder().encode(image).buffer as ArrayBuffer)}`;
    else if (typeof Blob !== 'undefined' && image instanceof Blob) what = `blob ${await sha256Hex(await image.arrayBuffer())}`;
    else return undefined;
    return `${this.o.captionSource} | ${what}`;
  }

  private loadCaptioner(): Promise<ImageSummaryProvider> {
    if (this.disposed) return Promise.reject(new MolarError('DISPOSED', 'the item texts were disposed with their Recommender'));
    if (!this.captioner) {
      const p = this.o.captioner!();
      this.captioner = p;
      // a model that did not load is asked for again next time (the files may be served by then)
      p.catch(() => {
        if (this.captioner === p) this.captioner = undefined;
      });
    }
    return this.captioner;
  }
}

/**
 * The bundle's stage-1 sources (image summaries, tags and tagger) as an ItemTexts, plus a captioner
 * when given; undefined when there is nothing to say of any item. Nothing is fetched until asked.
 */
export function loadItemTexts(manifest: Pick<Manifest, 'models' | 'numItems'>, readFile: (name: string) => Promise<ArrayBuffer>, o: Omit<ItemTextSources, 'bundle'> = {}): ItemTexts | undefined {
  const t = manifest.models.map((m) => entryOf(m, 'item-tags')).find((x) => x !== undefined);
  const hasImages = manifest.models.some((m) => entryOf(m, 'image-summaries') !== undefined);
  if (!hasImages && !t && !o.captioner) return undefined;
  const bundle = async (): Promise<BundleTexts> => {
    const images = await loadImageSummaries(manifest, readFile);
    if (!t) return { images };
    const [tagBytes, taggerBytes] = await Promise.all([readFile(t.parts.tags), readFile(t.parts.tagger)]);
    return {
      images,
      tags: { vocab: t.vocab, table: deserializeTagTable(tagBytes, manifest.numItems + 1, t.perItem, t.vocab.length, t.parts.tags) },
      tagger: LinearTagger.fromBytes(taggerBytes, t.vocab, t.dim, t.parts.tagger),
    };
  };
  return new ItemTexts(manifest.numItems, { bundle, ...o });
}
