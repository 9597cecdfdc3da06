import { existsSync } from 'node:fs';
import path from 'node:path';
import { defaultDataRoot } from '../data/load-node.js';
import { PRESETS } from '../data/presets.js';
import { readCatalogFile } from '../data/read-node.js';
import type { CatalogItem } from '../data/types.js';
import type { EncodableItem } from './types.js';

/**
 * Real items for quantization checks and benchmarks: the ML-1M catalog (titles, genres, posters)
 * when ../shared/data is present, else the committed fixture shop. Images become absolute paths.
 */
export async function sampleItems(opts: { dataRoot?: string; limit?: number } = {}): Promise<{ source: string; items: (EncodableItem & { attributes?: Record<string, string> })[] }> {
  const spec = PRESETS['ml-1m'];
  const dir = path.join(opts.dataRoot ?? defaultDataRoot(), spec.dir);
  let catalog: CatalogItem[];
  let base: string;
  let source: string;
  if (spec.catalog && existsSync(path.join(dir, spec.catalog.file))) {
    const { file, ...o } = spec.catalog;
    catalog = await readCatalogFile(path.join(dir, file), o);
    base = dir;
    source = 'ml-1m';
  } else {
    const file = path.resolve('src/cli/fixtures/shop/catalog.csv');
    catalog = await readCatalogFile(file, {});
    base = path.dirname(file);
    source = 'fixture-shop';
  }
  const items = catalog.slice(0, opts.limit ?? catalog.length).map((c) => ({
    id: c.id,
    title: c.title,
    description: c.description,
    attributes: c.attributes,
    image: c.image ? path.resolve(base, c.image) : undefined,
  }));
  return { source, items };
}
