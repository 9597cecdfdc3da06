import { open, realpath } from 'node:fs/promises';
import path from 'node:path';
import { artifact } from '../bundle/artifact.js';
import type { BuildStep } from '../bundle/build.js';
import type { ItemRecord } from '../bundle/manifest.js';
import { itemText } from '../data/catalog.js';
import { catalogUrlProblem } from './urls.js';

/** The item table in internal-id order (position i = id i+1); what the writer saves as items.json. */
export const ITEMS = artifact<ItemRecord[]>('items');

export interface ItemsStepOptions {
  /** copy local catalog images into the bundle (default true; `molar build --no-images` is false) */
  images?: boolean;
  /**
   * the only folder local images may come from (`molar build --images-root`); default the catalog's
   * folder. A bundle is public, so a path that leaves it (`/etc/passwd`, `../`) is never copied.
   */
  imagesRoot?: string;
  /**
   * keep absolute image URLs (`molar build --allow-remote-images`); default false: they are left out
   * with a warning, as a page showing them would send each shopper's recommendations to that origin
   */
  allowRemoteImages?: boolean;
}

const isUrl = (s: string): boolean => /^(https?:|data:|blob:)/i.test(s) || s.startsWith('//');

/**
 * Image formats a browser shows, by their magic bytes. The name's extension is not trusted: an
 * `.html` or a text file renamed `.jpg` would otherwise be published under `images/`.
 */
const IMAGE_MAGIC: { ext: string; test: (b: Buffer) => boolean }[] = [
  { ext: '.jpg', test: (b) => b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff },
  { ext: '.png', test: (b) => b.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) },
  { ext: '.gif', test: (b) => /^GIF8[79]a$/.test(b.toString('latin1', 0, 6)) },
  { ext: '.webp', test: (b) => b.toString('latin1', 0, 4) === 'RIFF' && b.toString('latin1', 8, 12) === 'WEBP' },
];

/** The image type of a file's first bytes, or undefined when it is not one of IMAGE_MAGIC. */
export function sniffImage(head: Buffer): string | undefined {
  return IMAGE_MAGIC.find((m) => m.test(head))?.ext;
}

/**
 * Where a catalog image path (relative to `base`, the catalog's folder) may be copied from, with
 * its extension, or why not. It must lie inside `root`. Symlinks are
 * resolved first, so a link inside the root that points out of it is refused too.
 */
async function checkLocalImage(base: string, root: string, image: string): Promise<{ file: string; ext: string } | { refused: string }> {
  const realRoot = await realpath(root).catch(() => path.resolve(root));
  const file = await realpath(path.resolve(base, image)).catch(() => undefined);
  if (file === undefined) return { refused: 'the file does not exist' };
  const rel = path.relative(realRoot, file);
  if (rel === '' || rel.startsWith('..') || path.isAbsolute(rel)) return { refused: `it is outside ${realRoot} (pass --images-root to allow another folder)` };
  let head: Buffer;
  try {
    const fh = await open(file, 'r');
    try {
      const { buffer, bytesRead } = await fh.read(Buffer.alloc(12), 0, 12, 0);
      head = buffer.subarray(0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch (e) {
    return { refused: `it cannot be read (${(e as Error).message})` };
  }
  const ext = sniffImage(head);
  return ext ? { file, ext } : { refused: 'it is not a JPEG, PNG, WebP or GIF image' };
}

/** Build step: one ItemRecord per item, and the local images to copy as `images/<internal id><ext>`. */
export function itemsStep(o: ItemsStepOptions = {}): BuildStep {
  return {
    name: 'items',
    async run(ctx) {
      const byId = new Map(ctx.catalog.map((c) => [c.id, c]));
      const base = ctx.catalogDir ?? '.';
      const root = o.imagesRoot ?? base;
      let copied = 0;
      const items: ItemRecord[] = [];
      for (const [i, id] of ctx.dataset.items.itemIds.entries()) {
        const c = byId.get(id) ?? { id };
        const rec: ItemRecord = { id };
        if (c.title) rec.title = c.title;
        const text = itemText(c);
        if (text) rec.text = text;
        const refuse = (what: string, value: string, why: string) => ctx.log(`warning: items: item "${id}": ${what} ${JSON.stringify(value.slice(0, 80))} left out, ${why}; the item is kept without it`);
        const linkProblem = c.url ? catalogUrlProblem(c.url, 'url') : undefined;
        if (c.url && !linkProblem) rec.url = c.url;
        else if (c.url) refuse('link', c.url, linkProblem!);
        if (c.price !== undefined) rec.price = c.price;
        if (c.image && isUrl(c.image)) {
          const problem = catalogUrlProblem(c.image, 'image', { allowRemoteImages: o.allowRemoteImages });
          if (!problem) rec.image = c.image;
          else refuse('image', c.image, problem);
        } else if (c.image && o.images !== false) {
          const checked = await checkLocalImage(base, root, c.image);
          if ('refused' in checked) {
            refuse('image', c.image, `not copied: ${checked.refused}`);
          } else {
            // internal id in the name: external ids may hold characters unsafe in a path
            const name = `images/${i + 1}${checked.ext}`;
            ctx.files.set(name, { copyFrom: checked.file });
            rec.image = name;
            copied++;
          }
        }
        items.push(rec);
      }
      ctx.put(ITEMS, items);
      ctx.log(`items: ${items.length} records, ${copied} images to copy`);
    },
  };
}
