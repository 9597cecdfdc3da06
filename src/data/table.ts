import Papa from 'papaparse';
import { MolarError } from '../errors.js';

/**
 * A parsed text table: column names plus rows of raw strings, each row remembering the line it came
 * from (1-based, as an editor shows it) so later checks can point at the bad row.
 */
export interface Table {
  file: string;
  columns: string[];
  rows: string[][];
  /** lines[i] = 1-based line of rows[i] in the file */
  lines: number[];
  /** RecBole atomic files declare a type per column (token, float, token_seq, float_seq) */
  types?: string[];
}

export type TableFormat = 'csv' | 'tsv' | 'jsonl' | 'recbole' | 'sasrec';

const RECBOLE_TYPES = new Set(['token', 'float', 'token_seq', 'float_seq']);

/** Guess the format from the file name first, then from the first line. */
export function detectFormat(text: string, file: string): TableFormat {
  const name = file.toLowerCase().replace(/\.gz$/, '');
  if (/\.(inter|item|user|text)$/.test(name)) return 'recbole';
  if (/\.jsonl?$|\.ndjson$/.test(name)) return 'jsonl';
  const first = firstLine(text);
  if (first.trimStart().startsWith('{')) return 'jsonl';
  if (/^[^\t]+:(token|float|token_seq|float_seq)(\t|$)/.test(first)) return 'recbole';
  if (name.endsWith('.tsv')) return 'tsv';
  if (name.endsWith('.csv')) return 'csv';
  if (first.includes(',')) return 'csv';
  // a headerless file of whitespace-separated ids (SASRec's ml-1m.txt); a tab header has names
  const tokens = first.trim().split(/\s+/);
  if (first.includes('\t') && !tokens.every((t) => /^-?\d+(\.\d+)?$/.test(t))) return 'tsv';
  if (tokens.length >= 2) return 'sasrec';
  return 'csv';
}

function firstLine(text: string): string {
  const end = text.indexOf('\n');
  return (end < 0 ? text : text.slice(0, end)).replace(/\r$/, '');
}

function assertNotEmpty(text: string, file: string): void {
  if (text.trim().length === 0) throw new MolarError('BAD_INPUT', 'the file is empty: expected a header line and at least one row', { file });
}

/**
 * Input limits, documented in the README. A field or a line past them is a mistake (an unclosed quote
 * that swallowed the rest of the file, a binary file, a 50 MB title pasted from somewhere), not data:
 * a clear stop beats an items.json the page cannot load.
 */
export const INPUT_LIMITS = Object.freeze({
  /** characters in one field: a title or a description */
  fieldChars: 65_536,
  /** characters in one line: a SASRec line holds a user's whole history, so 1 Mi chars (~100k items) */
  lineChars: 1_048_576,
});

/** Where the reader (read-node.ts) found bytes its decoder could not read. */
export interface BadBytes {
  /** 1-based line of the first such byte */
  line: number;
  encoding: string;
}

/** How to cut a delimited file, for files whose name and first line do not say. */
export interface TableReadOptions {
  /** field separator: ',', '\t', '|', '::', … Given, the file is read as delimited text whatever its name */
  delimiter?: string;
  /** false: the first line is a row, not column names (MovieLens u.data / u.item) */
  header?: boolean;
  /** column names of a headerless file; without them columns are named 1, 2, 3, … */
  names?: string[];
  /** set by the file reader when the bytes did not decode, so the error can name the field */
  badBytes?: BadBytes;
}

/** A line longer than INPUT_LIMITS.lineChars is refused, naming it. */
export function checkLine(chars: number, file: string, line: number): void {
  if (chars > INPUT_LIMITS.lineChars) {
    throw new MolarError('BAD_INPUT', `the line is ${chars} characters long: expected at most ${INPUT_LIMITS.lineChars} (a binary file, or a wrong --delimiter?)`, { file, line });
  }
}

/** Physical line starts, so a character offset maps to the line an editor shows; checks line lengths on the way. */
export class LineIndex {
  private readonly starts: number[] = [0];

  constructor(text: string, file: string) {
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) {
      checkLine(i - this.starts[this.starts.length - 1], file, this.starts.length);
      this.starts.push(i + 1);
    }
    checkLine(text.length - this.starts[this.starts.length - 1], file, this.starts.length);
  }

  /** 1-based line holding character `offset` */
  lineAt(offset: number): number {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid] <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }
}

/** A field longer than INPUT_LIMITS.fieldChars is refused, naming where it is. */
export function checkField(value: string, file: string, line: number, field: string): void {
  if (value.length > INPUT_LIMITS.fieldChars) {
    throw new MolarError('BAD_INPUT', `the value is ${value.length} characters long: expected at most ${INPUT_LIMITS.fieldChars} (an unclosed quote?)`, { file, line, field });
  }
}

/** Column names for a headerless file: the given names (as many as the fields), or 1, 2, 3, … */
function headerlessColumns(fields: number, names: string[] | undefined, file: string): string[] {
  if (!names) return Array.from({ length: fields }, (_, i) => String(i + 1));
  if (names.length !== fields) {
    throw new MolarError('BAD_INPUT', `the first row has ${fields} fields but ${names.length} column names were given (${names.join(', ')}): expected one name per field`, { file, line: 1, field: '--columns' });
  }
  return names;
}

/**
 * Delimited text, with a header line unless `read.header` is false. Quoted fields and embedded
 * newlines are papaparse's job; each row's line is where it starts in the file (its cursor mapped
 * through LineIndex), not its record count, so errors after a multi-line field still point right.
 */
export function parseDelimited(text: string, file: string, delimiter?: string, read: TableReadOptions = {}): Table {
  assertNotEmpty(text, file);
  const index = new LineIndex(text, file);
  const records: { fields: string[]; line: number }[] = [];
  let start = 0;
  Papa.parse<string[]>(text, {
    delimiter: read.delimiter ?? delimiter ?? '',
    skipEmptyLines: false,
    step: (r) => {
      const err = r.errors.find((e) => e.type === 'Quotes');
      if (err) throw new MolarError('BAD_INPUT', `malformed quoting: ${err.message}`, { file, line: index.lineAt(err.index ?? start) });
      records.push({ fields: r.data, line: index.lineAt(start) });
      start = r.meta.cursor;
    },
  });
  const hasHeader = read.header !== false;
  const first = records[0];
  const columns = hasHeader ? first.fields.map((c) => c.trim().replace(/^\uFEFF/, '')) : headerlessColumns(first.fields.length, read.names, file);
  const rows: string[][] = [];
  const lines: number[] = [];
  for (const { fields, line } of records.slice(hasHeader ? 1 : 0)) {
    if (fields.length === 1 && fields[0].trim() === '') continue;
    if (fields.length !== columns.length) {
      throw new MolarError('BAD_INPUT', `expected ${columns.length} fields (${columns.join(', ')}), got ${fields.length}${read.delimiter === undefined ? '' : ` split on ${JSON.stringify(read.delimiter)}`}`, { file, line });
    }
    fields.forEach((v, c) => checkField(v, file, line, columns[c]));
    rows.push(fields);
    lines.push(line);
  }
  if (rows.length === 0) throw new MolarError('BAD_INPUT', hasHeader ? 'the file has a header but no rows' : 'the file has no rows', { file });
  return { file, columns, rows, lines };
}

/** One JSON object per line; the columns are the union of keys in first-seen order. */
export function parseJsonl(text: string, file: string): Table {
  assertNotEmpty(text, file);
  const objs: Record<string, unknown>[] = [];
  const lines: number[] = [];
  const colIndex = new Map<string, number>();
  const src = text.split('\n');
  for (let i = 0; i < src.length; i++) {
    checkLine(src[i].length, file, i + 1);
    const l = src[i].trim();
    if (l === '') continue;
    let o: unknown;
    try {
      o = JSON.parse(l);
    } catch (e) {
      throw new MolarError('BAD_INPUT', `expected a JSON object, got ${JSON.stringify(l.slice(0, 40))}`, { file, line: i + 1, cause: e });
    }
    if (o === null || typeof o !== 'object' || Array.isArray(o)) {
      throw new MolarError('BAD_INPUT', `expected a JSON object, got ${JSON.stringify(l.slice(0, 40))}`, { file, line: i + 1 });
    }
    for (const k of Object.keys(o)) if (!colIndex.has(k)) colIndex.set(k, colIndex.size);
    objs.push(o as Record<string, unknown>);
    lines.push(i + 1);
  }
  const columns = [...colIndex.keys()];
  const rows = objs.map((o, r) =>
    columns.map((c) => {
      const v = o[c];
      const s = v === undefined || v === null ? '' : Array.isArray(v) ? v.join('|') : typeof v === 'object' ? JSON.stringify(v) : String(v);
      checkField(s, file, lines[r], c);
      return s;
    }),
  );
  return { file, columns, rows, lines };
}

/** RecBole atomic file: tab-separated, header `name:type` per column. Types are checked per cell. */
export function parseRecbole(text: string, file: string): Table {
  assertNotEmpty(text, file);
  const src = text.split('\n');
  checkLine(src[0].length, file, 1);
  const header = src[0].replace(/\r$/, '').split('\t');
  const columns: string[] = [];
  const types: string[] = [];
  for (const h of header) {
    const m = /^(.+):(\w+)$/.exec(h.trim());
    if (!m || !RECBOLE_TYPES.has(m[2])) {
      const hint = 'not a RecBole file (.inter / .item)? say how to read it: --delimiter and --no-header (for a catalog, --catalog-delimiter and --no-catalog-header)';
      throw new MolarError('BAD_INPUT', `expected a RecBole header "name:token|float|token_seq|float_seq", got ${JSON.stringify(h.slice(0, 60))}; ${hint}`, { file, line: 1 });
    }
    columns.push(m[1].replace(/^\uFEFF/, ''));
    types.push(m[2]);
  }
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = 1; i < src.length; i++) {
    checkLine(src[i].length, file, i + 1);
    const l = src[i].replace(/\r$/, '');
    if (l.trim() === '') continue;
    const r = l.split('\t');
    if (r.length !== columns.length) {
      throw new MolarError('BAD_INPUT', `expected ${columns.length} tab-separated fields (${columns.join(', ')}), got ${r.length}`, { file, line: i + 1 });
    }
    for (let c = 0; c < r.length; c++) {
      checkField(r[c], file, i + 1, columns[c]);
      if (types[c] === 'float' && r[c] !== '' && !Number.isFinite(Number(r[c]))) {
        throw new MolarError('BAD_INPUT', `expected a number (float column), got ${JSON.stringify(r[c])}`, { file, line: i + 1, field: columns[c] });
      }
    }
    rows.push(r);
    lines.push(i + 1);
  }
  if (rows.length === 0) throw new MolarError('BAD_INPUT', 'the file has a header but no rows', { file });
  return { file, columns, rows, lines, types };
}

/**
 * The format to parse with, and the read options with the delimiter filled in: `format` unless it
 * is 'auto', then the name and first line decide. A delimiter or a headerless read means delimited
 * text (u.data's tab-separated numbers would otherwise look like SASRec lines, u.item's name like a
 * RecBole file); headerless with no delimiter given, papaparse guesses it (, \t | ;) from the first rows.
 */
export function chooseFormat(text: string, file: string, format: 'auto' | TableFormat | undefined, read: TableReadOptions): { format: TableFormat; read: TableReadOptions } {
  const delimited = read.delimiter !== undefined || read.header === false;
  if (read.names && read.header !== false) throw new MolarError('BAD_INPUT', 'column names are for a headerless file (header: false): a file with a header line names its own columns', { file, field: 'names' });
  if (!format || format === 'auto') {
    if (!delimited) return { format: detectFormat(text, file), read };
    return { format: 'csv', read: { ...read, delimiter: read.delimiter ?? guessDelimiter(text) } };
  }
  if (delimited && format !== 'csv' && format !== 'tsv') {
    throw new MolarError('BAD_INPUT', `--delimiter / --no-header apply to delimited text, not --format ${format}`, { file, field: '--format' });
  }
  return { format, read };
}

/** papaparse's guess (consistent field counts over the first rows), unless the first line lacks it: then the separator it has most of. */
function guessDelimiter(text: string): string {
  const first = firstLine(text);
  const guess = Papa.parse(text.slice(0, 65_536), { preview: 20 }).meta.delimiter;
  if (first.includes(guess)) return guess;
  const count = (d: string) => first.split(d).length;
  return ['\t', '|', ';', ','].reduce((best, d) => (count(d) > count(best) ? d : best));
}

export function parseTable(text: string, file: string, format: Exclude<TableFormat, 'sasrec'>, read: TableReadOptions = {}): Table {
  const t = parseFormat(text, file, format, read);
  if (read.badBytes) throw undecodable(t, read.badBytes);
  return t;
}

function parseFormat(text: string, file: string, format: Exclude<TableFormat, 'sasrec'>, read: TableReadOptions): Table {
  switch (format) {
    case 'csv':
      return parseDelimited(text, file, ',', read);
    case 'tsv':
      return parseDelimited(text, file, '\t', read);
    case 'jsonl':
      return parseJsonl(text, file);
    case 'recbole':
      return parseRecbole(text, file);
  }
}

/**
 * The error for bytes that did not decode: the file was parsed from a lossy decoding (U+FFFD for
 * each bad byte), so the row holding the bad line and its cell with U+FFFD give the field.
 */
function undecodable(t: Table, bad: BadBytes): MolarError {
  let r = -1;
  while (r + 1 < t.rows.length && t.lines[r + 1] <= bad.line) r++;
  const c = r >= 0 ? t.rows[r].findIndex((v) => v.includes('\uFFFD')) : -1;
  return encodingError(t.file, bad, c >= 0 ? t.columns[c] : r < 0 ? 'header' : undefined);
}

/** Bytes that are not text in `bad.encoding`: name where, and the flag that reads another encoding. */
export function encodingError(file: string, bad: BadBytes, field?: string): MolarError {
  return new MolarError('BAD_INPUT', `holds bytes that are not valid ${bad.encoding}: expected ${bad.encoding} text; if the file is in another encoding, say which with --encoding (e.g. --encoding latin1)`, { file, line: bad.line, field });
}

/**
 * Index of the first candidate column present: exact match first, then case-insensitive, then with
 * a RecBole `:type` suffix dropped (a typed `item_id:token` header in a file read as TSV).
 */
export function findColumn(columns: string[], candidates: readonly string[]): number {
  const forms = [(c: string) => c, (c: string) => c.toLowerCase(), (c: string) => c.toLowerCase().replace(/:(token|float|token_seq|float_seq)$/, '')];
  for (const form of forms) {
    const names = columns.map(form);
    for (const c of candidates) {
      const i = names.indexOf(form === forms[0] ? c : c.toLowerCase());
      if (i >= 0) return i;
    }
  }
  return -1;
}

export function requireColumn(t: Table, candidates: readonly string[], role: string): number {
  const i = findColumn(t.columns, candidates);
  if (i < 0) {
    throw new MolarError('BAD_INPUT', `missing the ${role} column: expected one of ${candidates.join(', ')}; found columns ${t.columns.join(', ')}`, {
      file: t.file,
      line: 1,
    });
  }
  return i;
}
