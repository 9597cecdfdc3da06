import path from 'node:path';
import { Option, type Command } from 'commander';
import type { TableFormat } from '../data/table.js';
import { defaultDataRoot, getPreset, loadSpec, type LoadedDataset } from '../data/load-node.js';
import { presetNames, type DatasetSpec } from '../data/presets.js';
import { MolarError } from '../errors.js';

/** Options shared by commands that read a data set: a preset, or files plus how to read them. */
export interface DataOptions {
  preset?: string;
  dataRoot?: string;
  interactions?: string;
  catalog?: string;
  format?: 'auto' | TableFormat;
  userCol?: string;
  itemCol?: string;
  timeCol?: string;
  kcore?: number;
  name?: string;
}

export function addDataOptions(cmd: Command, withCatalog: boolean): Command {
  cmd
    .addOption(new Option('--preset <name>', 'a known data set').choices(presetNames()))
    .option('--data-root <dir>', 'folder holding the preset data sets (default ../shared/data)')
    .option('--interactions <file>', 'interaction log: CSV/TSV with header, JSONL, RecBole .inter, or `user item` lines (.gz ok)');
  if (withCatalog) cmd.option('--catalog <file>', 'item catalog: CSV/TSV with header, JSONL or RecBole .item');
  return cmd
    .addOption(new Option('--format <format>', 'interaction file format').choices(['auto', 'csv', 'tsv', 'jsonl', 'recbole', 'sasrec']).default('auto'))
    .option('--user-col <name>', 'user column (default: user_id, userId, user, uid)')
    .option('--item-col <name>', 'item column (default: item_id, itemId, item, sku, product_id, movie_id)')
    .option('--time-col <name>', 'timestamp column (default: timestamp, ts, time)')
    .option('--kcore <n>', 'keep users and items with at least n interactions', (v) => positiveInt(v, '--kcore'));
}

export function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new MolarError('BAD_INPUT', `expected a positive integer, got ${JSON.stringify(v)}`, { field: flag });
  return n;
}

/** Turn CLI flags into a DatasetSpec: the same generic loader serves presets and user files. */
export function specFromOptions(o: DataOptions): { spec: DatasetSpec; dir: string; source: string } {
  if (o.preset) {
    const spec = { ...getPreset(o.preset) };
    if (o.kcore) spec.kcore = o.kcore;
    const root = path.resolve(o.dataRoot ?? defaultDataRoot());
    return { spec, dir: path.join(root, spec.dir), source: `preset:${o.preset}` };
  }
  if (!o.interactions) throw new MolarError('BAD_INPUT', 'expected --interactions <file> or --preset <name>', { field: '--interactions' });
  const interactions = path.resolve(o.interactions);
  const spec: DatasetSpec = {
    name: o.name ?? path.basename(interactions).replace(/\.(gz)$/, '').replace(/\.[^.]+$/, ''),
    dir: '.',
    interactions: { file: interactions, format: o.format, userCol: o.userCol, itemCol: o.itemCol, timeCol: o.timeCol },
    ...(o.catalog ? { catalog: { file: path.resolve(o.catalog) } } : {}),
    kcore: o.kcore,
    filterSeen: true,
  };
  return { spec, dir: path.dirname(interactions), source: path.basename(interactions) };
}

export async function loadFromOptions(o: DataOptions): Promise<LoadedDataset & { source: string }> {
  const { spec, dir, source } = specFromOptions(o);
  return { ...(await loadSpec(spec, dir)), source };
}
