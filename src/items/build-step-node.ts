import path from 'node:path';
import { artifact } from '../bundle/artifact.js';
import type { BuildStep } from '../bundle/build.js';
import type { ItemRecord } from '../bundle/manifest.js';
import { itemText } from '../data/catalog.js';

/** The item table in internal-id order (position i = id i+1); what the writer saves as items.json. */
export const ITEMS = artifact<ItemRecord[]>('items');

export interface ItemsStepOptions {
  /** copy local catalog images into the bundle (default true; `molar build --no-images` is false) */
  images?: boolean;
}

const isUrl = (s: string): boolean => /^(https?:|data:|blob:)/i.test(s) || s.startsWith('//');

/** Build step: one ItemRecord per item, and the local images to copy as `images/<internal id><ext>`. */
export function itemsStep(o: ItemsStepOptions = {}): BuildStep {
  return {
    name: 'items',
    async run(ctx) {
      const byId = new Map(ctx.catalog.map((c) => [c.id, c]));
      let copied = 0;
      const items = ctx.dataset.items.itemIds.map((id, i) => {
        const c = byId.get(id) ?? { id };
        const rec: ItemRecord = { id };
        if (c.title) rec.title = c.title;
        const text = itemText(c);
        if (text) rec.text = text;
        if (c.url) rec.url = c.url;
        if (c.price !== undefined) rec.price = c.price;
        if (c.image) {
          if (isUrl(c.image)) rec.image = c.image;
          else if (o.images !== false) {
            const src = path.resolve(ctx.catalogDir ?? '.', c.image);
            // internal id in the name: external ids may hold characters unsafe in a path
            const ext = path.extname(c.image).toLowerCase();
            const name = `images/${i + 1}${/^\.[a-z0-9]{1,8}$/.test(ext) ? ext : '.img'}`;
            ctx.files.set(name, { copyFrom: src });
            rec.image = name;
            copied++;
          }
        }
        return rec;
      });
      ctx.put(ITEMS, items);
      ctx.log(`items: ${items.length} records, ${copied} images to copy`);
    },
  };
}
