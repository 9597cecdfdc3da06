import type { ItemRecord, ItemVectorsEntry } from '../bundle/manifest.js';
import type { MolarConfig } from '../config.js';
import { itemText } from '../data/item-text.js';
import type { ItemEncoder } from '../encoders/item-encoder.js';
import { readItemVectors } from '../bundle/item-vectors.js';
import { MolarError } from '../errors.js';
import type { AddedItemRecord, HistoryStore } from '../history/index.js';
import { ItemVectorStore } from '../items/store.js';
import type { WarningHandler } from '../warnings.js';

/** The rows of new vectors, in the bundle's item-vector layout. */
export interface NewVectors {
  data: Float32Array;
  rows: number;
  dim: number;
}

/**
 * Cold start for the Recommender: the bundle's item vectors, the encoder that made them (loaded on
 * first use, from `modelBaseUrl`), and the items added with addItems(), persisted beside the
 * history so a reload brings them back without re-encoding.
 */
export class ColdStart {
  private encoder: Promise<ItemEncoder> | undefined;

  constructor(
    readonly entry: ItemVectorsEntry,
    readonly store: ItemVectorStore,
    private readonly opts: { config: MolarConfig; modelBaseUrl?: string; warn: WarningHandler },
  ) {}

  /**
   * From the bundle's item vectors as parsed once for the page (bundle/item-vectors.ts); refuses a
   * file whose shape disagrees with the manifest. Added items go into a fork of the shared parse.
   */
  static async load(entry: ItemVectorsEntry, readFile: (name: string) => Promise<ArrayBuffer>, numItems: number, opts: ColdStart['opts']): Promise<ColdStart> {
    const name = entry.files[0];
    const store = await readItemVectors(readFile, name);
    if (store.numItems !== numItems || store.dim !== entry.dim) {
      throw new MolarError('BUNDLE_INVALID', `item vectors hold ${store.numItems} items x ${store.dim} dims, expected ${numItems} x ${entry.dim}`, { file: name });
    }
    return new ColdStart(entry, store.fork(), opts);
  }

  /** Encodes new items in the page (the bundle's encoder, on the active backend) and persists them. */
  async encode(items: AddedItemRecord[], history: HistoryStore): Promise<NewVectors> {
    // the encoders (and the table parser behind them) load on the first addItems(), not with the page
    const { encodeItemsInBrowser, loadBrowserItemEncoder } = await import('../encoders/browser.js');
    this.encoder ??= loadBrowserItemEncoder(this.entry.encoder, { modelBaseUrl: this.opts.modelBaseUrl, config: this.opts.config });
    let encoder: ItemEncoder;
    try {
      encoder = await this.encoder;
    } catch (e) {
      this.encoder = undefined; // let a later call retry (e.g. the model files were not served yet)
      throw e;
    }
    const m = await encodeItemsInBrowser(items, encoder, { id: this.entry.encoder.id, dim: this.entry.dim }, (id, reason) =>
      this.opts.warn({ code: 'IMAGE_UNREADABLE', itemId: id, message: `addItems: item "${id}": ${reason}` }),
    );
    for (const [r, it] of items.entries()) await history.addItem(it, m.data.slice(r * m.dim, (r + 1) * m.dim));
    return m;
  }

  /** Items persisted by earlier addItems() calls that the catalog does not (now) ship itself. */
  async restore(history: HistoryStore, inCatalog: (id: string) => boolean): Promise<{ record: AddedItemRecord; vector: Float32Array }[]> {
    const out: { record: AddedItemRecord; vector: Float32Array }[] = [];
    for (const a of await history.addedItems()) {
      if (inCatalog(a.id)) continue;
      if (!a.vector || a.vector.length !== this.entry.dim) {
        this.opts.warn({ code: 'ADDED_ITEM_DROPPED', itemId: a.id, message: `addItems: persisted item "${a.id}" has no ${this.entry.dim}-d vector (the bundle's encoder changed?); add it again` });
        continue;
      }
      out.push({ record: a.record, vector: a.vector });
    }
    return out;
  }

  /** Frees the encoder's tensors (it is loaded again on the next addItems()). */
  dropEncoder(): void {
    const e = this.encoder;
    this.encoder = undefined;
    void e?.then((enc) => enc.dispose(), () => {});
  }
}

/** The ItemRecord of an added item, as items.json would hold it. */
export function addedItemRecord(it: AddedItemRecord): ItemRecord {
  const text = itemText(it);
  return {
    id: it.id,
    ...(it.title !== undefined ? { title: it.title } : {}),
    ...(text ? { text } : {}),
    ...(typeof it.image === 'string' ? { image: it.image } : {}),
    ...(it.url !== undefined ? { url: it.url } : {}),
    ...(it.price !== undefined ? { price: it.price } : {}),
  };
}

/**
 * What giving an added item again changes: `none` (a page that adds its new products on every load),
 * `record` (only what the card shows and the encoders do not read: title wording, link, price), or
 * `content` (its text, attributes or image: it is encoded again).
 */
export async function changeOf(before: AddedItemRecord, now: AddedItemRecord): Promise<'none' | 'record' | 'content'> {
  // in their order, as the text reads them (the fusion head reads them as tokens: 'a|b' is not 'a, b')
  const sameAttributes = JSON.stringify(before.attributes ?? {}) === JSON.stringify(now.attributes ?? {});
  if (itemText(before) !== itemText(now) || !sameAttributes || !(await sameImage(before.image, now.image))) return 'content';
  return before.title === now.title && before.url === now.url && before.price === now.price ? 'none' : 'record';
}

/** A kept Blob (IndexedDB gives back a copy) is the same image when its bytes are. */
async function sameImage(a: string | Blob | undefined, b: string | Blob | undefined): Promise<boolean> {
  if (!(a instanceof Blob) || !(b instanceof Blob)) return (a || undefined) === (b || undefined);
  if (a === b) return true;
  if (a.size !== b.size || a.type !== b.type) return false;
  const [x, y] = await Promise.all([a.arrayBuffer(), b.arrayBuffer()]);
  const [u, v] = [new Uint8Array(x), new Uint8Array(y)];
  return u.every((byte, i) => byte === v[i]);
}
