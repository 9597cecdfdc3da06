import path from 'node:path';
import { MolarError } from '../errors.js';
import { PRESETS, presetNames, type DatasetSpec } from './presets.js';
import { readCatalogFile, readInteractionsFile, readItemMap } from './read-node.js';
import { buildSequences, type BuiltDataset } from './sequences.js';
import type { CatalogItem, Interaction } from './types.js';

export interface LoadedDataset {
  dataset: BuiltDataset;
  catalog: CatalogItem[];
  /** folder that relative catalog image paths are relative to: spec.catalog.imageRoot, else the catalog's folder */
  catalogDir?: string;
  spec: DatasetSpec;
}

/** Default data root: ../shared/data beside the repository (its licences forbid copying it in). */
export function defaultDataRoot(repoRoot = process.cwd()): string {
  return path.resolve(repoRoot, '..', 'shared', 'data');
}

export function getPreset(name: string): DatasetSpec {
  const spec = PRESETS[name];
  if (!spec) throw new MolarError('BAD_INPUT', `unknown preset ${JSON.stringify(name)}: expected one of ${presetNames().join(', ')}`, { field: 'preset' });
  return spec;
}

/** Load a named preset from `dataRoot` (default ../shared/data). */
export async function loadPreset(name: string, dataRoot = defaultDataRoot()): Promise<LoadedDataset> {
  const spec = getPreset(name);
  return loadSpec(spec, path.join(dataRoot, spec.dir));
}

/** Load any data set described by a DatasetSpec whose files sit in `dir`. */
/** The interaction rows of a spec, with item indices already mapped to external ids. */
export async function loadSpecInteractions(spec: DatasetSpec, dir: string): Promise<Interaction[]> {
  const { file: interFile, ...interOpts } = spec.interactions;
  const interactions = await readInteractionsFile(path.resolve(dir, interFile), interOpts);
  if (!spec.itemMap) return interactions;
  const mapFile = path.resolve(dir, spec.itemMap.file);
  const map = await readItemMap(mapFile);
  return interactions.map((r) => {
    const ext = map.get(r.item);
    if (ext === undefined) throw new MolarError('BAD_INPUT', `item index ${JSON.stringify(r.item)} is not in ${mapFile}`, { file: interFile, field: 'item' });
    return { ...r, item: ext };
  });
}

/** Load any data set described by a DatasetSpec whose files sit in `dir`. */
export async function loadSpec(spec: DatasetSpec, dir: string): Promise<LoadedDataset> {
  const interactions = await loadSpecInteractions(spec, dir);
  let catalog: CatalogItem[] = [];
  let catalogDir: string | undefined;
  const warnings: string[] = [];
  if (spec.catalog) {
    const { file: catFile, imageRoot, ...catOpts } = spec.catalog;
    const full = path.resolve(dir, catFile);
    catalog = await readCatalogFile(full, { ...catOpts, onWarning: (w) => warnings.push(w) });
    catalogDir = imageRoot !== undefined ? path.resolve(dir, imageRoot) : path.dirname(full);
  }
  const dataset = buildSequences(interactions, spec.catalog ? catalog : undefined, { name: spec.name, kcore: spec.kcore, file: path.resolve(dir, spec.interactions.file) });
  dataset.warnings.unshift(...warnings);
  if (!spec.catalog) catalog = dataset.items.itemIds.map((id) => ({ id }));
  return { dataset, catalog, catalogDir, spec };
}
