/**
 * `npm run bench:history-browser`: record() latency against the size of the stored history in
 * headless Chromium's own IndexedDB (issue 21 §7; `bench:history` runs the same on fake-indexeddb in
 * Node). For each size a fresh context seeds the namespace past record(), then times `--records`
 * record() calls (`--gap-ms` apart; 0 is back to back, each one queued behind a trim batch) and the
 * background trim's tail to maxEvents. HistoryStore.record() is what Recommender.record() awaits
 * (it adds a Map lookup).
 */
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import { Command } from 'commander';
import { chromium } from 'playwright-core';
import { createServer } from 'vite';
import pwConfig from '../playwright.config.js';
import { pageModule } from '../e2e/helpers.js';
import { recordBench, type BenchRow } from './record.js';

type PageMod = typeof import('./pages/history-browser.js');

const o = new Command()
  .option('--sizes <list>', 'stored events before the first record()', '500,10000,100000')
  .option('--records <n>', 'timed record() calls per size', '200')
  .option('--gap-ms <n>', 'pause between record() calls', '0')
  .option('--max-events <n>', 'history.maxEvents', '500')
  .option('--trim-cap <s>', 'stop waiting for the background trim after this many seconds', '300')
  .option('--name <name>', 'results file name', 'history-record-browser')
  .option('--label <text>', 'appended to the model column (which code was measured)', '')
  .option('--no-save', 'print only, do not write bench/results/<name>.json')
  .parse()
  .opts<{ sizes: string; records: string; gapMs: string; maxEvents: string; trimCap: string; name: string; label: string; save: boolean }>();

const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const date = new Date().toISOString().slice(0, 10);
const machine = `node ${os.cpus().length}-core ${Math.round(os.totalmem() / 2 ** 30)}GiB`;

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

const port = await freePort();
const origin = `http://127.0.0.1:${port}`;
const server = await createServer({ configFile: 'vite.config.ts', server: { port, strictPort: true }, cacheDir: '.cache/vite-bench', logLevel: 'warn' });
await server.listen();
const browser = await chromium.launch({ ...pwConfig.use?.launchOptions, headless: true });
const browserName = `chromium ${browser.version()} headless`;
const rows: BenchRow[] = [];
try {
  for (const size of o.sizes.split(',').map(Number)) {
    const context = await browser.newContext(); // a fresh profile: its own IndexedDB
    const page = await context.newPage();
    page.setDefaultTimeout(0);
    await page.goto(`${origin}/bench/pages/index.html`);
    const call = pageModule<PageMod>(page, '/bench/pages/history-browser.ts');
    const dbName = `bench-history-${size}`;
    const seedS = await call('seed', dbName, size);
    const load = os.loadavg()[0];
    const r = await call('time', dbName, size, Number(o.records), Number(o.maxEvents), Number(o.gapMs), Number(o.trimCap));
    await context.close();
    const metrics = {
      storedBefore: size, records: r.ms.length, gapMs: Number(o.gapMs),
      p50Ms: +quantile(r.ms, 0.5).toFixed(2), p95Ms: +quantile(r.ms, 0.95).toFixed(2), maxMs: +Math.max(...r.ms).toFixed(2),
      trimTailS: +r.trimTailS.toFixed(2), trimDone: String(r.trimDone), listedAfter: r.listed, seedS: +seedS.toFixed(1), loadAverage1m: +load.toFixed(1),
    };
    console.log(JSON.stringify(metrics));
    rows.push({ benchmark: 'history-record-browser', dataset: `${size} stored events`, model: `HistoryStore (${browserName}, IndexedDB)${o.label ? ` ${o.label}` : ''}`, metrics, command: `npm run bench:history-browser -- --sizes ${size} --records ${o.records} --gap-ms ${o.gapMs} --trim-cap ${o.trimCap}${o.name !== 'history-record-browser' ? ` --name ${o.name}` : ''}${o.label ? ` --label "${o.label}"` : ''}`, date, machine });
  }
} finally {
  await browser.close();
  await server.close();
}
if (o.save) {
  await recordBench(o.name, rows, (r) => `record() p50 ${r.metrics.p50Ms} ms, p95 ${r.metrics.p95Ms} ms, max ${r.metrics.maxMs} ms (${r.metrics.records} calls, ${r.metrics.gapMs} ms apart); trim tail ${r.metrics.trimTailS} s${r.metrics.trimDone === 'true' ? '' : ' (not done)'}; load average ${r.metrics.loadAverage1m}`);
}
