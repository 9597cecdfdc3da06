import { MolarError } from '../errors.js';
import type { CatalogItem } from './types.js';
import { detectFormat, findColumn, parseTable, requireColumn, type TableFormat } from './table.js';

/** Column names tried for each CatalogItem field, first match wins. */
export const CATALOG_COLUMNS = Object.freeze({
  id: ['item_id', 'itemId', 'id', 'sku', 'product_id', 'movie_id'],
  title: ['title', 'name', 'item_name'],
  description: ['description', 'desc', 'text'],
  image: ['image', 'image_url', 'img', 'poster'],
  url: ['url', 'link', 'href'],
  price: ['price'],
} as const);

type Field = keyof typeof CATALOG_COLUMNS;

/**
 * An item's text, the one both `items.json` and the encoders read: title, description, then
 * attributes as "key: value" (genres, brand, …; "a|b" lists read "a, b"), joined with ". " so
 * sentence encoders see sentence breaks. Parts are trimmed, and blank parts and blank attribute
 * values are skipped, so a catalog that is not from parseCatalog (which trims) gives the same text.
 */
export function itemText(item: Pick<CatalogItem, 'title' | 'description' | 'attributes'>): string {
  const attributes = Object.entries(item.attributes ?? {}).filter(([, v]) => v.trim()).map(([k, v]) => `${k}: ${v.trim().replace(/\|/g, ', ')}`);
  return [item.title, item.description, ...attributes].map((p) => p?.trim()).filter(Boolean).join('. ');
}

export interface CatalogParseOptions {
  file?: string;
  format?: 'auto' | Exclude<TableFormat, 'sasrec'>;
  /** override a field's column; '' means "no column for this field" */
  columns?: Partial<Record<Field, string>>;
}

/**
 * Parse a catalog (CSV/TSV with header, JSONL, RecBole `.item`) into CatalogItems in file order.
 * Columns not mapped to a field go to `attributes`, so genres / brand / category reach the encoders.
 */
export function parseCatalog(text: string, opts: CatalogParseOptions = {}): CatalogItem[] {
  const file = opts.file ?? '<catalog>';
  const detected = !opts.format || opts.format === 'auto' ? detectFormat(text, file) : opts.format;
  // a headerless id list is not a catalog; read it as TSV so the missing-column error is clear
  const t = parseTable(text, file, detected === 'sasrec' ? 'tsv' : detected);
  const col = (f: Field): number => {
    const o = opts.columns?.[f];
    if (o === '') return -1;
    if (o !== undefined) return requireColumn(t, [o], f);
    return f === 'id' ? requireColumn(t, CATALOG_COLUMNS.id, 'item id') : findColumn(t.columns, CATALOG_COLUMNS[f]);
  };
  const idx = { id: col('id'), title: col('title'), description: col('description'), image: col('image'), url: col('url'), price: col('price') };
  const mapped = new Set(Object.values(idx).filter((i) => i >= 0));
  const seen = new Map<string, number>();
  const out: CatalogItem[] = [];
  for (let r = 0; r < t.rows.length; r++) {
    const row = t.rows[r];
    const line = t.lines[r];
    const id = row[idx.id].trim();
    if (id === '') throw new MolarError('BAD_INPUT', 'expected an item id, got an empty value', { file, line, field: t.columns[idx.id] });
    const prev = seen.get(id);
    if (prev !== undefined) {
      throw new MolarError('BAD_INPUT', `duplicate item id ${JSON.stringify(id)} (first seen on line ${prev}): expected unique ids`, { file, line, field: t.columns[idx.id] });
    }
    seen.set(id, line);
    const item: CatalogItem = { id };
    const str = (i: number): string | undefined => (i >= 0 && row[i].trim() !== '' ? row[i].trim() : undefined);
    const title = str(idx.title);
    if (title !== undefined) item.title = title;
    const description = str(idx.description);
    if (description !== undefined) item.description = description;
    const image = str(idx.image);
    if (image !== undefined) item.image = image;
    const url = str(idx.url);
    if (url !== undefined) item.url = url;
    const price = str(idx.price);
    if (price !== undefined) {
      const p = Number(price.replace(/^\$/, ''));
      if (!Number.isFinite(p)) throw new MolarError('BAD_INPUT', `expected a number, got ${JSON.stringify(price)}`, { file, line, field: t.columns[idx.price] });
      item.price = p;
    }
    const attributes: Record<string, string> = {};
    let any = false;
    for (let c = 0; c < t.columns.length; c++) {
      if (mapped.has(c) || row[c].trim() === '') continue;
      attributes[t.columns[c]] = row[c].trim();
      any = true;
    }
    if (any) item.attributes = attributes;
    out.push(item);
  }
  return out;
}
