/**
 * `npm run bench:serve [-- --sizes 3.4k,10k,100k,1m --backends wasm,cpu,webgl,webgpu --histories 1,20,200]`
 *
 * Serving speed from outside (issue 23 §1): headless Chromium (the e2e launch options) against this
 * repo's Vite server, the public API only: `Recommender.load` → `record` → `recommend({k: 10})`.
 * Per catalog size and backend: load time and bundle bytes fetched, tf.memory() and JS heap after
 * load; per history length a first call and `--calls` warm calls (p50 / p95); the in-page floor
 * (one [1, D] × [D, N+1] product + top-10 on the same backend, bench/pages/serve.ts) and the ratio;
 * then `--soak` calls back to back and the memory after them (growth = leak).
 *
 * Catalogs: "3.4k" is the ML-1M bundle given with `--ml1m-bundle <dir under bundles/>` when there is
 * one, else synthetic with ML-1M's 3,416 items. Synthetic bundles (bench/serve-bundles.ts) come in
 * two families: `--family sasrec` (SASRec alone, the default) and `--family molar` (what the demo
 * bundle serves: Molar's content model mixed with SASRec, co-occurrence, and their blend, over
 * synthetic item vectors of `--features` widths). `--model` lists the kinds served from each
 * bundle, one page each (e.g. `--family molar --model molar,blend`); with the molar family, the
 * kind `content` serves the content model alone (the `content` family's bundle: its molar entry
 * with mix weight 1, no SASRec side).
 *
 * WebGPU and WebGL run on SwiftShader here (software): they get `--slow-sizes` and `--slow-calls`.
 * → bench/results/serve.json (or `--name`), rows `benchmark: "serve"`, one per size × backend × kind ×
 * history; `model` says "<served kind> on <backend>".
 */
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { type BrowserContext, type CDPSession } from 'playwright-core';
import { pageModule } from '../e2e/helpers.js';
import type { BackendName } from '../src/config.js';
import { tableKind } from '../src/score/item-table.js';
import { loadModulePage, startBenchBrowser } from './browser-harness.js';
import { recordBench, type BenchRow } from './record.js';
import { BUNDLE_FAMILIES, syntheticBundle, type BundleFamily, type FeatureDims } from './serve-bundles.js';

type PageMod = typeof import('./pages/serve.js');

const SIZES: Record<string, number> = { '3.4k': 3416, '10k': 10_000, '100k': 100_000, '1m': 1_000_000 };
/** synthetic item-vector widths by size: the demo's (USE-lite 512 + MobileNetV2 1280) up to 10k; above, 64 + 64 keeps the one-off fusion at load affordable on cpu (serving reads the frozen [64, N+1] table, whatever the widths) */
const FEATURES: Record<string, FeatureDims> = { '3.4k': { text: 512, image: 1280 }, '10k': { text: 512, image: 1280 }, '100k': { text: 64, image: 64 }, '1m': { text: 64, image: 64 } };

const o = new Command()
  .option('--sizes <list>', `catalog sizes (${Object.keys(SIZES).join(', ')})`, '3.4k,10k,100k,1m')
  .option('--backends <list>', 'tfjs backends, in order', 'wasm,cpu,webgl,webgpu')
  .option('--histories <list>', 'history lengths (events)', '1,20,200')
  .option('--calls <n>', 'warm recommend() calls per history', Number, 99)
  .option('--slow-calls <n>', 'warm calls on webgl / webgpu (SwiftShader here)', Number, 9)
  .option('--slow-sizes <list>', 'sizes webgl / webgpu run', '3.4k,10k')
  .option('--floor-calls <n>', 'timed floor calls', Number, 30)
  .option('--soak <n>', 'recommend() calls for the memory check (20-event history)', Number, 1000)
  .option('--soak-seconds <s>', 'stop the memory check after this long (the row says how many ran)', Number, 60)
  .option('--ml1m-bundle <dir>', 'a trained ML-1M bundle under bundles/ to serve as "3.4k"')
  .option('--family <name>', `synthetic bundles (${BUNDLE_FAMILIES.join(', ')}; bench/serve-bundles.ts)`, 'sasrec')
  .option('--features <text+image>', 'synthetic item-vector widths for every size of the molar family (default: 512+1280 up to 10k, 64+64 above)')
  .option('--model <kinds>', 'model kinds to serve from each bundle, one page each (an ML-1M bundle may serve a blend by default)', 'sasrec')
  .option('--config <json>', 'Recommender config passed to load (e.g. {"score":{"itemTable":"int8"}})', '{}')
  .option('--dry-run', 'print the rows, record nothing (smoke runs)')
  .option('--name <name>', 'results file name', 'serve')
  .parse()
  .opts<{ sizes: string; backends: string; histories: string; calls: number; slowCalls: number; slowSizes: string; floorCalls: number; soak: number; soakSeconds: number; ml1mBundle?: string; family: string; features?: string; model: string; config: string; dryRun?: boolean; name: string }>();

const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
const log = (msg: string) => process.stderr.write(`${msg}\n`);
const date = new Date().toISOString().slice(0, 10);
const machine = `node ${os.cpus().length}-core ${Math.round(os.totalmem() / 2 ** 30)}GiB`;
const mib = (b: number) => b / 2 ** 20;
const quantile = (xs: number[], q: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];
const command = ['npm run bench:serve', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');
const config = JSON.parse(o.config) as Record<string, unknown>;

if (!(BUNDLE_FAMILIES as readonly string[]).includes(o.family)) throw new Error(`unknown --family "${o.family}": expected one of ${BUNDLE_FAMILIES.join(', ')}`);
const family = o.family as BundleFamily;
const forced = o.features?.split('+').map(Number);
if (forced && (forced.length !== 2 || !forced.every((x) => Number.isInteger(x) && x >= 0) || forced[0] + forced[1] === 0)) throw new Error(`--features expects <text>+<image> widths, e.g. 512+1280, got ${o.features}`);
const kinds = list(o.model);
if (kinds.includes('content') && family !== 'molar') throw new Error('--model content (the content model alone) needs --family molar');

const bundles = new Map<string, { url: string; dim: number; source: string; features?: string; contentUrl?: string }>();
for (const label of list(o.sizes)) {
  if (!(label in SIZES)) throw new Error(`unknown size "${label}": expected one of ${Object.keys(SIZES).join(', ')}`);
  if (label === '3.4k' && o.ml1mBundle) {
    const rel = path.relative(path.resolve('bundles'), path.resolve(o.ml1mBundle));
    if (rel.startsWith('..')) throw new Error(`--ml1m-bundle must be under bundles/ (the folder the server mounts), got ${o.ml1mBundle}`);
    const m = JSON.parse(await readFile(path.join(o.ml1mBundle, 'manifest.json'), 'utf8')) as { models: { kind: string; config?: { hidden?: number } }[] };
    bundles.set(label, { url: `/bundles/${rel.split(path.sep).join('/')}/`, dim: m.models.find((e) => e.kind === 'sasrec')?.config?.hidden ?? 64, source: 'ml-1m bundle' });
  } else if (family === 'sasrec') bundles.set(label, { url: await syntheticBundle(family, label, SIZES[label], FEATURES[label], log), dim: 64, source: 'synthetic (seeded random SASRec weights)' });
  else {
    const dims = forced ? { text: forced[0], image: forced[1] } : FEATURES[label];
    const contentUrl = family === 'molar' && kinds.includes('content') ? await syntheticBundle('content', label, SIZES[label], dims, log) : undefined;
    bundles.set(label, { url: await syntheticBundle(family, label, SIZES[label], dims, log), contentUrl, dim: 64, source: `synthetic molar family (seeded random weights; item vectors: seeded noise, ${dims.text}+${dims.image} wide)`, features: `${dims.text}+${dims.image}` });
  }
}

const harness = await startBenchBrowser();
const { origin, browser, browserName } = harness;
const MODULE = '/bench/pages/serve.ts';

async function openPage(): Promise<{ context: BrowserContext; call: ReturnType<typeof pageModule<PageMod>>; cdp: CDPSession }> {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error') log(`  [page error] ${m.text()}`);
  });
  await loadModulePage(page, `${origin}/bench/pages/index.html`, MODULE);
  return { context, call: pageModule<PageMod>(page, MODULE), cdp: await context.newCDPSession(page) };
}

/** VmRSS of the page's renderer (each run has a context, and so a renderer, of its own): ArrayBuffers and wasm memory count here, not in the JS heap */
async function rendererRss(): Promise<number | null> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    const info = ((await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number }[] }).processInfo;
    const kb = await Promise.all(info.filter((p) => p.type === 'renderer').map((p) => readFile(`/proc/${p.id}/status`, 'utf8').then((t) => Number(/VmRSS:\s+(\d+) kB/.exec(t)?.[1] ?? 0), () => 0)));
    return kb.length && Math.max(...kb) > 0 ? Math.max(...kb) * 1024 : null;
  } finally {
    await cdp.detach();
  }
}

const heap = async (cdp: CDPSession) => {
  await cdp.send('HeapProfiler.collectGarbage').catch(() => {});
  return (await cdp.send('Runtime.getHeapUsage')).usedSize;
};

const rows: BenchRow[] = [];
try {
  for (const backend of list(o.backends) as BackendName[]) {
    const slow = backend === 'webgl' || backend === 'webgpu';
    for (const [label, b] of bundles) {
      if (slow && !list(o.slowSizes).includes(label)) continue;
      for (const kind of kinds) {
        const { context, call, cdp } = await openPage();
        try {
          // `content`: the content model alone, the molar entry of its own bundle (see the header)
          const [url, served] = kind === 'content' && b.contentUrl ? [b.contentUrl, 'molar'] : [b.url, kind];
          log(`${label} ${kind} on ${backend}: loading ${url}`);
          const loaded = await call('load', url, backend, config, served);
          const heapLoad = await heap(cdp);
          const rssLoad = await rendererRss();
          const floorMs = await call('floor', b.dim, slow ? Math.min(o.floorCalls, o.slowCalls) : o.floorCalls);
          const floor = quantile(floorMs, 0.5);
          const calls = slow ? o.slowCalls : o.calls;
          const perHistory: { events: number; first: number; ms: number[]; historyMs: number; prof: Awaited<ReturnType<PageMod['profile']>> }[] = [];
          for (const n of list(o.histories).map(Number)) {
            const events = await call('setHistory', n);
            const { first, ms } = await call('time', calls);
            const historyMs = quantile(await call('historyRead', Math.min(calls, 20)), 0.5);
            const prof = await call('profile');
            perHistory.push({ events, first, ms, historyMs, prof });
            log(`  ${n} events: first ${first.toFixed(1)} ms, p50 ${quantile(ms, 0.5).toFixed(2)} ms, p95 ${quantile(ms, 0.95).toFixed(2)} ms (floor ${floor.toFixed(2)} ms; history read ${historyMs.toFixed(2)} ms; profiled call: ${prof.kernels} kernels, ${prof.kernelMs.toFixed(2)} of ${prof.wallMs.toFixed(2)} ms in kernels: ${prof.top})`);
          }
          await call('setHistory', 20);
          const soakHeap0 = await heap(cdp);
          const soaked = await call('soak', slow ? Math.min(o.soak, 50) : o.soak, o.soakSeconds * 1000);
          const heapSoak = await heap(cdp);
          const rssSoak = await rendererRss();
          log(`  soak: ${soaked.calls} calls, tensors ${loaded.tensors} → ${soaked.tensors}, heap ${mib(soakHeap0).toFixed(1)} → ${mib(heapSoak).toFixed(1)} MiB`);
          const after = await call('dispose');
          for (const h of perHistory) {
            const p50 = quantile(h.ms, 0.5);
            rows.push({
              benchmark: 'serve',
              dataset: label,
              model: `${kind} on ${loaded.backend}`,
              metrics: {
                history_events: h.events,
                p50_ms: p50,
                p95_ms: quantile(h.ms, 0.95),
                first_ms: h.first,
                floor_ms: floor,
                ratio_to_floor: p50 / floor,
                history_read_ms: h.historyMs,
                profiled_kernels: h.prof.kernels,
                profiled_kernel_ms: h.prof.kernelMs,
                profiled_wall_ms: h.prof.wallMs,
                warm_calls: h.ms.length,
                load_ms: loaded.loadMs,
                bytes_fetched: loaded.bytesFetched,
                tensors_after_load: loaded.tensors,
                tensor_mb_after_load: mib(loaded.tensorBytes),
                ...(loaded.wasmBytes !== null ? { wasm_memory_mb_after_load: mib(loaded.wasmBytes) } : {}),
                js_heap_mb_after_load: mib(heapLoad),
                ...(rssLoad !== null && rssSoak !== null ? { renderer_rss_mb_after_load: mib(rssLoad), renderer_rss_mb_after_soak: mib(rssSoak) } : {}),
                soak_calls: soaked.calls,
                tensors_after_soak: soaked.tensors,
                tensor_mb_after_soak: mib(soaked.tensorBytes),
                js_heap_mb_before_soak: mib(soakHeap0),
                js_heap_mb_after_soak: mib(heapSoak),
                tensors_after_dispose: after.tensors,
              },
              command,
              date,
              machine,
              served: loaded.model,
              top_kernels: h.prof.top,
              items: loaded.numItems,
              item_table: tableKind(((config.score as { itemTable?: 'auto' | 'float32' | 'int8' } | undefined)?.itemTable) ?? 'auto', loaded.numItems + 1, b.dim),
              catalog: b.source,
              ...(b.features ? { features: b.features } : {}),
              config,
              browser: browserName,
              load_avg_1m: os.loadavg()[0],
              notes: 'times are recommend({k: 10}) through the public API (history read from IndexedDB, score, top-k, re-rank); floor = one [1,D]x[D,N+1] matMul + topk(10) + read-back on the same backend, random data; js heap = V8 used size after a forced GC (CDP); tfjs wasm memory = the wasm backend\'s linear memory (tensors live there on wasm); renderer RSS = VmRSS of the page\'s renderer process (ArrayBuffers, the int8 kernel\'s memory and everything else)',
            });
          }
        } catch (e) {
          const msg = (e as Error).message.split('\n')[0].slice(0, 240);
          log(`  failed: ${msg}`);
          rows.push({ benchmark: 'serve', dataset: label, model: `${kind} on ${backend}`, metrics: { status: `failed: ${msg}` }, command, date, machine, browser: browserName });
        } finally {
          await context.close();
        }
      }
    }
  }
} finally {
  await harness.close();
}

const f = (x: unknown, d = 2) => (typeof x === 'number' ? x.toFixed(d) : String(x));
const figures = (r: BenchRow) => {
  const m = r.metrics;
  if (typeof m.status === 'string') return m.status;
  return `${r.items} items, ${m.history_events} events: p50 ${f(m.p50_ms)} ms, p95 ${f(m.p95_ms)} ms, first ${f(m.first_ms, 1)} ms; floor ${f(m.floor_ms)} ms (×${f(m.ratio_to_floor, 1)}); history read alone ${f(m.history_read_ms)} ms; one profiled call ${m.profiled_kernels} kernels, ${f(m.profiled_kernel_ms)} of ${f(m.profiled_wall_ms)} ms in kernels (top: ${r.top_kernels}); load ${f(m.load_ms, 0)} ms, ${f(mib(Number(m.bytes_fetched)), 1)} MiB fetched; tensors ${m.tensors_after_load} → ${m.tensors_after_soak} after ${m.soak_calls} calls (${f(m.tensor_mb_after_load, 1)} → ${f(m.tensor_mb_after_soak, 1)} MiB), JS heap ${f(m.js_heap_mb_after_load, 1)} → ${f(m.js_heap_mb_after_soak, 1)} MiB${m.wasm_memory_mb_after_load !== undefined ? `, tfjs wasm memory ${f(m.wasm_memory_mb_after_load, 0)} MiB` : ''}${m.renderer_rss_mb_after_load !== undefined ? `, renderer RSS ${f(m.renderer_rss_mb_after_load, 0)} → ${f(m.renderer_rss_mb_after_soak, 0)} MiB` : ''}; ${r.item_table} item table; ${r.catalog}`;
};
if (o.dryRun) for (const r of rows) log(`[dry run, not recorded] ${r.dataset} ${r.model}: ${figures(r)}`);
else await recordBench(o.name, rows, figures);
