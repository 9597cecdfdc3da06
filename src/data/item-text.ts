import type { CatalogItem } from './types.js';

/**
 * An item's text, the one both `items.json` and the encoders read: title, description, then
 * attributes as "key: value" (genres, brand, …; "a|b" lists read "a, b"), joined with ". " so
 * sentence encoders see sentence breaks. Parts are trimmed, and blank parts and blank attribute
 * values are skipped, so a catalog that is not from parseCatalog (which trims) gives the same text.
 */
export function itemText(item: Pick<CatalogItem, 'title' | 'description' | 'attributes'>): string {
  const attributes = Object.entries(item.attributes ?? {}).filter(([, v]) => v.trim()).map(([k, v]) => `${k}: ${v.trim().replace(/\|/g, ', ')}`);
  return [item.title, item.description, ...attributes].map((p) => p?.trim()).filter(Boolean).join('. ');
}
