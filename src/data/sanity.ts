import { MolarError } from '../errors.js';
import type { Interaction } from './types.js';

/**
 * The least share of a log's interactions that must name known items, documented in the README.
 * Below it the files do not belong together, and going on would build or score garbage.
 * - `catalog`: a shop's log may name items since delisted, but most of it must be in the catalog.
 * - `bundle` (molar train / eval): the log a bundle was built from matches it in full (its k-core
 *   taken into account), so 90% leaves room for a newer log and little for a wrong one.
 */
export const MIN_KNOWN_SHARE = Object.freeze({ catalog: 0.5, bundle: 0.9 });

/**
 * The least share of the items a bundle's models were fitted on (nonzero popularity) that a log
 * for `molar train` / `eval` must name. The log the bundle was built from names all of them; a
 * column of ratings read as items names 5 (and every one of them is a valid id, so the share above
 * cannot see it). A quarter leaves room for a shorter, newer log of the same shop.
 */
export const MIN_FITTED_COVERAGE = 0.25;

const NUMERIC = /^-?\d+(\.\d+)?$/;
const numericShare = (ids: readonly string[]): number => ids.filter((s) => NUMERIC.test(s)).length / Math.max(1, ids.length);

export interface KnownItemsCheck {
  /** what the known ids come from, for the message */
  against: keyof typeof MIN_KNOWN_SHARE;
  /** the log's file, for the message */
  file?: string;
}

/**
 * Stops with BAD_INPUT when fewer than MIN_KNOWN_SHARE[against] of `rows` name one of `known`,
 * naming the likely mistake: numbers on one side and names on the other (the wrong id column),
 * ratings or timestamps read as items (the wrong item column), or a log from another data set.
 */
export function checkKnownItems(rows: readonly Interaction[], known: ReadonlySet<string>, o: KnownItemsCheck): void {
  if (rows.length === 0) return;
  const hits = rows.reduce((n, r) => n + (known.has(r.item) ? 1 : 0), 0);
  const share = hits / rows.length;
  const min = MIN_KNOWN_SHARE[o.against];
  if (share >= min) return;
  const logIds = [...new Set(rows.slice(0, 10_000).map((r) => r.item))];
  const knownIds = [...known].slice(0, 10_000);
  const unknown = logIds.find((id) => !known.has(id)) ?? logIds[0];
  const pct = (x: number) => `${Math.floor(x * 1000) / 10}%`;
  const where = o.against === 'catalog' ? 'the catalog' : "the bundle's item table";
  throw new MolarError(
    'BAD_INPUT',
    `only ${pct(share)} of ${rows.length} interactions (${hits}) name an item in ${where}; expected at least ${pct(min)}. ` +
      `${likelyMistake(logIds, knownIds, o.against)} (e.g. log item ${JSON.stringify(unknown)}; ${where} has ids like ${knownIds.slice(0, 3).map((s) => JSON.stringify(s)).join(', ')})`,
    { file: o.file, field: 'item' },
  );
}

/**
 * Stops with BAD_INPUT when the log names fewer than MIN_FITTED_COVERAGE of `fitted`, the items
 * the bundle's models were fitted on, or (with no fitted list, against a catalog) when its items
 * are a handful of small numbers while the catalog is large: a rating column read as items.
 */
export function checkCoverage(rows: readonly Interaction[], known: ReadonlySet<string>, fitted: readonly string[] | undefined, o: KnownItemsCheck): void {
  const logIds = new Set(rows.map((r) => r.item));
  const ids = [...logIds];
  const ratingLike = ids.length <= 10 && ids.every((s) => /^\d$|^10$/.test(s)) && known.size >= 100;
  const named = fitted ? fitted.filter((id) => logIds.has(id)).length : 0;
  if (fitted ? named >= MIN_FITTED_COVERAGE * fitted.length : !ratingLike) return;
  const what = fitted ? `${named} of the ${fitted.length} items the bundle's models were fitted on; expected at least ${MIN_FITTED_COVERAGE * 100}%` : `only ${ids.length} distinct items (${ids.slice(0, 10).join(', ')}) of a catalog of ${known.size}`;
  throw new MolarError('BAD_INPUT', `the log names ${what}. ${likelyMistake(ids, [...known].slice(0, 10_000), o.against)}`, { file: o.file, field: 'item' });
}

function likelyMistake(logIds: string[], knownIds: string[], against: KnownItemsCheck['against']): string {
  const log = numericShare(logIds);
  const known = numericShare(knownIds);
  if (log >= 0.9 && known <= 0.1) return `The log's items are numbers but ${against === 'catalog' ? "the catalog's ids are names: is --catalog-id-col the id column?" : "the bundle's ids are names: was it built from another catalog?"}`;
  if (log <= 0.1 && known >= 0.9) return `The log's items are names but ${against === 'catalog' ? "the catalog's ids are numbers: is --item-col the item column, or --catalog-id-col the id column?" : "the bundle's ids are numbers: is --item-col the item column?"}`;
  // ratings (1–5, 0.5 steps) or unix times in the item column: few distinct small values, or huge ones
  const nums = logIds.filter((s) => NUMERIC.test(s)).map(Number);
  if (nums.length === logIds.length && (logIds.length <= 10 || nums.every((n) => n > 100_000_000) || logIds.every((s) => /^\d$|^10$/.test(s)))) {
    return 'The log\'s item column holds what looks like ratings or timestamps: name the item column with --item-col (or, for a headerless file, --no-header --columns)';
  }
  return against === 'catalog'
    ? 'The log and the catalog do not describe the same items: check --item-col and --catalog-id-col'
    : 'This log is not the one the bundle was built from: evaluate or train with that log (and the same --item-col)';
}
