import { describe, expect, it } from 'vitest';
import { itemText, parseCatalog } from './catalog.js';
import { badInput } from './fixtures/bad-input.js';

describe('catalog columns', () => {
  it('recognises RecBole .item and MovieLens names: movie_title, typed headers read as TSV, movieId', () => {
    const recbole = parseCatalog('item_id:token\tmovie_title:token_seq\trelease_year:token\n1\tHeat\t1995\n', { file: 'ml-100k.item' });
    expect(recbole).toEqual([{ id: '1', title: 'Heat', attributes: { release_year: '1995' } }]);
    const typed = parseCatalog('item_id:token\ttitle:token\n7\tMug\n', { file: 'items.tsv' });
    expect(typed).toEqual([{ id: '7', title: 'Mug' }]);
    const movies = parseCatalog('movieId,title,genres\n1,Toy Story (1995),Adventure|Animation\n', { file: 'movies.csv' });
    expect(itemText(movies[0])).toBe('Toy Story (1995). genres: Adventure, Animation');
  });
  it('takes each field from the column named for it', () => {
    const text = 'ref,label,blurb,notes,pic,page,cost,brand,colour\nA1,Kettle,Boils water,Steel,k.jpg,/k,12,Acme,red\n';
    const [it] = parseCatalog(text, {
      file: 'c.csv',
      columns: { id: 'ref', title: 'label', image: 'pic', url: 'page', price: 'cost' },
      textCols: ['blurb', 'notes'],
      attributeCols: ['brand'],
    });
    expect(it).toEqual({ id: 'A1', title: 'Kettle', description: 'Boils water. Steel', image: 'k.jpg', url: '/k', price: 12, attributes: { brand: 'Acme' } });
    expect(parseCatalog(text, { file: 'c.csv', columns: { id: 'ref' }, attributeCols: [] })[0].attributes).toBeUndefined();
    expect(badInput(() => parseCatalog(text, { file: 'c.csv', columns: { id: 'ref' }, textCols: ['nope'] })).message).toContain('missing the text column: expected one of nope');
  });
  it('folds 0/1 flag columns into one attribute (MovieLens u.item genres), refusing other values', () => {
    const text = '1|Heat (1995)|0|1|1\n2|Up (2009)|1|0|0\n';
    const opts = { file: 'u.item', header: false, names: ['item_id', 'title', 'Animation', 'Action', 'Crime'], flags: { name: 'genres', columns: ['Animation', 'Action', 'Crime'] } };
    const items = parseCatalog(text, opts);
    expect(items.map(itemText)).toEqual(['Heat (1995). genres: Action, Crime', 'Up (2009). genres: Animation']);
    const e = badInput(() => parseCatalog(text.replace('0|1|1', '0|yes|1'), opts));
    expect([e.line, e.field]).toEqual([1, 'Action']);
  });
  it('warns when no item gets a title, naming the flag that fixes it', () => {
    const warnings: string[] = [];
    parseCatalog('item_id:token\tfilm_name:token_seq\n1\tHeat\n', { file: 'x.item', onWarning: (w) => warnings.push(w) });
    parseCatalog('item_id,title\n1,\n', { file: 'y.csv', onWarning: (w) => warnings.push(w) });
    parseCatalog('item_id,title\n1,Heat\n', { file: 'z.csv', onWarning: (w) => warnings.push(w) });
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(/^x\.item: no title column \(tried title, .*movie_title; found item_id, film_name\).*--title-col/);
    expect(warnings[1]).toContain('the title column "title" is empty in every row');
  });
});
