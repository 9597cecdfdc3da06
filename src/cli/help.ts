import { CATALOG_COLUMNS } from '../data/catalog.js';
import { scorerKinds } from '../score/registry.js';

/** The model kinds a bundle can hold, from the scorer registry (so a new kind shows up by itself), plus item vectors. */
export const MODEL_KINDS_HELP =
  `Model kinds: ${scorerKinds().join(', ')} (what \`molar eval\` and the page score; of several in a bundle the highest-priority kind serves, unless eval --model names one), ` +
  'and item-vectors (build --encode; cold start only). build fits popularity and cooccurrence, and trains sasrec unless --no-train.';

/** What `molar build --help` adds after the flags: how catalog columns become item fields. */
export const CATALOG_HELP = [
  'Catalog fields (first column found, case-insensitive; a RecBole ":type" suffix is ignored):',
  ...Object.entries(CATALOG_COLUMNS).map(([field, names]) => `  ${field.padEnd(12)} ${names.join(', ')}${field === 'id' ? '  (required)' : ''}`),
  '  other columns are attributes: "name: value" in the item text (--attribute-cols, --flag-cols choose).',
  'Headerless / other delimiters: --no-header --columns a,b,… --delimiter "|" (catalog: --no-catalog-header',
  '--catalog-columns, --catalog-delimiter); MovieLens u.data / u.item: see the README, "Building a bundle".',
].join('\n');
