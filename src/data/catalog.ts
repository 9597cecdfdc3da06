import { MolarError } from '../errors.js';
import type { CatalogItem } from './types.js';
import { chooseFormat, findColumn, parseTable, requireColumn, type Table, type TableFormat, type TableReadOptions } from './table.js';

/**
 * Column names tried for each CatalogItem field, first match wins (case-insensitive, and a RecBole
 * `:type` suffix is ignored): ours, then RecBole `.item` files (`item_id`, `movie_title`), MovieLens
 * (`movieId`, `title`; `genres` becomes an attribute), Amazon (`asin`, `imUrl`) and Yelp (`business_id`).
 */
export const CATALOG_COLUMNS = Object.freeze({
  id: ['item_id', 'itemId', 'id', 'sku', 'product_id', 'movie_id', 'movieId', 'asin', 'parent_asin', 'business_id'],
  title: ['title', 'name', 'item_name', 'product_name', 'movie_title'],
  description: ['description', 'desc', 'text', 'overview', 'summary'],
  image: ['image', 'image_url', 'img', 'poster', 'imUrl', 'thumbnail'],
  url: ['url', 'link', 'href', 'product_url'],
  price: ['price'],
} as const);

/** The fields one column fills; the description may join several (`textCols`). */
type Field = Exclude<keyof typeof CATALOG_COLUMNS, 'description'>;

// in its own module so the page can read it without the table parser (papaparse) behind this file
export { itemText } from './item-text.js';

export interface CatalogParseOptions extends TableReadOptions {
  file?: string;
  format?: 'auto' | Exclude<TableFormat, 'sasrec'>;
  /** a field's column instead of the names tried (CATALOG_COLUMNS); '' means "no column for this field" */
  columns?: Partial<Record<Field, string>>;
  /** columns joined with ". " into the description; default: the first of CATALOG_COLUMNS.description present */
  textCols?: string[];
  /** the columns that become attributes (and so item text); default: every column no field takes */
  attributeCols?: string[];
  /** 0/1 columns (MovieLens u.item's genre flags): the names of those set to 1 become one attribute, `name` */
  flags?: { name: string; columns: string[] };
  /** told what the caller should see (library code never logs): a catalog with no titles */
  onWarning?: (message: string) => void;
}

/**
 * Parse a catalog (CSV/TSV with header or headerless, any delimiter, JSONL, RecBole `.item`) into
 * CatalogItems in file order. Columns no field takes go to `attributes`, so genres / brand /
 * category reach the encoders.
 */
export function parseCatalog(text: string, opts: CatalogParseOptions = {}): CatalogItem[] {
  const file = opts.file ?? '<catalog>';
  const { format, read } = chooseFormat(text, file, opts.format, opts);
  // a headerless id list is not a catalog; read it as TSV so the missing-column error is clear
  const t = parseTable(text, file, format === 'sasrec' ? 'tsv' : format, read);
  const idx = fieldColumns(t, opts);
  const named = (cols: string[], role: string) => cols.map((c) => requireColumn(t, [c], role));
  const textIdx = opts.textCols ? named(opts.textCols, 'text') : [findColumn(t.columns, CATALOG_COLUMNS.description)].filter((i) => i >= 0);
  const flagIdx = opts.flags ? named(opts.flags.columns, 'flag') : [];
  const taken = new Set([...Object.values(idx), ...textIdx, ...flagIdx].filter((i) => i >= 0));
  const attrIdx = opts.attributeCols ? named(opts.attributeCols, 'attribute') : t.columns.map((_, c) => c).filter((c) => !taken.has(c));
  const seen = new Map<string, number>();
  const out: CatalogItem[] = [];
  for (let r = 0; r < t.rows.length; r++) {
    const row = t.rows[r];
    const line = t.lines[r];
    const cell = (i: number): string | undefined => (i >= 0 && row[i].trim() !== '' ? row[i].trim() : undefined);
    const id = cell(idx.id);
    if (id === undefined) throw new MolarError('BAD_INPUT', 'expected an item id, got an empty value', { file, line, field: t.columns[idx.id] });
    const prev = seen.get(id);
    if (prev !== undefined) {
      throw new MolarError('BAD_INPUT', `duplicate item id ${JSON.stringify(id)} (first seen on line ${prev}): expected unique ids`, { file, line, field: t.columns[idx.id] });
    }
    seen.set(id, line);
    const item: CatalogItem = { id };
    const title = cell(idx.title);
    if (title !== undefined) item.title = title;
    const description = textIdx.map(cell).filter(Boolean).join('. ');
    if (description) item.description = description;
    const image = cell(idx.image);
    if (image !== undefined) item.image = image;
    const url = cell(idx.url);
    if (url !== undefined) item.url = url;
    const price = cell(idx.price);
    if (price !== undefined) {
      const p = Number(price.replace(/^\$/, ''));
      if (!Number.isFinite(p)) throw new MolarError('BAD_INPUT', `expected a number, got ${JSON.stringify(price)}`, { file, line, field: t.columns[idx.price] });
      item.price = p;
    }
    // built from pairs: `attributes[name] = v` with a column named "__proto__" would set the
    // object's prototype (and lose the column) instead of adding a field
    const pairs: [string, string][] = [];
    for (const c of attrIdx) {
      const v = cell(c);
      if (v !== undefined) pairs.push([t.columns[c], v]);
    }
    if (opts.flags) {
      const set = flagIdx.filter((c) => flagValue(row[c], file, line, t.columns[c]));
      if (set.length) pairs.push([opts.flags.name, set.map((c) => t.columns[c]).join('|')]);
    }
    if (pairs.length) item.attributes = Object.fromEntries(pairs);
    out.push(item);
  }
  if (!out.some((it) => it.title !== undefined)) opts.onWarning?.(noTitles(t, idx.title));
  return out;
}

/** Each single-column field's column index, -1 where there is none. Only the id is required. */
function fieldColumns(t: Table, opts: CatalogParseOptions): Record<Field, number> {
  const col = (f: Field): number => {
    const o = opts.columns?.[f];
    if (o === '') return -1;
    if (o !== undefined) return requireColumn(t, [o], f);
    return f === 'id' ? requireColumn(t, CATALOG_COLUMNS.id, 'item id') : findColumn(t.columns, CATALOG_COLUMNS[f]);
  };
  return { id: col('id'), title: col('title'), image: col('image'), url: col('url'), price: col('price') };
}

function flagValue(raw: string, file: string, line: number, field: string): boolean {
  const v = raw.trim();
  if (v === '1' || v === '0' || v === '') return v === '1';
  throw new MolarError('BAD_INPUT', `expected a flag, 0 or 1, got ${JSON.stringify(raw)}`, { file, line, field });
}

/** Why no item got a title, and the flag that names the column: the shop would otherwise see bare ids. */
function noTitles(t: Table, titleCol: number): string {
  const fix = 'name the title column with --title-col';
  if (titleCol >= 0) return `${t.file}: the title column "${t.columns[titleCol]}" is empty in every row, so items show their ids; ${fix}`;
  return `${t.file}: no title column (tried ${CATALOG_COLUMNS.title.join(', ')}; found ${t.columns.join(', ')}), so items show their ids; ${fix}`;
}
