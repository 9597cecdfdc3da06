import path from 'node:path';
import { Option, type Command } from 'commander';
import type { TableFormat } from '../data/table.js';
import { CATALOG_COLUMNS } from '../data/catalog.js';
import { USER_COLUMNS, ITEM_COLUMNS, TIME_COLUMNS } from '../data/interactions.js';
import { defaultDataRoot, getPreset, loadSpec, loadSpecInteractions, type LoadedDataset } from '../data/load-node.js';
import { checkCoverage, checkKnownItems } from '../data/sanity.js';
import { DEFAULT_ENCODING } from '../data/decode.js';
import { buildSequences, kcoreInteractions, type BuiltDataset } from '../data/sequences.js';
import type { NodeBundle } from './bundle-node.js';
import { presetNames, type DatasetSpec } from '../data/presets.js';
import { MolarError } from '../errors.js';

/** Options shared by commands that read a data set: a preset, or files plus how to read them. */
export interface DataOptions {
  preset?: string;
  dataRoot?: string;
  interactions?: string;
  format?: 'auto' | TableFormat;
  userCol?: string;
  itemCol?: string;
  timeCol?: string;
  delimiter?: string;
  /** false with --no-header */
  header: boolean;
  columns?: string[];
  encoding?: string;
  kcore?: number;
  name?: string;
  catalog?: string;
  catalogIdCol?: string;
  titleCol?: string;
  textCols?: string[];
  imageCol?: string;
  imageRoot?: string;
  urlCol?: string;
  priceCol?: string;
  attributeCols?: string[];
  flagCols?: { name: string; columns: string[] };
  catalogDelimiter?: string;
  /** false with --no-catalog-header */
  catalogHeader: boolean;
  catalogColumns?: string[];
}

const tried = (names: readonly string[]) => `default: the first of ${names.join(', ')}`;

/** The catalog flags: attribute name, flag, help. Checked against --catalog by `specFromOptions`. */
const CATALOG_FLAGS: readonly [keyof DataOptions, string, string][] = [
  ['catalogIdCol', '--catalog-id-col <name>', `the catalog's item id column (${tried(CATALOG_COLUMNS.id)})`],
  ['titleCol', '--title-col <name>', `title column (${tried(CATALOG_COLUMNS.title)}); a catalog with no titles gets a warning`],
  ['textCols', '--text-cols <a,b>', `description columns, joined with ". " (${tried(CATALOG_COLUMNS.description)})`],
  ['imageCol', '--image-col <name>', `image path or URL column (${tried(CATALOG_COLUMNS.image)})`],
  ['imageRoot', '--image-root <dir>', 'folder that relative image paths are relative to (default: the catalog\'s folder)'],
  ['urlCol', '--url-col <name>', `product page link column (${tried(CATALOG_COLUMNS.url)})`],
  ['priceCol', '--price-col <name>', `price column (${tried(CATALOG_COLUMNS.price)})`],
  ['attributeCols', '--attribute-cols <a,b>', 'columns whose "name: value" joins the item text (default: every column not used above; "" for none)'],
  ['flagCols', '--flag-cols <[name=]a,b>', '0/1 columns (MovieLens u.item genres): the names of those set to 1 become one attribute, "name" (default tags)'],
  ['catalogDelimiter', '--catalog-delimiter <sep>', 'the catalog\'s field separator, as --delimiter'],
  ['catalogHeader', '--no-catalog-header', 'the catalog\'s first line is a row, not column names'],
  ['catalogColumns', '--catalog-columns <a,b>', 'with --no-catalog-header: the catalog\'s column names (default 1, 2, 3, …)'],
];

export function addDataOptions(cmd: Command, withCatalog: boolean): Command {
  cmd
    .addOption(new Option('--preset <name>', 'a known data set').choices(presetNames()))
    .option('--data-root <dir>', 'folder holding the preset data sets (default ../shared/data)')
    .option('--interactions <file>', 'interaction log: CSV/TSV with or without a header, any delimiter, JSONL, RecBole .inter, or `user item` lines (.gz ok)')
    .addOption(new Option('--format <format>', 'interaction file format').choices(['auto', 'csv', 'tsv', 'jsonl', 'recbole', 'sasrec']).default('auto'))
    .option('--user-col <name>', `user column (${tried(USER_COLUMNS)})`)
    .option('--item-col <name>', `item column (${tried(ITEM_COLUMNS)})`)
    .option('--time-col <name>', `timestamp column (${tried(TIME_COLUMNS)}); none: file order is the order`)
    .option('--delimiter <sep>', 'field separator of the interaction file: , \\t (or "tab") | ; :: … (default: from the name and first line)', (v) => delimiter(v, '--delimiter'))
    .option('--no-header', 'the interaction file\'s first line is a row, not column names (MovieLens u.data)')
    .option('--columns <a,b>', 'with --no-header: the column names, e.g. user_id,item_id,rating,timestamp (default 1, 2, 3, …)', list)
    .option('--encoding <label>', 'text encoding of the input files (utf-8, latin1, windows-1252, …); bytes not valid in it stop with file, line and field', DEFAULT_ENCODING)
    .option('--kcore <n>', 'keep users and items with at least n interactions', (v) => positiveInt(v, '--kcore'));
  if (!withCatalog) return cmd;
  cmd.option('--catalog <file>', 'item catalog: CSV/TSV with or without a header, any delimiter, JSONL or RecBole .item (fields below; other columns become attributes)');
  for (const [, flag, help] of CATALOG_FLAGS) {
    const opt = new Option(flag, help);
    if (flag.includes('<a,b>')) opt.argParser(list);
    if (flag.startsWith('--flag-cols')) opt.argParser(flagCols);
    if (flag.startsWith('--catalog-delimiter')) opt.argParser((v: string) => delimiter(v, '--catalog-delimiter'));
    cmd.addOption(opt);
  }
  return cmd;
}

const list = (v: string): string[] => v.split(',').map((s) => s.trim()).filter(Boolean);

function flagCols(v: string): { name: string; columns: string[] } {
  const m = /^([^=,]+)=(.*)$/.exec(v);
  const columns = list(m ? m[2] : v);
  if (!columns.length) throw new MolarError('BAD_INPUT', `expected [name=]col1,col2,…, got ${JSON.stringify(v)}`, { field: '--flag-cols' });
  return { name: m ? m[1].trim() : 'tags', columns };
}

/** A separator as typed on a shell: "tab" and "\t" mean a tab; a quote or newline cannot separate fields. */
function delimiter(v: string, flag: string): string {
  const d = v === 'tab' || v === '\\t' ? '\t' : v;
  if (d === '' || /["\r\n]/.test(d)) throw new MolarError('BAD_INPUT', `expected a field separator such as , \\t | ; or ::, got ${JSON.stringify(v)}`, { field: flag });
  return d;
}

export function positiveInt(v: string, flag: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new MolarError('BAD_INPUT', `expected a positive integer, got ${JSON.stringify(v)}`, { field: flag });
  return n;
}

/** Turn CLI flags into a DatasetSpec: the same generic loader serves presets and user files. */
export function specFromOptions(o: DataOptions): { spec: DatasetSpec; dir: string; source: string } {
  // a catalog flag without --catalog would be silently ignored: say so instead
  const stray = CATALOG_FLAGS.find(([k]) => !o.catalog && (k === 'catalogHeader' ? o.catalogHeader === false : o[k] !== undefined));
  if (stray) throw new MolarError('BAD_INPUT', 'only applies with --catalog <file>, which is not given', { field: stray[1].split(' ')[0] });
  for (const [names, header, flag, noHeader] of [[o.columns, o.header, '--columns', '--no-header'], [o.catalogColumns, o.catalogHeader, '--catalog-columns', '--no-catalog-header']] as const) {
    if (names && header !== false) throw new MolarError('BAD_INPUT', `names the columns of a headerless file: add ${noHeader} (a file with a header line names its own columns)`, { field: flag });
  }
  if (o.preset) {
    const spec = { ...getPreset(o.preset) };
    if (o.kcore) spec.kcore = o.kcore;
    const root = path.resolve(o.dataRoot ?? defaultDataRoot());
    return { spec, dir: path.join(root, spec.dir), source: `preset:${o.preset}` };
  }
  if (!o.interactions) throw new MolarError('BAD_INPUT', 'expected --interactions <file> or --preset <name>', { field: '--interactions' });
  const interactions = path.resolve(o.interactions);
  const encoding = o.encoding;
  const spec: DatasetSpec = {
    name: o.name ?? path.basename(interactions).replace(/\.(gz)$/, '').replace(/\.[^.]+$/, ''),
    dir: '.',
    interactions: { file: interactions, format: o.format, userCol: o.userCol, itemCol: o.itemCol, timeCol: o.timeCol, ...readOptions(o.delimiter, o.header, o.columns), encoding },
    ...(o.catalog ? { catalog: catalogSpec(o, path.resolve(o.catalog)) } : {}),
    kcore: o.kcore,
    filterSeen: true,
  };
  return { spec, dir: path.dirname(interactions), source: path.basename(interactions) };
}

function catalogSpec(o: DataOptions, file: string): NonNullable<DatasetSpec['catalog']> {
  const columns = { id: o.catalogIdCol, title: o.titleCol, image: o.imageCol, url: o.urlCol, price: o.priceCol };
  return {
    file,
    columns: Object.fromEntries(Object.entries(columns).filter(([, v]) => v !== undefined)),
    ...(o.textCols ? { textCols: o.textCols } : {}),
    ...(o.attributeCols ? { attributeCols: o.attributeCols } : {}),
    ...(o.flagCols ? { flags: o.flagCols } : {}),
    ...(o.imageRoot !== undefined ? { imageRoot: path.resolve(o.imageRoot) } : {}),
    ...readOptions(o.catalogDelimiter, o.catalogHeader, o.catalogColumns),
    encoding: o.encoding,
  };
}

/** Only what was asked for, so an absent flag leaves detection to the name and first line. */
function readOptions(delimiter: string | undefined, header: boolean | undefined, names: string[] | undefined) {
  return { ...(delimiter !== undefined ? { delimiter } : {}), ...(header === false ? { header } : {}), ...(names ? { names } : {}) };
}

export async function loadFromOptions(o: DataOptions): Promise<LoadedDataset & { source: string }> {
  const { spec, dir, source } = specFromOptions(o);
  return { ...(await loadSpec(spec, dir)), source };
}

/**
 * The log's sequences over a bundle's item ids (`molar train`, `molar eval`), with the bundle's
 * k-core unless --kcore says otherwise. A log that does not match the bundle stops here (sanity.ts):
 * scored against the wrong items it would train noise or print NDCG 0.0000. A bundle built without
 * a catalog holds only what its k-core kept, so the share is measured on this log's same k-core.
 */
export async function loadForBundle(o: DataOptions, bundle: NodeBundle): Promise<{ dataset: BuiltDataset; spec: DatasetSpec }> {
  const { spec, dir } = specFromOptions({ ...o, kcore: o.kcore ?? bundle.manifest.stats?.kcore });
  const interactions = await loadSpecInteractions(spec, dir);
  const file = path.resolve(dir, spec.interactions.file);
  const known = new Set(bundle.items.map((it) => it.id));
  const core = kcoreInteractions(interactions, spec.kcore);
  checkKnownItems(core, known, { against: 'bundle', file });
  checkCoverage(core, known, await fittedItems(bundle), { against: 'bundle', file });
  return { dataset: buildSequences(interactions, bundle.items, { name: spec.name, kcore: spec.kcore, file, checkKnown: false }), spec };
}

/** Ids of the items the bundle's models were fitted on: nonzero in popularity.bin (undefined without one). */
async function fittedItems(bundle: NodeBundle): Promise<string[] | undefined> {
  const entry = bundle.manifest.models.find((m) => m.kind === 'popularity');
  if (!entry) return undefined;
  const counts = new Float32Array(await bundle.readFile(entry.files[0]));
  return bundle.items.filter((_, i) => counts[i + 1] > 0).map((it) => it.id);
}
