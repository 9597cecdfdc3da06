import { MolarError } from '../errors.js';
import { checkCoverage, checkKnownItems } from './sanity.js';
import type { CatalogItem, Interaction, SequenceDataset } from './types.js';

export interface BuildSequencesOptions {
  name?: string;
  /** keep only users and items with at least k interactions, repeated until nothing changes */
  kcore?: number;
  /** the log's file, named when most of it misses the catalog */
  file?: string;
  /**
   * false: skip the check that most interactions name catalog items (sanity.ts), for a caller that
   * measured the share itself (against a bundle, whose k-core it accounts for). Default true.
   */
  checkKnown?: boolean;
}

/** A SequenceDataset plus what happened on the way, for the CLI to print (library code never logs). */
export interface BuiltDataset extends SequenceDataset {
  /** interactions kept in the sequences */
  interactions: number;
  warnings: string[];
}

/**
 * Group interactions into per-user chronological sequences of internal ids.
 *
 * Order: by `ts` when the rows carry one, ties kept in file order (a stable sort); file order
 * otherwise. Ids: 1..N in catalog order when a catalog is given (so catalog items nobody touched
 * still get an id: they are the cold-start items), else in order of first appearance.
 * Users keep their order of first appearance.
 */
export function buildSequences(interactions: readonly Interaction[], catalog?: readonly CatalogItem[], opts: BuildSequencesOptions = {}): BuiltDataset {
  const warnings: string[] = [];
  let rows: readonly Interaction[] = interactions;
  if (catalog) {
    const known = new Set(catalog.map((c) => c.id));
    if (opts.checkKnown !== false) {
      checkKnownItems(rows, known, { against: 'catalog', file: opts.file });
      checkCoverage(rows, known, undefined, { against: 'catalog', file: opts.file });
    }
    const kept = rows.filter((r) => known.has(r.item));
    if (kept.length < rows.length) {
      const example = rows.find((r) => !known.has(r.item))!;
      warnings.push(`dropped ${rows.length - kept.length} of ${rows.length} interactions naming items not in the catalog (e.g. item ${JSON.stringify(example.item)} of user ${JSON.stringify(example.user)})`);
    }
    rows = kept;
  }

  const userIndex = new Map<string, number>();
  const perUser: number[][] = [];
  for (let i = 0; i < rows.length; i++) {
    let u = userIndex.get(rows[i].user);
    if (u === undefined) {
      u = perUser.length;
      userIndex.set(rows[i].user, u);
      perUser.push([]);
    }
    perUser[u].push(i);
  }
  const timed = rows.some((r) => r.ts !== undefined);
  if (timed) {
    // Array.prototype.sort is stable (ES2019), so equal timestamps keep file order
    for (const idx of perUser) idx.sort((a, b) => (rows[a].ts ?? -Infinity) - (rows[b].ts ?? -Infinity));
  }

  let alive = perUser.map(() => true);
  if (opts.kcore !== undefined && opts.kcore > 1) {
    const before = rows.length;
    alive = kcore(rows, perUser, opts.kcore);
    const left = perUser.reduce((s, idx, u) => s + (alive[u] ? idx.length : 0), 0);
    warnings.push(`${opts.kcore}-core kept ${left} of ${before} interactions`);
  }

  const itemIds: string[] = [];
  const lookup = new Map<string, number>();
  const add = (id: string): number => {
    let v = lookup.get(id);
    if (v === undefined) {
      itemIds.push(id);
      v = itemIds.length;
      lookup.set(id, v);
    }
    return v;
  };
  if (catalog) for (const c of catalog) add(c.id);

  const users: string[] = [];
  const sequences: Int32Array[] = [];
  let total = 0;
  const userNames = [...userIndex.keys()];
  for (let u = 0; u < perUser.length; u++) {
    if (!alive[u]) continue;
    const idx = perUser[u];
    const seq = new Int32Array(idx.length);
    for (let j = 0; j < idx.length; j++) seq[j] = add(rows[idx[j]].item);
    users.push(userNames[u]);
    sequences.push(seq);
    total += seq.length;
  }
  if (sequences.length === 0) {
    throw new MolarError('BAD_INPUT', 'no user sequences left' + (opts.kcore ? ` after the ${opts.kcore}-core filter` : '') + ': expected at least one user with interactions');
  }
  return { name: opts.name ?? 'dataset', users, sequences, numItems: itemIds.length, items: { itemIds, lookup }, interactions: total, warnings };
}

/** The interactions a k-core keeps (none removed when k ≤ 1), as rows again. */
export function kcoreInteractions(rows: readonly Interaction[], k: number | undefined): readonly Interaction[] {
  if (!k || k <= 1) return rows;
  const d = buildSequences(rows, undefined, { kcore: k });
  return d.sequences.flatMap((seq, u) => Array.from(seq, (i) => ({ user: d.users[u], item: d.items.itemIds[i - 1] })));
}

/** Marks users alive and compacts their row lists in place; removed items vanish from all lists. */
function kcore(rows: readonly Interaction[], perUser: number[][], k: number): boolean[] {
  const alive = perUser.map(() => true);
  for (;;) {
    const itemCount = new Map<string, number>();
    for (let u = 0; u < perUser.length; u++) {
      if (!alive[u]) continue;
      for (const i of perUser[u]) itemCount.set(rows[i].item, (itemCount.get(rows[i].item) ?? 0) + 1);
    }
    let changed = false;
    for (let u = 0; u < perUser.length; u++) {
      if (!alive[u]) continue;
      const kept = perUser[u].filter((i) => itemCount.get(rows[i].item)! >= k);
      if (kept.length !== perUser[u].length) changed = true;
      perUser[u] = kept;
      if (kept.length < k) {
        alive[u] = false;
        changed = true;
      }
    }
    if (!changed) return alive;
  }
}
