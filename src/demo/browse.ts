/**
 * What the shop can browse: every item, by category, by search, in pages. Pure functions of the
 * item table, so the grid, the pager and the tests all see the same answer.
 */
import type { ItemRecord } from '../bundle/manifest.js';
import { displayText, factValues, facetKey, type DisplayText } from '../items/display.js';

export interface ShopItem {
  item: ItemRecord;
  text: DisplayText;
  /** the item's values of the shop's facet (its category, or its genres) */
  categories: string[];
  /** title, description and facts as " word word …" (folded), what search matches word starts against */
  haystack: string;
}

export interface Category {
  value: string;
  label: string;
  count: number;
}

export interface Shop {
  items: ShopItem[];
  /** the fact key categories come from ("category", "genres"), if the catalog has one */
  facet?: string;
  /** every category, most items first (ties by name) */
  categories: Category[];
}

/** lower-case words, accents and punctuation dropped: "Café," and "cafe" find each other */
export function words(s: string): string[] {
  return s.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().split(/[^\p{L}\p{N}]+/u).filter(Boolean);
}

/** "face-smiling" → "Face smiling"; a name already spelt for people ("Sci-Fi", has capitals) stays as it is. */
export function categoryLabel(value: string): string {
  if (value !== value.toLowerCase()) return value;
  const spaced = value.replace(/[-_]+/g, ' ').trim();
  return spaced.charAt(0).toUpperCase() + spaced.slice(1);
}

export function makeShop(items: readonly ItemRecord[]): Shop {
  const texts = items.map(displayText);
  const facet = facetKey(texts);
  const counts = new Map<string, number>();
  const shopItems = items.map((item, i) => {
    const text = texts[i];
    const categories = facet ? [...new Set(factValues(text, facet))] : [];
    for (const c of categories) counts.set(c, (counts.get(c) ?? 0) + 1);
    const haystack = ` ${words([text.title, text.description, ...text.facts.flatMap((f) => f.values)].join(' ')).join(' ')}`;
    return { item, text, categories, haystack };
  });
  const categories = [...counts].map(([value, count]) => ({ value, label: categoryLabel(value), count }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label));
  return { items: shopItems, facet, categories };
}

export interface BrowseQuery {
  /** words that must all start a word (in any order) of the title, description or facts: "cat" finds "Cat" and "cats", not "education" */
  search?: string;
  /** a Category.value; '' or undefined: every category */
  category?: string;
  /** 0-based; clamped into the pages there are */
  page?: number;
}

export interface BrowsePage {
  items: ShopItem[];
  /** how many items match, across all pages */
  total: number;
  page: number;
  pages: number;
  /** 0-based index of the first shown item among the matches */
  first: number;
}

export function browse(shop: Shop, q: BrowseQuery, pageSize: number): BrowsePage {
  const wanted = words(q.search ?? '').map((w) => ` ${w}`);
  const matches = shop.items.filter((it) => (!q.category || it.categories.includes(q.category)) && wanted.every((w) => it.haystack.includes(w)));
  const pages = Math.max(1, Math.ceil(matches.length / pageSize));
  const page = Math.min(Math.max(0, Math.trunc(q.page ?? 0)), pages - 1);
  const first = page * pageSize;
  return { items: matches.slice(first, first + pageSize), total: matches.length, page, pages, first };
}
