import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ItemRecord } from '../bundle/manifest.js';
import { browse, categoryLabel, makeShop } from './browse.js';

const items = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../../demo-data/bundle/items.json'), 'utf8')) as ItemRecord[];
const shop = makeShop(items);

describe('the demo shop can reach every item', () => {
  it('lists all 46 categories of the demo catalog, whose counts add up to its 355 items', () => {
    expect(shop.facet).toBe('category');
    expect(shop.categories).toHaveLength(46);
    expect(shop.categories.reduce((n, c) => n + c.count, 0)).toBe(355);
    expect(shop.categories[0]).toEqual({ value: 'animal-mammal', label: 'Animal mammal', count: 17 });
  });

  it('pages through every item once, in catalog order, and clamps a page past the end', () => {
    const seen: string[] = [];
    const first = browse(shop, {}, 48);
    expect(first.pages).toBe(8);
    for (let p = 0; p < first.pages; p++) seen.push(...browse(shop, { page: p }, 48).items.map((s) => s.item.id));
    expect(seen).toEqual(items.map((it) => it.id));
    const past = browse(shop, { page: 99 }, 48);
    expect(past.page).toBe(7);
    expect(past.items.at(-1)!.item.id).toBe(items.at(-1)!.id);
    expect(past.first).toBe(336);
  });

  it('every category shows exactly its items', () => {
    for (const c of shop.categories) {
      const got = browse(shop, { category: c.value }, 1000);
      expect(got.total).toBe(c.count);
      expect(got.items.every((s) => s.categories.includes(c.value))).toBe(true);
    }
  });

  it('search finds an item by its title, any case, with every word required, within a category too', () => {
    const hit = browse(shop, { search: 'tears of JOY' }, 48);
    expect(hit.items.map((s) => s.item.title)).toContain('Sticker: Face with Tears of Joy');
    expect(hit.items.every((s) => s.haystack.includes(' tears') && s.haystack.includes(' joy'))).toBe(true);
    // a word start, not any substring: "cat" is in "education" (Graduation Cap's tags) but does not find it
    const cats = browse(shop, { search: 'cat' }, 48).items.map((s) => s.item.title);
    expect(cats).toContain('Sticker: Black Cat');
    expect(cats).not.toContain('Sticker: Graduation Cap');
    expect(browse(shop, { search: 'joy', category: 'face-smiling' }, 48).items.every((s) => s.categories.includes('face-smiling'))).toBe(true);
    expect(browse(shop, { search: 'no-such-sticker-anywhere' }, 48)).toMatchObject({ total: 0, pages: 1, page: 0, items: [] });
  });

  it('search ignores accents; a catalog without a category facet still browses', () => {
    const plain = makeShop([{ id: 'a', title: 'Crème brûlée' }, { id: 'b', title: 'Tea' }]);
    expect(plain.facet).toBeUndefined();
    expect(plain.categories).toEqual([]);
    expect(browse(plain, { search: 'creme brulee' }, 10).items.map((s) => s.item.id)).toEqual(['a']);
    expect(categoryLabel('Sci-Fi')).toBe('Sci-Fi');
    expect(categoryLabel('food_asian')).toBe('Food asian');
  });
});
