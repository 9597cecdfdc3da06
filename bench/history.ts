/**
 * `npm run bench:history`: record() latency against the size of the stored history (issue 21 §7).
 * For each size it seeds the namespace, then times `--records` record() calls (p50 / p95 / max)
 * and how long the background trim takes to reach maxEvents. Runs in Node on fake-indexeddb, so
 * the figures show how the cost scales with history size, not a browser's absolute latencies.
 */
import 'fake-indexeddb/auto';
import { Command } from 'commander';
import { openDB } from 'idb';
import { HistoryStore } from '../src/history/index.js';
import type { HistoryDB } from '../src/history/schema.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';

const o = new Command()
  .option('--sizes <list>', 'stored events before the first record()', '500,10000,100000')
  .option('--records <n>', 'timed record() calls per size', '200')
  .option('--max-events <n>', 'history.maxEvents', '500')
  .option('--no-save', 'print only, do not write bench/results/history-record.json')
  .parse()
  .opts<{ sizes: string; records: string; maxEvents: string; save: boolean }>();

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const rows: BenchRow[] = [];
for (const size of o.sizes.split(',').map(Number)) {
  const cfg = { dbName: `bench-history-${size}`, maxEvents: Number(o.maxEvents) };
  (await HistoryStore.open('shop', cfg)).close(); // creates the schema
  const raw = await openDB<HistoryDB>(cfg.dbName);
  const tx = raw.transaction('events', 'readwrite');
  await Promise.all([...Array.from({ length: size }, (_, i) => tx.store.add({ ns: 'shop', itemId: `old${i}`, type: 'view', ts: i })), tx.done]);
  raw.close();

  const h = await HistoryStore.open('shop', cfg);
  const ms: number[] = [];
  for (let i = 0; i < Number(o.records); i++) {
    const t0 = performance.now();
    await h.record({ itemId: `new${i}`, type: 'view', ts: size + i });
    ms.push(performance.now() - t0);
  }
  const t0 = performance.now();
  await h.settled();
  const trimS = (performance.now() - t0) / 1000;
  h.close();
  const metrics = { storedBefore: size, records: ms.length, p50Ms: +quantile(ms, 0.5).toFixed(2), p95Ms: +quantile(ms, 0.95).toFixed(2), maxMs: +Math.max(...ms).toFixed(2), trimTailS: +trimS.toFixed(2) };
  console.log(JSON.stringify(metrics));
  rows.push({ benchmark: 'history-record', dataset: `${size} stored events`, model: 'HistoryStore (fake-indexeddb)', metrics, command: `npm run bench:history -- --sizes ${size} --records ${o.records}`, date: BENCH_DATE, machine: BENCH_MACHINE });
}
if (o.save) await recordBench('history-record', rows, (r) => `record() p50 ${r.metrics.p50Ms} ms, p95 ${r.metrics.p95Ms} ms; trim tail ${r.metrics.trimTailS} s`);
