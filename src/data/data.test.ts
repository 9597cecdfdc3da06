import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { badInput } from './fixtures/bad-input.js';
import { itemText, parseCatalog } from './catalog.js';
import { parseInteractions } from './interactions.js';
import { defaultDataRoot, loadPreset } from './load-node.js';
import { buildSequences } from './sequences.js';
import { detectFormat } from './table.js';


describe('format detection', () => {
  it('tells the formats apart by name and first line', () => {
    expect(detectFormat('user_id,item_id\n1,2', 'a.csv')).toBe('csv');
    expect(detectFormat('user_id\titem_id\n1\t2', 'a.txt')).toBe('tsv');
    expect(detectFormat('{"user":"a"}', 'a.txt')).toBe('jsonl');
    expect(detectFormat('user_id:token\titem_id:token\n', 'x.inter')).toBe('recbole');
    expect(detectFormat('1 1\n1 2\n', 'ml-1m.txt')).toBe('sasrec');
    expect(detectFormat('1\t1\n1\t2\n', 'pairs.txt')).toBe('sasrec');
  });
});

describe('parseInteractions', () => {
  it('auto-detects user/item/time columns in CSV', () => {
    const rows = parseInteractions('userId,movie_id,rating,timestamp\nu1,m1,5,30\nu1,m2,4,10\n', { file: 'r.csv' });
    expect(rows).toEqual([
      { user: 'u1', item: 'm1', ts: 30 },
      { user: 'u1', item: 'm2', ts: 10 },
    ]);
  });
  it('honours column overrides and ignores time when asked', () => {
    const rows = parseInteractions('who,what,ts\na,x,1\n', { file: 'r.csv', userCol: 'who', itemCol: 'what', timeCol: '' });
    expect(rows).toEqual([{ user: 'a', item: 'x' }]);
  });
  it('reads JSONL, RecBole .inter and SASRec lines', () => {
    expect(parseInteractions('{"user_id":"a","item_id":7,"ts":2}\n\n{"user_id":"b","item_id":"8","ts":3}\n', { file: 'x.jsonl' })).toEqual([
      { user: 'a', item: '7', ts: 2 },
      { user: 'b', item: '8', ts: 3 },
    ]);
    const inter = parseInteractions('user_id:token\titem_id:token\ttimestamp:float\n1\t10\t5.5\n', { file: 'd.inter' });
    expect(inter).toEqual([{ user: '1', item: '10', ts: 5.5 }]);
    expect(parseInteractions('1 1\n1 2\n2 5 6 7\n', { file: 'a.txt' })).toEqual([
      { user: '1', item: '1' },
      { user: '1', item: '2' },
      { user: '2', item: '5' },
      { user: '2', item: '6' },
      { user: '2', item: '7' },
    ]);
  });
  it('names file, line and field of a bad timestamp', () => {
    const text = 'user_id,item_id,timestamp\n' + 'u,i,1\n'.repeat(15) + 'u,i,abc\n';
    const e = badInput(() => parseInteractions(text, { file: 'ratings.csv' }));
    expect(e.message).toBe('ratings.csv, line 17, field "timestamp": expected a number (unix time) or an ISO date, got "abc"');
    expect(e.line).toBe(17);
  });
  it('lists the columns found when a required one is missing', () => {
    const e = badInput(() => parseInteractions('customer,product\na,b\n', { file: 'x.csv' }));
    expect(e.message).toContain('found columns customer, product');
    expect(e.message).toContain('user_id');
  });
  it('rejects empty files, ragged rows, bad JSON and bad RecBole floats', () => {
    expect(badInput(() => parseInteractions('', { file: 'e.csv' })).message).toContain('empty');
    expect(badInput(() => parseInteractions('user_id,item_id\na,b,c\n', { file: 'r.csv' })).line).toBe(2);
    expect(badInput(() => parseInteractions('{"user_id":1}\n{oops\n', { file: 'r.jsonl' })).line).toBe(2);
    const e = badInput(() => parseInteractions('user_id:token\titem_id:token\ttimestamp:float\n1\t2\tx\n', { file: 'd.inter' }));
    expect([e.line, e.field]).toEqual([2, 'timestamp']);
    expect(badInput(() => parseInteractions('1 1\n7\n', { file: 's.txt' })).line).toBe(2);
  });
});

describe('parseCatalog', () => {
  it('maps known columns and puts the rest in attributes', () => {
    const items = parseCatalog('sku,name,price,brand,image\nA,Alpha,$3.5,Acme,a.jpg\nB,,,,\n', { file: 'c.csv' });
    expect(items).toEqual([
      { id: 'A', title: 'Alpha', price: 3.5, image: 'a.jpg', attributes: { brand: 'Acme' } },
      { id: 'B' },
    ]);
  });
  it('reads RecBole .item with a column override', () => {
    const items = parseCatalog('item_id:token\ttext:token_seq\nX\tsome words\n', { file: 'a.item', textCols: ['text'] });
    expect(items).toEqual([{ id: 'X', description: 'some words' }]);
  });
  it('rejects duplicate ids and bad prices with the line', () => {
    const e = badInput(() => parseCatalog('id,title\na,x\nb,y\na,z\n', { file: 'c.csv' }));
    expect(e.line).toBe(4);
    expect(e.message).toContain('first seen on line 2');
    expect(badInput(() => parseCatalog('id,price\na,cheap\n', { file: 'c.csv' })).field).toBe('price');
    expect(badInput(() => parseCatalog('title\nx\n', { file: 'c.csv' })).message).toContain('found columns title');
  });
});

describe('itemText', () => {
  it('joins trimmed parts, skips blank ones and reads "a|b" lists as "a, b"', () => {
    expect(itemText({ title: ' Heat ', description: '\t', attributes: { genres: ' Action|Crime ', year: ' ', note: '' } })).toBe('Heat. genres: Action, Crime');
    expect(itemText({})).toBe('');
  });
  it('gives a parsed catalog row the text of its fields', () => {
    const [a] = parseCatalog('id,title,description,brand,colour\na, Mug ,,Acme , \n', { file: 'c.csv' });
    expect(itemText(a)).toBe('Mug. brand: Acme');
  });
});

describe('buildSequences', () => {
  it('orders by timestamp with stable ties and numbers items in catalog order', () => {
    const rows = [
      { user: 'u', item: 'b', ts: 5 },
      { user: 'v', item: 'a', ts: 1 },
      { user: 'u', item: 'a', ts: 1 },
      { user: 'u', item: 'c', ts: 5 },
    ];
    const ds = buildSequences(rows, [{ id: 'c' }, { id: 'b' }, { id: 'a' }, { id: 'cold' }]);
    expect(ds.numItems).toBe(4);
    expect(ds.items.itemIds).toEqual(['c', 'b', 'a', 'cold']);
    expect(ds.users).toEqual(['u', 'v']);
    expect([...ds.sequences[0]]).toEqual([3, 2, 1]);
    expect([...ds.sequences[1]]).toEqual([3]);
    expect(ds.warnings).toEqual([]);
  });
  it('keeps file order without timestamps and drops unknown items with one warning', () => {
    const rows = [
      { user: 'u', item: 'x' },
      { user: 'u', item: 'zz' },
      { user: 'u', item: 'y' },
      { user: 'u', item: 'zz' },
    ];
    const ds = buildSequences(rows, [{ id: 'y' }, { id: 'x' }]);
    expect([...ds.sequences[0]]).toEqual([2, 1]);
    expect(ds.warnings).toHaveLength(1);
    expect(ds.warnings[0]).toContain('dropped 2 of 4');
    expect(ds.warnings[0]).toContain('"zz"');
  });
  it('applies k-core until stable', () => {
    // item d has 1 interaction; removing it leaves user w with 1 event, which removes w; then item c drops to 1
    const rows = [
      ['u', 'a'], ['u', 'b'], ['v', 'a'], ['v', 'b'], ['w', 'c'], ['w', 'd'], ['u', 'c'],
    ].map(([user, item]) => ({ user, item }));
    const ds = buildSequences(rows, undefined, { kcore: 2 });
    expect(ds.users).toEqual(['u', 'v']);
    expect(ds.items.itemIds).toEqual(['a', 'b']);
    expect(ds.interactions).toBe(4);
  });
});

const root = defaultDataRoot(path.resolve(__dirname, '../..'));
describe.skipIf(!existsSync(path.join(root, 'ml-1m')))('ml-1m preset', () => {
  it('loads the published counts', async () => {
    const { dataset, catalog } = await loadPreset('ml-1m', root);
    expect([dataset.users.length, dataset.numItems, dataset.interactions]).toEqual([6040, 3416, 999611]);
    expect(catalog[0].title).toBe('Raiders of the Lost Ark (1981)');
    expect(catalog[0].attributes?.genres).toBe('Action|Adventure');
  });
});
describe.skipIf(!existsSync(path.join(root, 'amazon-scientific')))('amazon-scientific preset', () => {
  it('loads the published counts', async () => {
    const { dataset } = await loadPreset('amazon-scientific', root);
    expect([dataset.users.length, dataset.numItems, dataset.interactions]).toEqual([8442, 4385, 59427]);
  });
});
