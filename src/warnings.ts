/**
 * Warnings: things a shop may want to show or log, that are no reason to stop (an image that did
 * not decode, history falling back to memory). Library code never writes to the console itself; it
 * hands a MolarWarning to the `onWarning` it was given. The front doors (Recommender.load, the CLI)
 * decide where warnings go; `consoleWarning` is the one default that logs.
 */
export const WARNING_CODES = [
  'IMAGE_UNREADABLE', // an item's image could not be fetched or decoded; its image vector is zero
  'HISTORY_NOT_PERSISTENT', // IndexedDB failed; history now lives in memory for this page only
  'HISTORY_TRIMMED', // the storage quota was full: the oldest events were dropped to make room (history/README.md)
  'ADDED_ITEM_DROPPED', // an item persisted by an earlier addItems() could not be restored
  'UNSAFE_URL', // an item's image or link is not a URL the page may use (e.g. javascript:); dropped
  'UNKNOWN_ITEM', // record() of an id the bundle does not know: kept in history, not scored until addItems() or a rebuild
  'BACKEND_FILE_MISSING', // a backend's file (tfjs-backend-wasm's .wasm) was not at its configured URL; `auto` used the next backend
  'RERANKER_SKIPPED', // the bundle's re-ranker was trained over another model than the one served; recommending without it
  'GENERATOR_UNAVAILABLE', // the generative providers' LM did not load (or failed its first summary); the default providers go on serving
] as const;
export type WarningCode = (typeof WARNING_CODES)[number];

export interface MolarWarning {
  code: WarningCode;
  message: string;
  /** the catalog or added item it is about, where there is one */
  itemId?: string;
  cause?: unknown;
}

export type WarningHandler = (warning: MolarWarning) => void;

/** The default handler of the front doors: one console line per warning. */
export const consoleWarning: WarningHandler = (w) => console.warn(`molar-web: ${w.message}`);
