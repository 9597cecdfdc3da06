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

/** CSV / TSV with a header line. Quoted fields and embedded newlines are papaparse's job. */
export function parseDelimited(text: string, file: string, delimiter?: ',' | '\t'): Table {
  assertNotEmpty(text, file);
  const res = Papa.parse<string[]>(text, { delimiter: delimiter ?? '', skipEmptyLines: false });
  const err = res.errors.find((e) => e.type === 'Quotes');
  // papaparse reports rows 0-based over parsed rows; with no embedded newlines that is line-1
  if (err) throw new MolarError('BAD_INPUT', `malformed quoting: ${err.message}`, { file, line: (err.row ?? 0) + 1 });
  const data = res.data;
  const columns = data[0].map((c) => c.trim().replace(/^\uFEFF/, ''));
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = 1; i < data.length; i++) {
    const r = data[i];
    if (r.length === 1 && r[0].trim() === '') continue;
    if (r.length !== columns.length) {
      throw new MolarError('BAD_INPUT', `expected ${columns.length} fields (${columns.join(', ')}), got ${r.length}`, { file, line: i + 1 });
    }
    rows.push(r);
    lines.push(i + 1);
  }
  if (rows.length === 0) throw new MolarError('BAD_INPUT', 'the file has a header but no rows', { file });
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
  const rows = objs.map((o) =>
    columns.map((c) => {
      const v = o[c];
      if (v === undefined || v === null) return '';
      if (Array.isArray(v)) return v.join('|');
      return typeof v === 'object' ? JSON.stringify(v) : String(v);
    }),
  );
  return { file, columns, rows, lines };
}

/** RecBole atomic file: tab-separated, header `name:type` per column. Types are checked per cell. */
export function parseRecbole(text: string, file: string): Table {
  assertNotEmpty(text, file);
  const src = text.split('\n');
  const header = src[0].replace(/\r$/, '').split('\t');
  const columns: string[] = [];
  const types: string[] = [];
  for (const h of header) {
    const m = /^(.+):(\w+)$/.exec(h.trim());
    if (!m || !RECBOLE_TYPES.has(m[2])) {
      throw new MolarError('BAD_INPUT', `expected a RecBole header "name:token|float|token_seq|float_seq", got ${JSON.stringify(h)}`, { file, line: 1 });
    }
    columns.push(m[1]);
    types.push(m[2]);
  }
  const rows: string[][] = [];
  const lines: number[] = [];
  for (let i = 1; i < src.length; i++) {
    const l = src[i].replace(/\r$/, '');
    if (l.trim() === '') continue;
    const r = l.split('\t');
    if (r.length !== columns.length) {
      throw new MolarError('BAD_INPUT', `expected ${columns.length} tab-separated fields (${columns.join(', ')}), got ${r.length}`, { file, line: i + 1 });
    }
    for (let c = 0; c < r.length; c++) {
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

export function parseTable(text: string, file: string, format: Exclude<TableFormat, 'sasrec'>): Table {
  switch (format) {
    case 'csv':
      return parseDelimited(text, file, ',');
    case 'tsv':
      return parseDelimited(text, file, '\t');
    case 'jsonl':
      return parseJsonl(text, file);
    case 'recbole':
      return parseRecbole(text, file);
  }
}

/** Index of the first candidate column present (exact match first, then case-insensitive). */
export function findColumn(columns: string[], candidates: readonly string[]): number {
  for (const c of candidates) {
    const i = columns.indexOf(c);
    if (i >= 0) return i;
  }
  const lower = columns.map((c) => c.toLowerCase());
  for (const c of candidates) {
    const i = lower.indexOf(c.toLowerCase());
    if (i >= 0) return i;
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
