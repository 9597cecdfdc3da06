import type { ItemRecord } from '../bundle/manifest.js';

/**
 * Catalog text as a shopper should read it. Catalogs scraped from HTML carry entities (`AT&amp;T`,
 * `&#39;`), and the bundle's `text` is the machine form `itemText()` (data/catalog.ts) made for the
 * encoders: `title. description. key: value. key: value`. Everything here returns plain strings
 * for `textContent`: an entity is decoded to the character it names, never parsed as markup, so
 * `&lt;script&gt;` becomes the visible text `<script>` and nothing else.
 */

/** Named entities common in shop catalogs; any other `&name;` is left as written. */
const NAMED: Record<string, string> = {
  amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: '\u00a0', ndash: '–', mdash: '—', hellip: '…',
  lsquo: '‘', rsquo: '’', sbquo: '‚', ldquo: '“', rdquo: '”', bdquo: '„', laquo: '«', raquo: '»', bull: '•', middot: '·',
  copy: '©', reg: '®', trade: '™', deg: '°', plusmn: '±', times: '×', divide: '÷', frac12: '½', frac14: '¼', frac34: '¾',
  micro: 'µ', para: '¶', sect: '§', euro: '€', pound: '£', yen: '¥', cent: '¢', iexcl: '¡', iquest: '¿', shy: '\u00ad',
  aacute: 'á', agrave: 'à', acirc: 'â', auml: 'ä', atilde: 'ã', aring: 'å', eacute: 'é', egrave: 'è', ecirc: 'ê', euml: 'ë',
  iacute: 'í', igrave: 'ì', icirc: 'î', iuml: 'ï', oacute: 'ó', ograve: 'ò', ocirc: 'ô', ouml: 'ö', otilde: 'õ', oslash: 'ø',
  uacute: 'ú', ugrave: 'ù', ucirc: 'û', uuml: 'ü', ntilde: 'ñ', ccedil: 'ç', szlig: 'ß', Auml: 'Ä', Ouml: 'Ö', Uuml: 'Ü', Eacute: 'É',
};

const ENTITY = /&(?:#(\d{1,7})|#[xX]([0-9a-fA-F]{1,6})|([A-Za-z][A-Za-z0-9]{1,31}));/g;

function codePoint(n: number, raw: string): string {
  // NUL, surrogates and beyond Unicode are not characters; the HTML rule shows U+FFFD for them
  if (n === 0 || (n >= 0xd800 && n <= 0xdfff) || n > 0x10ffff) return '\ufffd';
  return n < 0x20 && n !== 0x09 && n !== 0x0a ? raw : String.fromCodePoint(n);
}

function decodeOnce(s: string): string {
  return s.replace(ENTITY, (raw, dec: string | undefined, hex: string | undefined, name: string | undefined) => {
    if (dec !== undefined) return codePoint(Number(dec), raw);
    if (hex !== undefined) return codePoint(parseInt(hex, 16), raw);
    return NAMED[name!] ?? NAMED[name!.toLowerCase()] ?? raw;
  });
}

/**
 * `&amp;`, `&#39;`, `&#x2019;`, … as the characters they name. Scraped catalogs are often encoded
 * twice (`&amp;amp;`), so this decodes until nothing changes, at most three times.
 */
export function decodeEntities(s: string): string {
  let out = s;
  for (let i = 0; i < 3; i++) {
    const next = decodeOnce(out);
    if (next === out) break;
    out = next;
  }
  return out;
}

export interface ItemFact {
  /** the catalog column, as written ("category", "genres") */
  key: string;
  /** its values: `itemText` joins a multi-valued field with ", " */
  values: string[];
}

export interface DisplayText {
  title: string;
  /** the description, without the title that `text` starts with and without the key: value facts */
  description: string;
  facts: ItemFact[];
}

/** `. key: ` where itemText() joined an attribute on: a column name (one word), then a colon and a space. */
const FACT_BOUNDARY = /\.\s+(?=[A-Za-z_][\w-]{0,30}: )/;
const FACT = /^([A-Za-z_][\w-]{0,30}): ([^]*)$/;

/**
 * An item's title, description and facts for display, from its bundle record. `text` is split at
 * the attribute joints itemText() made, from the end: a trailing `key: value` part is a fact, and
 * what is left (without the leading title) is the description. Entities are decoded in every part.
 */
export function displayText(item: Pick<ItemRecord, 'id' | 'title' | 'text'>): DisplayText {
  const title = decodeEntities((item.title ?? '').trim()) || item.id;
  let rest = (item.text ?? '').trim();
  const rawTitle = (item.title ?? '').trim();
  if (rawTitle && rest.startsWith(rawTitle)) rest = rest.slice(rawTitle.length).replace(/^\.\s*/, '');
  const parts = rest.split(FACT_BOUNDARY);
  const facts: ItemFact[] = [];
  // the first part never is a fact unless it reads like one: a text of attributes only
  while (parts.length > 0) {
    const m = FACT.exec(parts[parts.length - 1]);
    if (!m) break;
    parts.pop();
    const values = decodeEntities(m[2]).replace(/\.$/, '').split(/,\s*/).map((v) => v.trim()).filter(Boolean);
    if (values.length > 0) facts.unshift({ key: m[1], values });
  }
  const description = decodeEntities(parts.join('. ').trim());
  return { title, description: description === title ? '' : description, facts };
}

/** The fact keys a shop browses by, in the order they are preferred. */
const FACET_KEYS = ['category', 'categories', 'genre', 'genres', 'type', 'department', 'section'];

/**
 * The key of the facts to browse by: the first of FACET_KEYS (any case) that any item has, or
 * undefined when the catalog has none of them.
 */
export function facetKey(texts: readonly DisplayText[]): string | undefined {
  const keys = new Set(texts.flatMap((t) => t.facts.map((f) => f.key.toLowerCase())));
  return FACET_KEYS.find((k) => keys.has(k));
}

/** The values of `key` (any case) among an item's facts. */
export function factValues(text: DisplayText, key: string): string[] {
  return text.facts.filter((f) => f.key.toLowerCase() === key).flatMap((f) => f.values);
}
