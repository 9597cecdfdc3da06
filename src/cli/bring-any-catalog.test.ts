import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ItemRecord, Manifest, SasrecEntry } from '../bundle/manifest.js';
import { molar } from './fixtures/run-molar.js';

// a MovieLens-100K-shaped pair written for these tests: u.data tab-separated `user item rating ts`,
// no header; u.item pipe-separated `id|title|date|video date|url|4 genre flags`, Latin-1 (item 3 is "Café …")
const ml = path.join(__dirname, 'fixtures/movielens');
const shop = path.join(__dirname, 'fixtures/shop');
const GENRES = ['unknown', 'Action', 'Comedy', 'Drama'];
const udata = ['--interactions', path.join(ml, 'u.data'), '--no-header', '--columns', 'user_id,item_id,rating,timestamp'];
const uitem = ['--catalog', path.join(ml, 'u.item'), '--no-catalog-header', '--catalog-columns', ['movie_id', 'title', 'date', 'video_date', 'imdb_url', ...GENRES].join(','),
  '--flag-cols', `genres=${GENRES.join(',')}`, '--url-col', 'imdb_url', '--attribute-cols', 'date'];
const CLI_TIMEOUT = 120_000;

describe('molar build on files that are not ours', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'molar-any-'));

  it('reads a MovieLens u.data / u.item pair with column flags and --encoding latin1', async () => {
    const out = path.join(dir, 'ml');
    const r = await molar(['build', ...udata, ...uitem, '--encoding', 'latin1', '--out', out, '--no-train']);
    expect(r.stderr).not.toContain('error');
    expect(r.stdout).toContain('10 items, 8 users, 40 interactions');
    const items = JSON.parse(readFileSync(path.join(out, 'items.json'), 'utf8')) as ItemRecord[];
    expect(items[2]).toEqual({ id: '3', title: 'Café Nocturne (1995)', text: 'Café Nocturne (1995). date: 01-Jan-1995. genres: Action', url: 'http://example.com/film/3' });
  }, CLI_TIMEOUT);

  it('--image-root: relative image paths are read from that folder, not the catalog\'s', async () => {
    const elsewhere = path.join(dir, 'catalog-elsewhere.csv');
    writeFileSync(elsewhere, readFileSync(path.join(shop, 'catalog.csv')));
    const args = ['--catalog', elsewhere, '--interactions', path.join(shop, 'interactions.csv'), '--no-train'];
    const r = await molar(['build', ...args, '--image-root', shop, '--out', path.join(dir, 'img')]);
    expect(r.stderr).not.toContain('error');
    expect(readFileSync(path.join(dir, 'img/images/1.png')).equals(readFileSync(path.join(shop, 'images/tea-green.png')))).toBe(true);
  }, CLI_TIMEOUT);

  it('stops on what it cannot read right, naming file, line, field and the flag to use, and writes no --out', async () => {
    const out = path.join(dir, 'refused');
    const cases: [string[], string][] = [
      // Latin-1 read as UTF-8 would have turned "é" into U+FFFD
      [[...udata, ...uitem], `${path.join(ml, 'u.item')}, line 3, field "title": holds bytes that are not valid utf-8`],
      // 4 numeric columns read as SASRec lines made items of ratings and timestamps
      [['--interactions', path.join(ml, 'u.data')], 'This looks like a table such as "user item rating timestamp": read it with --no-header --columns'],
      [[...udata.slice(0, 2), '--columns', 'user_id,item_id,rating,timestamp'], 'field "--columns": names the columns of a headerless file: add --no-header'],
      [[...udata, '--title-col', 'name'], 'field "--title-col": only applies with --catalog <file>'],
      [[...udata, '--minutes', '1'], 'field "--minutes": is a training budget, and --no-train trains nothing'],
    ];
    for (const [args, message] of cases) {
      const r = await molar(['build', ...args, '--out', out, '--no-train']);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toContain(message);
    }
    expect(existsSync(out)).toBe(false);
  }, CLI_TIMEOUT);

  it('refuses a catalog whose ids are not the log\'s, and warns when a catalog has no titles', async () => {
    const names = path.join(dir, 'names.csv');
    writeFileSync(names, 'sku,label\n' + Array.from({ length: 10 }, (_, i) => `Film ${i + 1},F${i}\n`).join(''));
    const r = await molar(['build', ...udata, '--catalog', names, '--out', path.join(dir, 'names'), '--no-train']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("The log's items are numbers but the catalog's ids are names: is --catalog-id-col the id column?");
    const untitled = path.join(dir, 'untitled.csv');
    writeFileSync(untitled, 'item_id,label\n' + Array.from({ length: 10 }, (_, i) => `${i + 1},F${i}\n`).join(''));
    const w = await molar(['build', ...udata, '--catalog', untitled, '--out', path.join(dir, 'untitled'), '--no-train']);
    expect(w.code).toBe(0);
    expect(w.stderr).toContain(`warning: ${untitled}: no title column`);
    const fixed = await molar(['build', ...udata, '--catalog', untitled, '--title-col', 'label', '--out', path.join(dir, 'titled'), '--no-train']);
    expect(fixed.stderr).not.toContain('warning');
  }, CLI_TIMEOUT);

  it('--help documents the catalog columns, the training defaults and the model kinds', async () => {
    const build = (await molar(['build', '--help'])).stdout;
    for (const s of ['--catalog-id-col <name>', '--title-col <name>', '--text-cols <a,b>', '--image-col <name>', '--image-root <dir>', '--url-col <name>', '--price-col <name>',
      '--attribute-cols <a,b>', '--flag-cols', '--delimiter <sep>', '--no-header', '--columns <a,b>', '--encoding <label>', '--minutes <m>', 'movie_title', 'Model kinds: popularity, cooccurrence, sasrec']) {
      expect(build).toContain(s);
    }
    expect((await molar(['train', '--help'])).stdout.replace(/\s+/g, ' ')).toContain('--patience <n> epochs without a better valid NDCG@10 before stopping (default: 20; 100 with --minutes, whose end stops training)');
  }, CLI_TIMEOUT);
});

describe('molar eval and train refuse a log that is not the bundle\'s', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'molar-match-'));
  const out = path.join(dir, 'shop');
  const clicks = path.join(shop, 'interactions.csv');

  it('stops instead of printing NDCG 0.0000, and trains within --minutes with a per-epoch log and history', async () => {
    expect((await molar(['build', '--catalog', path.join(shop, 'catalog.csv'), '--interactions', clicks, '--out', out, '--no-train'])).code).toBe(0);
    // the same users on other items: a fifth of the interactions name items the bundle has never seen
    const lines = readFileSync(clicks, 'utf8').trim().split('\n');
    const other = path.join(dir, 'other.csv');
    writeFileSync(other, [lines[0], ...lines.slice(1).map((l, i) => (i % 5 === 0 ? l.replace(/,([^,]+),/, ',gone-$1,') : l))].join('\n') + '\n');
    const e = await molar(['eval', '--bundle', out, '--interactions', other]);
    expect(e.code).toBe(1);
    expect(e.stderr).toMatch(/field "item": only 8\d(\.\d)?% of 30 interactions .* name an item in the bundle's item table; expected at least 90%/);
    expect(e.stdout).not.toContain('NDCG');
    // a log whose users have fewer than 3 events: nothing to test
    const short = path.join(dir, 'short.csv');
    writeFileSync(short, lines.slice(0, 1).concat(lines.slice(1).map((l, i) => l.replace(/^[^,]+/, `u${i}`))).join('\n') + '\n');
    const s = await molar(['eval', '--bundle', out, '--interactions', short]);
    expect(s.code).toBe(1);
    expect(s.stderr).toContain('no user has the 3 events');

    const MINUTES = 0.25;
    const t = Date.now();
    const tr = await molar(['train', '--bundle', out, '--interactions', clicks, '--minutes', String(MINUTES), '--epochs', '100000', '--patience', '100000', '--workers', '1', '--batch-size', '4']);
    const wall = Date.now() - t;
    expect(tr.code).toBe(0);
    expect(tr.stdout).toContain('stopped by timeBudget');
    // the whole command, start-up and writing included, within the budget plus the process exit
    expect(wall).toBeLessThan(MINUTES * 60_000 + 2_000);
    expect(tr.stderr).toMatch(/^epoch 1: loss \d+\.\d{4} \| valid NDCG@10 \d\.\d{4} \| \d+\.\d\d min$/m);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    const sasrec = m.models.find((x): x is SasrecEntry => x.kind === 'sasrec')!;
    expect(sasrec.trainedWith!.history!.length).toBeGreaterThan(1);
    expect(Object.keys(sasrec.trainedWith!.history![0])).toEqual(['epoch', 'loss', 'validNdcg10', 'minutes', 'epochSeconds']);
  }, CLI_TIMEOUT);

  it('accepts the log a k-core bundle was built from, though the k-core left a seventh of it out of the bundle', async () => {
    const kc = path.join(dir, 'kcore');
    const b = await molar(['build', '--interactions', clicks, '--kcore', '3', '--out', kc, '--no-train']);
    expect(b.stdout).toContain('7 items, 8 users, 26 interactions'); // of 30: 87%, under the 90% a bundle's log must match
    const e = await molar(['eval', '--bundle', kc, '--interactions', clicks]);
    expect(e.stderr).not.toContain('error');
    expect(e.stdout).toMatch(/NDCG@10\s+0\.\d{4}/);
  }, CLI_TIMEOUT);
});
