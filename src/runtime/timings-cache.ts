/**
 * `auto`'s measurements, kept in IndexedDB so the micro-benchmark runs once per device: keyed by the
 * browser version (navigator.userAgent: a browser or driver update can change which backend is
 * fastest) and the shape class (measure.ts). A different key is a miss, so a change re-measures.
 * No IndexedDB (Node, a private window that refuses it): every load measures; nothing fails.
 */
import { openDB, type DBSchema, type IDBPDatabase } from 'idb';
import type { Candidate } from './choice.js';

/** One measurement as stored. */
export interface TimingRecord {
  key: string;
  userAgent: string;
  shapeClass: string;
  /** the op measured (measure.ts opLabel) */
  op: string;
  candidates: Candidate[];
  measuredAt: string;
}

interface TimingsDB extends DBSchema {
  timings: { key: string; value: TimingRecord };
}

export const TIMINGS_DB = 'molar-backend-timings';
const VERSION = 1;

export const timingKey = (userAgent: string, shapeClass: string): string => `${userAgent}|${shapeClass}`;

export interface TimingsCache {
  get(userAgent: string, shapeClass: string): Promise<TimingRecord | undefined>;
  put(rec: Omit<TimingRecord, 'key'>): Promise<void>;
}

let db: Promise<IDBPDatabase<TimingsDB> | null> | undefined;

function open(): Promise<IDBPDatabase<TimingsDB> | null> {
  if (typeof indexedDB === 'undefined') return Promise.resolve(null);
  db ??= openDB<TimingsDB>(TIMINGS_DB, VERSION, {
    upgrade: (d) => void d.createObjectStore('timings', { keyPath: 'key' }),
    // another tab upgrading: let it, and open again next time
    blocking: () => {
      void db?.then((d) => d?.close());
      db = undefined;
    },
    terminated: () => (db = undefined),
  }).catch(() => null);
  return db;
}

/** The IndexedDB cache. A read or write that fails is a miss or a no-op: measuring again is the fallback. */
export const idbTimings: TimingsCache = {
  async get(userAgent, shapeClass) {
    try {
      return (await (await open())?.get('timings', timingKey(userAgent, shapeClass))) ?? undefined;
    } catch {
      return undefined;
    }
  },
  async put(rec) {
    try {
      await (await open())?.put('timings', { ...rec, key: timingKey(rec.userAgent, rec.shapeClass) });
    } catch {
      // not persisted: the next load measures again
    }
  },
};
