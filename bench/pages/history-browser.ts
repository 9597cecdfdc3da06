/**
 * Page side of bench/history-browser.ts: the shopper's history in the browser's own IndexedDB
 * (not fake-indexeddb), seeded to a size, then record() timed. The Node side owns recording.
 */
import { openDB } from 'idb';
import { HistoryStore } from '../../src/history/index.js';
import type { HistoryDB } from '../../src/history/schema.js';

const NS = 'bench-shop';
/** rows per seeding transaction: one transaction of 100k rows holds them all in memory at once */
const SEED_CHUNK = 10_000;

/** A fresh database holding `n` events of one namespace, written past record() (as an old history would be). */
export async function seed(dbName: string, n: number): Promise<number> {
  const t0 = performance.now();
  (await HistoryStore.open(NS, { dbName, maxEvents: 500 }, { strict: true })).close(); // creates the schema
  const raw = await openDB<HistoryDB>(dbName);
  for (let start = 0; start < n; start += SEED_CHUNK) {
    const tx = raw.transaction('events', 'readwrite');
    const end = Math.min(n, start + SEED_CHUNK);
    const adds: Promise<unknown>[] = [];
    for (let i = start; i < end; i++) adds.push(tx.store.add({ ns: NS, itemId: `old${i}`, type: 'view', ts: i }));
    await Promise.all([...adds, tx.done]);
  }
  raw.close();
  return (performance.now() - t0) / 1000;
}

/**
 * `records` record() calls `gapMs` apart (0: back to back, the worst case), each timed; then how long
 * the background trim takes to bring the namespace to maxEvents (capped at `trimCapS`).
 */
export async function time(dbName: string, n: number, records: number, maxEvents: number, gapMs: number, trimCapS: number) {
  const h = await HistoryStore.open(NS, { dbName, maxEvents }, { strict: true });
  const ms: number[] = [];
  for (let i = 0; i < records; i++) {
    const t0 = performance.now();
    await h.record({ itemId: `new${i}`, type: 'view', ts: n + i });
    ms.push(performance.now() - t0);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  const t0 = performance.now();
  const settled = await Promise.race([h.settled().then(() => true), new Promise<false>((r) => setTimeout(r, trimCapS * 1000, false))]);
  const trimTailS = (performance.now() - t0) / 1000;
  const listed = (await h.list()).length;
  h.close();
  return { ms, trimTailS, trimDone: settled, listed };
}
