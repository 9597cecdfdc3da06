import { MolarError } from '../errors.js';
import type { Interaction } from './types.js';
import { detectFormat, parseTable, requireColumn, findColumn, type TableFormat } from './table.js';

export const USER_COLUMNS = ['user_id', 'userId', 'user', 'uid'] as const;
export const ITEM_COLUMNS = ['item_id', 'itemId', 'item', 'sku', 'product_id', 'movie_id'] as const;
export const TIME_COLUMNS = ['timestamp', 'ts', 'time'] as const;

export interface InteractionParseOptions {
  /** name used in error messages */
  file?: string;
  format?: 'auto' | TableFormat;
  /** override the auto-detected column names */
  userCol?: string;
  itemCol?: string;
  /** a time column to order by; pass '' to ignore any timestamp column */
  timeCol?: string;
}

/**
 * Parse an interaction log (CSV/TSV with header, JSONL, RecBole `.inter`, or SASRec `user item…`
 * lines) into rows in file order. Pure: string in, rows out, so the browser can use it too.
 */
export function parseInteractions(text: string, opts: InteractionParseOptions = {}): Interaction[] {
  const file = opts.file ?? '<interactions>';
  const format = !opts.format || opts.format === 'auto' ? detectFormat(text, file) : opts.format;
  if (format === 'sasrec') return parseSasrecLines(text, file);
  const t = parseTable(text, file, format);
  const u = requireColumn(t, opts.userCol ? [opts.userCol] : USER_COLUMNS, 'user');
  const it = requireColumn(t, opts.itemCol ? [opts.itemCol] : ITEM_COLUMNS, 'item');
  let tc = -1;
  if (opts.timeCol) tc = requireColumn(t, [opts.timeCol], 'time');
  else if (opts.timeCol === undefined) tc = findColumn(t.columns, TIME_COLUMNS);
  const out: Interaction[] = new Array(t.rows.length);
  for (let r = 0; r < t.rows.length; r++) {
    const row = t.rows[r];
    const user = row[u].trim();
    const item = row[it].trim();
    if (user === '') throw new MolarError('BAD_INPUT', 'expected a user id, got an empty value', { file, line: t.lines[r], field: t.columns[u] });
    if (item === '') throw new MolarError('BAD_INPUT', 'expected an item id, got an empty value', { file, line: t.lines[r], field: t.columns[it] });
    const rec: Interaction = { user, item };
    if (tc >= 0) rec.ts = parseTime(row[tc], file, t.lines[r], t.columns[tc]);
    out[r] = rec;
  }
  return out;
}

/** Unix seconds/ms as a number, or an ISO-8601 date; anything else names the bad cell. */
export function parseTime(raw: string, file: string, line: number, field: string): number {
  const s = raw.trim();
  const n = Number(s);
  if (s !== '' && Number.isFinite(n)) return n;
  if (/^\d{4}-\d{2}-\d{2}/.test(s)) {
    const d = Date.parse(s);
    if (Number.isFinite(d)) return d / 1000;
  }
  throw new MolarError('BAD_INPUT', `expected a number (unix time) or an ISO date, got ${JSON.stringify(raw)}`, { file, line, field });
}

/**
 * SASRec-style lines, no header: `user item` per line (ml-1m.txt) or `user item1 item2 …` per line
 * (one sequence per user). File order is the chronological order.
 */
export function parseSasrecLines(text: string, file: string): Interaction[] {
  if (text.trim().length === 0) throw new MolarError('BAD_INPUT', 'the file is empty: expected `user item` lines', { file });
  const out: Interaction[] = [];
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    const tokens = line.split(/\s+/);
    if (tokens.length < 2) {
      throw new MolarError('BAD_INPUT', `expected "user item" (whitespace-separated), got ${JSON.stringify(line.slice(0, 40))}`, { file, line: lineNo, field: 'item' });
    }
    for (let i = 1; i < tokens.length; i++) out.push({ user: tokens[0], item: tokens[i] });
  }
  return out;
}
