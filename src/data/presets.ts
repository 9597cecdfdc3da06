import type { CatalogParseOptions } from './catalog.js';
import type { InteractionParseOptions } from './interactions.js';
import type { FileReadOptions } from './decode.js';

/**
 * Where a data set's files are and how to read them: plain options of the generic loaders, so a
 * preset is data, never a code path. Any MovieLens / RecBole / CSV data set loads by writing one.
 * Paths are relative to `dir`, itself relative to the data root.
 */
export interface DatasetSpec {
  name: string;
  dir: string;
  interactions: { file: string } & FileReadOptions & Omit<InteractionParseOptions, 'file' | 'badBytes'>;
  /** `imageRoot`: the folder relative image paths are relative to (default: the catalog's folder) */
  catalog?: { file: string; imageRoot?: string } & FileReadOptions & Omit<CatalogParseOptions, 'file' | 'badBytes' | 'onWarning'>;
  /**
   * Two-column file `externalId<TAB>index` (RecBole's `.item2index`): the interactions name items
   * by index, the catalog by external id.
   */
  itemMap?: { file: string };
  kcore?: number;
  /** the history-filtering convention of the published numbers on this set (see eval/) */
  filterSeen: boolean;
}

export const PRESETS: Readonly<Record<string, DatasetSpec>> = Object.freeze({
  'ml-1m': {
    name: 'ml-1m',
    dir: 'ml-1m',
    // SASRec's ml-1m.txt: `user item` lines, chronological per user, no timestamps
    interactions: { file: 'ml-1m.txt.gz', format: 'sasrec' },
    catalog: { file: 'items.tsv', format: 'tsv', columns: { id: 'sas_item_id', image: 'poster' } },
    // gSASRec filter_rated / SASRec+ filter_seen
    filterSeen: true,
  },
  'amazon-scientific': {
    name: 'amazon-scientific',
    dir: 'amazon-scientific',
    interactions: { file: 'Scientific.seq.txt', format: 'sasrec' },
    itemMap: { file: 'Scientific.item2index' },
    catalog: { file: 'Scientific.text', format: 'recbole', columns: { id: 'item_id' }, textCols: ['text'] },
    // UniSRec / VQ-Rec numbers come from RecBole full-sort, which keeps seen items
    filterSeen: false,
  },
});

export function presetNames(): string[] {
  return Object.keys(PRESETS);
}
