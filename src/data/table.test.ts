import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCatalog } from './catalog.js';
import { decodeText } from './decode.js';
import { badInput } from './fixtures/bad-input.js';
import { parseInteractions } from './interactions.js';
import { readCatalogFile, readInteractionsFile } from './read-node.js';
import type { MolarError } from '../errors.js';
import { INPUT_LIMITS } from './table.js';

describe('line numbers are lines, not records', () => {
  // row 3 starts on line 4: the quoted title of row 2 spans lines 2 and 3
  const text = 'item_id,title,price\na,"two\nlines",1\nb,x,cheap\n';
  it('names the real line after a quoted field that spans lines', () => {
    const e = badInput(() => parseCatalog(text, { file: 'c.csv' }));
    expect([e.line, e.field]).toEqual([4, 'price']);
  });
  it('in ragged rows and unterminated quotes too', () => {
    expect(badInput(() => parseCatalog('item_id,title\na,"x\ny"\nb,c,d\n', { file: 'c.csv' })).line).toBe(4);
    expect(badInput(() => parseCatalog('item_id,title\na,"x\ny"\nb,"open\n', { file: 'c.csv' })).line).toBe(4);
  });
});

describe('delimiters and headerless files', () => {
  it('reads a headerless tab file with named columns (MovieLens u.data)', () => {
    const rows = parseInteractions('7\t3\t5\t20\n7\t4\t1\t10\n', { file: 'u.data', header: false, names: ['user_id', 'item_id', 'rating', 'timestamp'] });
    expect(rows).toEqual([{ user: '7', item: '3', ts: 20 }, { user: '7', item: '4', ts: 10 }]);
  });
  it('reads any delimiter, "::" too (ML-1M ratings.dat), with positional names when none are given', () => {
    const rows = parseInteractions('1::10::5::99\n', { file: 'ratings.dat', delimiter: '::', header: false, userCol: '1', itemCol: '2', timeCol: '4' });
    expect(rows).toEqual([{ user: '1', item: '10', ts: 99 }]);
    const items = parseCatalog('id|title\n1|A (1990)\n', { file: 'c.txt', delimiter: '|' });
    expect(items).toEqual([{ id: '1', title: 'A (1990)' }]);
  });
  it('refuses names that do not fit the first row, and names on a file with a header', () => {
    expect(badInput(() => parseInteractions('1\t2\n', { file: 'u.data', header: false, names: ['user_id', 'item_id', 'rating'] })).message).toContain('2 fields but 3 column names');
    expect(badInput(() => parseInteractions('user_id,item_id\n1,2\n', { file: 'a.csv', names: ['u', 'i'] })).message).toContain('headerless');
  });
});

describe('documented size limits', () => {
  it('refuses a field past INPUT_LIMITS.fieldChars, naming line and field', () => {
    const e = badInput(() => parseCatalog(`item_id,title\na,ok\nb,${'x'.repeat(INPUT_LIMITS.fieldChars + 1)}\n`, { file: 'c.csv' }));
    expect([e.line, e.field]).toEqual([3, 'title']);
    expect(e.message).toContain(`at most ${INPUT_LIMITS.fieldChars}`);
    const j = badInput(() => parseCatalog(`{"item_id":"a","title":"${'y'.repeat(INPUT_LIMITS.fieldChars + 1)}"}\n`, { file: 'c.jsonl' }));
    expect([j.line, j.field]).toEqual([1, 'title']);
  });
  it('refuses a line past INPUT_LIMITS.lineChars in any format', () => {
    const long = '1 ' + '2 '.repeat(INPUT_LIMITS.lineChars / 2 + 1);
    expect(badInput(() => parseInteractions(`1 1\n${long}\n`, { file: 's.txt', format: 'sasrec' })).line).toBe(2);
    const huge = 'x'.repeat(INPUT_LIMITS.lineChars + 1);
    for (const [file, text] of [['c.csv', `item_id,title\na,${huge}\n`], ['c.jsonl', `{"item_id":"b"}\n{"item_id":"a","title":"${huge}"}\n`], ['c.item', `item_id:token\ttitle:token\na\t${huge}\n`]]) {
      const e = badInput(() => parseCatalog(text, { file }));
      expect([e.line, e.message.includes(`expected at most ${INPUT_LIMITS.lineChars}`)], file).toEqual([2, true]);
    }
    expect(parseCatalog(`item_id,title\na,${'x'.repeat(INPUT_LIMITS.fieldChars)}\n`, { file: 'c.csv' })[0].title).toHaveLength(INPUT_LIMITS.fieldChars);
  });
});

describe('encodings', () => {
  // two Latin-1 users: as UTF-8 both decode to "j\uFFFDrgen" and would merge into one
  const latin1 = Buffer.from('user_id,item_id\nann,a\n"multi\nline",b\nj\xfcrgen,c\nj\xf6rgen,d\n', 'latin1');

  it('stops on bytes that are not UTF-8, with file, the real line and the field', () => {
    const { text, badBytes } = decodeText(latin1, 'clicks.csv');
    expect(badBytes).toEqual({ line: 5, encoding: 'utf-8' });
    const e = badInput(() => parseInteractions(text, { file: 'clicks.csv', badBytes }));
    expect([e.file, e.line, e.field]).toEqual(['clicks.csv', 5, 'user_id']);
    expect(e.message).toContain('--encoding');
  });
  it('reads them with an explicit encoding, keeping the two users apart', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'molar-enc-'));
    const file = path.join(dir, 'clicks.csv');
    writeFileSync(file, latin1);
    await expect(readInteractionsFile(file)).rejects.toThrow(/line 5, field "user_id"/);
    const rows = await readInteractionsFile(file, { encoding: 'latin1' });
    expect(rows.map((r) => r.user).slice(2)).toEqual(['jürgen', 'jörgen']);
  });
  it('places bad bytes in SASRec lines and headers, and refuses an unknown label', () => {
    const s = decodeText(Buffer.from('1 2\n1 \xff\n', 'latin1'), 's.txt');
    expect(badInput(() => parseInteractions(s.text, { file: 's.txt', format: 'sasrec', badBytes: s.badBytes })).field).toBe('item');
    const h = decodeText(Buffer.from('user_id,it\xe9m\n1,2\n', 'latin1'), 'h.csv');
    expect(badInput(() => parseInteractions(h.text, { file: 'h.csv', badBytes: h.badBytes })).field).toBe('header');
    expect(badInput(() => decodeText(new Uint8Array(1), 'x.csv', 'klingon')).field).toBe('--encoding');
    expect(decodeText(Buffer.from('\uFEFFid\n', 'utf8'), 'b.csv').text).toBe('id\n');
  });

  it('reads a BOM-prefixed CRLF catalog as the same columns and values, and names the real line after a quoted CRLF', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'molar-crlf-'));
    const file = path.join(dir, 'c.csv');
    writeFileSync(file, '\uFEFFitem_id,title,price\r\na,Alpha,1\r\nb,"Be\r\nta",2\r\nc,Gamma,x\r\n');
    // the BOM is not part of the first column's name (else "item_id" would not be found), no "\r" is left on a value
    const e = (await readCatalogFile(file).then(() => undefined, (x: unknown) => x)) as MolarError;
    expect([e.code, e.line, e.field]).toEqual(['BAD_INPUT', 5, 'price']);
    writeFileSync(file, '\uFEFFitem_id,title,price\r\na,Alpha,1\r\nb,"Be\r\nta",2\r\n');
    expect(await readCatalogFile(file)).toEqual([{ id: 'a', title: 'Alpha', price: 1 }, { id: 'b', title: 'Be\r\nta', price: 2 }]);
  });

  it('reads a UTF-16 file by its byte order mark (a spreadsheet\'s "Unicode text"), LE and BE', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'molar-u16-'));
    const text = 'item_id,title\na,J\u00fcrgen\u2019s tea\n';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le.subarray(0)).swap16();
    for (const [name, bytes] of [['le.csv', le], ['be.csv', be]] as const) {
      writeFileSync(path.join(dir, name), bytes);
      expect(await readCatalogFile(path.join(dir, name)), name).toEqual([{ id: 'a', title: 'J\u00fcrgen\u2019s tea' }]);
    }
  });

  it('keeps a column named __proto__ (or constructor) as an attribute and pollutes no prototype', async () => {
    const items = parseCatalog('item_id,__proto__,constructor\na,x,y\n', { file: 'c.csv' });
    expect(Object.entries(items[0].attributes!)).toEqual([['__proto__', 'x'], ['constructor', 'y']]);
    expect(Object.getPrototypeOf(items[0].attributes)).toBe(Object.prototype);
    const j = parseCatalog('{"item_id":"a","__proto__":{"polluted":"yes"},"title":"t"}\n', { file: 'c.jsonl' });
    expect(j[0].title).toBe('t');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
