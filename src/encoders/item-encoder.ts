import { itemText } from '../data/catalog.js';
import { MolarError } from '../errors.js';
import { concatColumns, l2NormalizeRows } from './matrix.js';
import type { EncodableItem, EncodeOptions, ImageEncoder, Matrix, TextEncoder } from './types.js';
import { consoleWarning } from '../warnings.js';

// the item text lives in the catalog stage, one function for items.json and the encoders; callers
// that import it from here (recommender.ts) keep working
export { itemText } from '../data/catalog.js';

export type Modality = 'text' | 'image' | 'text+image';

/**
 * Encodes catalog items with a text encoder, an image encoder, or both.
 *
 * Fusion ("text+image"): each modality's rows are L2-normalised, then concatenated
 * [text | image], so the dot product of two items is the sum of their text and image cosines and
 * neither modality wins by sheer vector length. An item without a usable image keeps a zero image
 * half (its score then comes from text alone); a warning names the item id.
 * The encoder id written to the bundle is "<text id>+<image id>", e.g. "use-lite+mobilenetv2".
 */
export class ItemEncoder {
  readonly id: string;
  readonly dim: number;
  readonly modality: Modality;

  constructor(readonly text: TextEncoder | null, readonly image: ImageEncoder | null) {
    if (!text && !image) throw new MolarError('BAD_CONFIG', 'an item encoder needs a text encoder, an image encoder, or both');
    this.modality = text && image ? 'text+image' : text ? 'text' : 'image';
    this.id = [text?.id, image?.id].filter(Boolean).join('+');
    this.dim = (text?.dim ?? 0) + (image?.dim ?? 0);
  }

  async encodeItems(items: EncodableItem[], opts: EncodeOptions & { onWarning?: (itemId: string, reason: string) => void } = {}): Promise<Matrix> {
    const parts: Matrix[] = [];
    if (this.text) parts.push(l2NormalizeRows(await this.text.encodeText(items.map(itemText), opts)));
    if (this.image) {
      const warn = opts.onWarning ?? ((id, reason) => consoleWarning({ code: 'IMAGE_UNREADABLE', itemId: id, message: `item ${JSON.stringify(id)}: ${reason}; image vector left at zero` }));
      parts.push(l2NormalizeRows(await this.image.encodeImages(items.map((it) => it.image), { ...opts, onWarning: (i, reason) => warn(items[i].id, reason) })));
    }
    return parts.length === 1 ? parts[0] : concatColumns(parts);
  }

  dispose(): void {
    this.text?.dispose();
    this.image?.dispose();
  }
}
