/**
 * Smaller shops cut from the shared data sets, to see how the product behaves on data it was never
 * tuned on: a seeded sample of users with all their interactions, and the whole catalog (a shop's
 * catalog holds items nobody has clicked yet). `writeSlice` writes them as the files a shop has:
 * `interactions.csv` (user_id,item_id in time order) and `catalog.csv` (id,title,description,
 * attribute columns), so benches can run the CLI on them as a user would.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import Papa from 'papaparse';
import { defaultDataRoot, getPreset, loadSpecInteractions } from '../src/data/load-node.js';
import { readCatalogFile } from '../src/data/read-node.js';
import type { CatalogItem, Interaction } from '../src/data/types.js';
import { mulberry32, shuffleInPlace } from '../src/random.js';

export interface SliceSpec {
  /** e.g. "ml-1m-600u"; the full set keeps the preset's name */
  name: string;
  preset: 'ml-1m' | 'amazon-scientific';
  /** users kept; undefined = all */
  users?: number;
}

/** The slices of issue 19: ML-1M at 300, 600, 1,500 and 6,040 users, Amazon Scientific at 1,000 and 8,442. */
export const SLICES: readonly SliceSpec[] = [
  { name: 'ml-1m-300u', preset: 'ml-1m', users: 300 },
  { name: 'ml-1m-600u', preset: 'ml-1m', users: 600 },
  { name: 'ml-1m-1500u', preset: 'ml-1m', users: 1500 },
  { name: 'ml-1m', preset: 'ml-1m' },
  { name: 'amazon-scientific-1000u', preset: 'amazon-scientific', users: 1000 },
  { name: 'amazon-scientific', preset: 'amazon-scientific' },
];

export function sliceByName(name: string): SliceSpec {
  const s = SLICES.find((x) => x.name === name);
  if (!s) throw new Error(`unknown slice ${name}: expected one of ${SLICES.map((x) => x.name).join(', ')}`);
  return s;
}

export interface Slice {
  spec: SliceSpec;
  interactions: Interaction[];
  catalog: CatalogItem[];
}

/** Users kept: a seeded shuffle of the distinct users (mulberry32), the first `n`; file order of rows kept. */
export async function cutSlice(spec: SliceSpec, seed = 7, dataRoot = defaultDataRoot()): Promise<Slice> {
  const preset = getPreset(spec.preset);
  const dir = path.join(dataRoot, preset.dir);
  const rows = await loadSpecInteractions(preset, dir);
  const { file, imageRoot: _imageRoot, ...catOpts } = preset.catalog!;
  const catalog = await readCatalogFile(path.resolve(dir, file), { ...catOpts, onWarning: () => {} });
  if (spec.users === undefined) return { spec, interactions: rows, catalog };
  const users = [...new Set(rows.map((r) => r.user))];
  shuffleInPlace(users, mulberry32(seed));
  const keep = new Set(users.slice(0, spec.users));
  return { spec, interactions: rows.filter((r) => keep.has(r.user)), catalog };
}

/** Writes the slice as a shop's two files under `dir`; returns their paths. Images are left out. */
export async function writeSlice(slice: Slice, dir: string): Promise<{ interactions: string; catalog: string }> {
  await mkdir(dir, { recursive: true });
  const interactions = path.join(dir, 'interactions.csv');
  const catalog = path.join(dir, 'catalog.csv');
  await writeFile(interactions, Papa.unparse({ fields: ['user_id', 'item_id'], data: slice.interactions.map((r) => [r.user, r.item]) }) + '\n');
  const attrKeys = [...new Set(slice.catalog.flatMap((c) => Object.keys(c.attributes ?? {})))];
  const data = slice.catalog.map((c) => [c.id, c.title ?? '', c.description ?? '', ...attrKeys.map((k) => c.attributes?.[k] ?? '')]);
  await writeFile(catalog, Papa.unparse({ fields: ['id', 'title', 'description', ...attrKeys], data }) + '\n');
  return { interactions, catalog };
}
