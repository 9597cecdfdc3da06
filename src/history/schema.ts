/**
 * The history database: its record types, its typed idb schema and its migrations.
 * One database (`cfg.history.dbName`) holds every namespace; each row carries its namespace `ns`,
 * so a new site or bundle needs no schema change (creating a store per namespace would need a
 * version bump, i.e. a blocking upgrade, every time a shopper meets a new shop).
 */
import type { DBSchema, IDBPDatabase, IDBPTransaction, StoreNames } from 'idb';
import type { CatalogItem } from '../data/types.js';

export const EVENT_TYPES = ['view', 'click', 'add_to_cart', 'purchase'] as const;
export type EventType = (typeof EVENT_TYPES)[number];

/** One shopper action. `ts` is unix milliseconds. */
export interface HistoryEvent {
  itemId: string;
  type: EventType;
  ts: number;
}

/** What callers pass to record(); `ts` defaults to now. */
export interface HistoryEventInput {
  itemId: string;
  type: EventType;
  ts?: number;
}

/** A cold-start item as the Recommender persists it; `image` may be a Blob the shop handed us. */
export type AddedItemRecord = Omit<CatalogItem, 'image'> & { image?: string | Blob };

export interface AddedItem {
  id: string;
  record: AddedItemRecord;
  /** the item's content vector, so a reload need not re-run the encoders */
  vector?: Float32Array;
  /** unix ms of the last addItem() for this id */
  addedAt: number;
}

/**
 * MLLM-MSR's stage-2 state for one shopper, kept beside the history so it is updated per completed
 * block instead of recomputed from the history's start (summary/memory.ts writes and reads it).
 */
export interface SummaryRecord {
  /** who wrote it: `msr` for the default provider's learned state */
  provider: string;
  /** what it was computed with (the bundle's msr weights and item vectors, by sha256): any other source's state is recomputed */
  source: string;
  /** complete blocks read */
  blocks: number;
  /** the item ids of those blocks, oldest first: a history that no longer starts with them (trimmed, cleared, reordered) is read again */
  items: string[];
  /** the provider's state (the default provider: one GRU state per window start, models/msr/model.ts stepSummary; the generative one: none) */
  states: Float32Array;
  /** the summary as text, for a provider whose state is text (the generative one: the LM's latest summary) */
  text?: string;
  /** unix ms of the last update */
  updatedAt: number;
}

/**
 * MLLM-MSR stage 1's text of an item added with addItems(), as the generative captioner wrote it
 * (summary/item-texts.ts), kept so a reload does not caption the same image again. Derived from the
 * shop's item, not from the shopper: cleared with the namespace, not exported.
 */
export interface ItemTextRecord {
  /** the added item's id */
  id: string;
  /** what it was computed from: the captioner (model, dtype, tokens) and the image (its URL, or a Blob's sha256); any other source's text is recomputed */
  source: string;
  text: string;
  /** unix ms of the last update */
  updatedAt: number;
}

export interface StoredEvent extends HistoryEvent {
  ns: string;
  /** auto-increment key, injected by IndexedDB; breaks ts ties in insertion order */
  seq?: number;
}

export interface StoredItem extends AddedItem {
  ns: string;
}

export interface StoredSummary extends SummaryRecord {
  ns: string;
}

export interface StoredItemText extends ItemTextRecord {
  ns: string;
}

/**
 * Schema history:
 * - v1: `events` (auto-increment key `seq`) with index `by-ns`. Lists came back in insertion order,
 *   and trimming the oldest needed a full read of the namespace.
 * - v2: index `by-ns-ts` on [ns, ts], so list() and the maxEvents trim walk one namespace in
 *   chronological order inside IndexedDB (ties by `seq`); store `addedItems` keyed [ns, id] for
 *   cold-start items the Recommender persists beside the history.
 * - v3: store `summaries` keyed [ns, provider] (index `by-ns`): the preference summary's state
 *   (SummaryRecord), exported and cleared with the namespace's events.
 * - v4: store `itemTexts` keyed [ns, id] (index `by-ns`): added items' generative captions
 *   (ItemTextRecord), cleared with the namespace.
 */
export const DB_VERSION = 4;

export interface HistoryDB extends DBSchema {
  events: {
    key: number;
    value: StoredEvent;
    indexes: { 'by-ns': string; 'by-ns-ts': [string, number] };
  };
  addedItems: {
    key: [string, string];
    value: StoredItem;
    indexes: { 'by-ns': string };
  };
  summaries: {
    key: [string, string];
    value: StoredSummary;
    indexes: { 'by-ns': string };
  };
  itemTexts: {
    key: [string, string];
    value: StoredItemText;
    indexes: { 'by-ns': string };
  };
}

/** Runs inside idb's `upgrade`; each step takes the DB from one version to the next, so any old version catches up. */
export function migrate(
  db: IDBPDatabase<HistoryDB>,
  oldVersion: number,
  tx: IDBPTransaction<HistoryDB, StoreNames<HistoryDB>[], 'versionchange'>,
): void {
  if (oldVersion < 1) {
    const events = db.createObjectStore('events', { keyPath: 'seq', autoIncrement: true });
    events.createIndex('by-ns', 'ns');
  }
  if (oldVersion < 2) {
    // the v1 rows stay where they are; building the index over them is IndexedDB's job
    tx.objectStore('events').createIndex('by-ns-ts', ['ns', 'ts']);
    const items = db.createObjectStore('addedItems', { keyPath: ['ns', 'id'] });
    items.createIndex('by-ns', 'ns');
  }
  if (oldVersion < 3) {
    // a new store only: the events and added items stay as they are
    db.createObjectStore('summaries', { keyPath: ['ns', 'provider'] }).createIndex('by-ns', 'ns');
  }
  if (oldVersion < 4) {
    // a new store only, as v3's was
    db.createObjectStore('itemTexts', { keyPath: ['ns', 'id'] }).createIndex('by-ns', 'ns');
  }
}

/** [ns, -inf] .. [ns, +inf]: every event of one namespace on the `by-ns-ts` index. */
export function namespaceRange(ns: string): IDBKeyRange {
  return IDBKeyRange.bound([ns, -Infinity], [ns, Infinity]);
}
