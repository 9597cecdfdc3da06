import { MolarError } from '../errors.js';
import type { Interaction } from './types.js';
import { checkField, checkLine, chooseFormat, encodingError, findColumn, parseTable, requireColumn, type TableFormat, type TableReadOptions } from './table.js';

/** Column names tried for each role, first match wins: ours, RecBole's, MovieLens's, Amazon reviews'. */
export const USER_COLUMNS = ['user_id', 'userId', 'user', 'uid', 'customer_id', 'reviewerID'] as const;
export const ITEM_COLUMNS = ['item_id', 'itemId', 'item', 'sku', 'product_id', 'movie_id', 'movieId', 'asin', 'parent_asin', 'business_id'] as const;
export const TIME_COLUMNS = ['timestamp', 'ts', 'time', 'unixReviewTime'] as const;

export interface InteractionParseOptions extends TableReadOptions {
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
  const { format, read } = chooseFormat(text, file, opts.format, opts);
  if (format === 'sasrec') return parseSasrecLines(text, file, read);
  const t = parseTable(text, file, format, read);
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
 *
 * A table of numbers such as MovieLens `u.data` (`user item rating timestamp`) reads as these lines
 * too, and would make items of its ratings and timestamps (50,964 "items" from ML-100K's 1,682).
 * In a real SASRec file a line of several items is a user's whole sequence, so a user on more than
 * one such line means a table: that stops with the flags that read it.
 */
export function parseSasrecLines(text: string, file: string, read: Pick<TableReadOptions, 'badBytes'> = {}): Interaction[] {
  if (text.trim().length === 0) throw new MolarError('BAD_INPUT', 'the file is empty: expected `user item` lines', { file });
  const out: Interaction[] = [];
  const firstLineOf = new Map<string, { line: number; wide: boolean }>();
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    checkLine(end - start, file, lineNo);
    const line = text.slice(start, end).trim();
    start = end + 1;
    if (line === '') continue;
    const tokens = line.split(/\s+/);
    if (read.badBytes?.line === lineNo) throw encodingError(file, read.badBytes, tokens[0].includes('\uFFFD') ? 'user' : 'item');
    if (tokens.length < 2) {
      throw new MolarError('BAD_INPUT', `expected "user item" (whitespace-separated), got ${JSON.stringify(line.slice(0, 40))}`, { file, line: lineNo, field: 'item' });
    }
    const seen = firstLineOf.get(tokens[0]);
    if (seen !== undefined && (tokens.length > 2 || seen.wide)) {
      throw new MolarError(
        'BAD_INPUT',
        `user ${JSON.stringify(tokens[0])} is also on line ${seen.line}, and that line or this one has more than 2 fields (${JSON.stringify(line.slice(0, 40))}): expected SASRec lines, ` +
          `where a line of several items is a user's whole sequence. This looks like a table such as "user item rating timestamp": ` +
          `read it with --no-header --columns user_id,item_id,rating,timestamp (and --delimiter if it is not tab- or comma-separated)`,
        { file, line: lineNo },
      );
    }
    if (seen === undefined) firstLineOf.set(tokens[0], { line: lineNo, wide: tokens.length > 2 });
    tokens.forEach((t, i) => checkField(t, file, lineNo, i === 0 ? 'user' : 'item'));
    for (let i = 1; i < tokens.length; i++) out.push({ user: tokens[0], item: tokens[i] });
  }
  return out;
}
