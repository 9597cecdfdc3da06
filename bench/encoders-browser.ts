/**
 * Item encoders in the browser: headless Chromium (the e2e launch options) against this repo's Vite
 * dev server on a free port, calling the same code as Recommender.addItems() (bench/pages/).
 *
 * `npm run bench:encoders-browser [-- --backends webgpu,webgl,wasm,cpu --items 300 --image-items 128 --slow-items 32 --slow-image-items 16]`
 *   Text (use-lite) and image (mobilenetv2) items/s per tfjs backend on the first N ML-1M items with
 *   posters, JS heap peak (CDP Runtime.getHeapUsage, polled) and model bytes downloaded. Here WebGPU and
 *   WebGL run on SwiftShader (software), so those and cpu get the small "slow" counts.
 *   → bench/results/encoders-browser.json, rows "encoders-browser".
 *
 * `npm run bench:encoders-browser -- --full [--limit N] [--node-bundle DIR]`
 *   The whole ML-1M catalog end to end, one after the other so they do not share the 2 cores:
 *   (1) Node: `molar build --preset ml-1m --no-train --encode use-lite+mobilenetv2` in a scratch folder
 *       (empty vector cache) under /usr/bin/time -v; (2) the same items in Chromium on wasm with the same
 *       fused encoder; then the browser vectors are compared with the Node bundle's item_vectors.bin
 *       (int8) on a spread sample. `--node-bundle` reuses a built bundle and skips (1).
 *   → bench/results/encode-catalog.json, rows "encode-catalog".
 *
 * ML-1M is read from ../shared/data at run time and handed to the page by page.route from this
 * process; nothing from it is copied into the repo or the served folders.
 */
import { spawn } from 'node:child_process';
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { type BrowserContext, type CDPSession, type Page } from 'playwright-core';
import { pageModule } from '../e2e/helpers.js';
import type { BackendName } from '../src/config.js';
import { openBundleDir } from '../src/cli/bundle-node.js';
import { defaultDataRoot } from '../src/data/load-node.js';
import { PRESETS } from '../src/data/presets.js';
import { decodeImageBytes } from '../src/encoders/image-decode-node.js';
import { cosine } from '../src/encoders/matrix.js';
import { loadNodeItemEncoder, useNodeBackend } from '../src/encoders/node.js';
import { sampleItems } from '../src/encoders/sample-node.js';
import type { DecodedImage } from '../src/encoders/types.js';
import { ItemVectorStore } from '../src/items/store.js';
import { loadModulePage, startBenchBrowser } from './browser-harness.js';
import { recordBench, type BenchRow } from './record.js';
import type { BenchItem } from './pages/encoders-browser.js';

type PageMod = typeof import('./pages/encoders-browser.js');

const o = new Command()
  .option('--backends <list>', 'tfjs backends, in order', 'webgpu,webgl,wasm,cpu')
  .option('--models <list>', 'encoders, in order', 'use-lite,mobilenetv2')
  .option('--items <n>', 'text items on wasm', Number, 300)
  .option('--image-items <n>', 'image items on wasm', Number, 128)
  .option('--slow-items <n>', 'text items on webgpu / webgl / cpu', Number, 32)
  .option('--slow-image-items <n>', 'image items on webgpu / webgl / cpu', Number, 16)
  .option('--warmup <n>', 'items encoded before the clock starts (per-backend runs)', Number, 2)
  .option('--full', 'the whole ML-1M catalog end to end, Node then browser (wasm)')
  .option('--limit <n>', '--full: only the first N catalog items (a smoke run)', Number)
  .option('--node-bundle <dir>', '--full: compare with this built bundle instead of building one')
  .option('--sample <n>', '--full: items compared browser vs Node, spread over the catalog', Number, 64)
  .option('--decode-check <n>', '--full: sampled posters also encoded in Node from the browser\'s own pixels', Number, 8)
  .option('--dry-run', 'print the rows, record nothing (smoke runs)')
  // a partial run (one backend, one model) recorded under the default name would replace the full run's JSON
  .option('--name <name>', 'results file name (default encoders-browser, or encode-catalog with --full)')
  .parse()
  .opts<{ backends: string; models: string; items: number; imageItems: number; slowItems: number; slowImageItems: number; warmup: number; full?: boolean; limit?: number; nodeBundle?: string; sample: number; decodeCheck: number; dryRun?: boolean; name?: string }>();

const ENCODER = 'use-lite+mobilenetv2';
const CHUNK = 64; // items per encodeItems() call, as the Node build step chunks them
const DATA_PREFIX = '/__bench-data/';
const PAGE = '/bench/pages/index.html';
const MODULE = '/bench/pages/encoders-browser.ts';
const date = new Date().toISOString().slice(0, 10);
const machine = `node ${os.cpus().length}-core ${Math.round(os.totalmem() / 2 ** 30)}GiB`;
/** sizes in MB (1e6, as bench:encoders reports model sizes), memory in MiB (as its peak_rss_mb) */
const mb = (bytes: number) => bytes / 1e6;
const mib = (bytes: number) => bytes / 2 ** 20;
const log = (msg: string) => process.stderr.write(`${msg}\n`);

const spec = PRESETS['ml-1m'];
const dataRoot = defaultDataRoot();
const dataDir = path.join(dataRoot, spec.dir);
const { source, items: catalog } = await sampleItems({ dataRoot });
if (source !== 'ml-1m') {
  log(`bench:encoders-browser needs ML-1M at ${dataDir} (items.tsv, posters/); not found.`);
  process.exit(1);
}
const toBench = (it: (typeof catalog)[number]): BenchItem => ({
  id: it.id,
  title: it.title,
  attributes: it.attributes,
  image: typeof it.image === 'string' ? DATA_PREFIX + path.relative(dataDir, it.image).split(path.sep).map(encodeURIComponent).join('/') : undefined,
});

/** Polls the page's JS heap over CDP; the page yields between encode batches, so samples land there. */
class HeapPeak {
  private peak = 0;
  private timer: NodeJS.Timeout | null = null;
  private busy = false;
  constructor(private readonly cdp: CDPSession) {}
  start(): void {
    this.peak = 0;
    this.timer = setInterval(() => {
      if (this.busy) return;
      this.busy = true;
      this.cdp.send('Runtime.getHeapUsage').then((u) => (this.peak = Math.max(this.peak, u.usedSize)), () => {}).finally(() => (this.busy = false));
    }, 100);
  }
  async stop(): Promise<number> {
    if (this.timer) clearInterval(this.timer);
    const u = await this.cdp.send('Runtime.getHeapUsage').catch(() => null);
    return Math.max(this.peak, u?.usedSize ?? 0);
  }
}

async function chromiumProcesses(): Promise<{ type: string; id: number; cpuTime: number }[]> {
  const cdp = await browser.newBrowserCDPSession();
  try {
    return ((await cdp.send('SystemInfo.getProcessInfo')) as { processInfo: { type: string; id: number; cpuTime: number }[] }).processInfo;
  } finally {
    await cdp.detach();
  }
}

/**
 * Peak RSS (VmHWM, Linux) of the renderer processes now alive. Each run has its own browser
 * context, closed after it, so its page has a renderer of its own and the peak is that run's.
 */
async function rendererPeakRss(): Promise<number | null> {
  const kb = await Promise.all(
    (await chromiumProcesses()).filter((p) => p.type === 'renderer').map((p) => readFile(`/proc/${p.id}/status`, 'utf8').then((t) => Number(/VmHWM:\s+(\d+) kB/.exec(t)?.[1] ?? 0), () => 0)),
  );
  return kb.length && Math.max(...kb) > 0 ? Math.max(...kb) * 1024 : null;
}

/** CPU seconds all Chromium processes have used so far (a difference of two is one run's). */
async function chromiumCpuS(): Promise<number> {
  return (await chromiumProcesses()).reduce((s, p) => s + p.cpuTime, 0);
}

/**
 * Chromium resets the nice value it was started with (its zygote and GPU process run at 0 or
 * below), so a browser bench would crowd out whatever else the machine runs. Every thread of
 * every Chromium process is put back to this process's own nice value (Linux nice is per thread;
 * threads created later inherit it from their creator).
 */
async function reniceChromium(): Promise<void> {
  const nice = os.getPriority();
  for (const p of await chromiumProcesses()) {
    const tids = await readdir(`/proc/${p.id}/task`).catch(() => [] as string[]);
    for (const tid of tids) {
      try {
        if (os.getPriority(Number(tid)) < nice) os.setPriority(Number(tid), nice);
      } catch {
        // the thread ended meanwhile
      }
    }
  }
}

const harness = await startBenchBrowser();
const { origin, browser, browserName } = harness;

async function serveData(context: BrowserContext): Promise<void> {
  await context.route(`${origin}${DATA_PREFIX}**`, async (route) => {
    const rel = decodeURIComponent(new URL(route.request().url()).pathname.slice(DATA_PREFIX.length));
    const file = path.resolve(dataDir, rel);
    const body = file.startsWith(dataDir + path.sep) ? await readFile(file).catch(() => null) : null;
    await route.fulfill(body ? { status: 200, body, contentType: 'application/octet-stream' } : { status: 404, body: 'not found' });
  });
}

/** A fresh context per run: its own tfjs, IndexedDB and heap. */
async function openPage(): Promise<{ page: Page; context: BrowserContext; call: ReturnType<typeof pageModule<PageMod>>; heap: HeapPeak }> {
  const context = await browser.newContext();
  await serveData(context);
  const page = await context.newPage();
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') log(`  [page ${m.type()}] ${m.text()}`);
    else if (/^encoded \d+\/\d+$/.test(m.text())) log(`  ${m.text()}`);
  });
  await loadModulePage(page, `${origin}${PAGE}`, MODULE);
  const cdp = await context.newCDPSession(page);
  await reniceChromium();
  return { page, context, call: pageModule<PageMod>(page, MODULE), heap: new HeapPeak(cdp) };
}

function classify(warnings: { id: string; reason: string }[]) {
  const none = warnings.filter((w) => w.reason === 'no image');
  return { none: none.length, failed: warnings.length - none.length, reasons: [...new Set(warnings.filter((w) => w.reason !== 'no image').map((w) => `${w.id}: ${w.reason}`))] };
}

const command = ['npm run bench:encoders-browser', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' ');

async function record(name: string, rows: BenchRow[], figures: (r: BenchRow) => string): Promise<void> {
  if (o.dryRun) for (const r of rows) log(`[dry run, not recorded] ${r.benchmark} ${r.model} ${r.backend}: ${figures(r)}`);
  else await recordBench(name, rows, figures);
}

async function perBackend(): Promise<void> {
  const withPosters = catalog.filter((i) => i.image).map(toBench);
  const rows: BenchRow[] = [];
  for (const backend of o.backends.split(',').map((b) => b.trim()) as BackendName[]) {
    const slow = backend !== 'wasm';
    const counts = { text: slow ? o.slowItems : o.items, image: slow ? o.slowImageItems : o.imageItems };
    const models = o.models.split(',').map((m) => m.trim());
    for (const [model, modality] of ([['use-lite', 'text'], ['mobilenetv2', 'image']] as const).filter(([m]) => models.includes(m))) {
      // a fresh context (and renderer) per encoder, so heap and RSS peaks belong to this run alone
      const { context, call, heap } = await openPage();
      try {
        const setup = await call('setup', backend).catch((e: Error) => e);
        if (setup instanceof Error) {
          log(`${backend}: unavailable: ${setup.message}`);
          rows.push({ benchmark: 'encoders-browser', dataset: 'ml-1m', model, backend, metrics: { status: `unavailable: ${setup.message.slice(0, 200)}` }, command, date, machine, browser: browserName });
          continue;
        }
        const n = counts[modality];
        log(`${backend} ${model}: ${n} items (+${o.warmup} warm-up)`);
        const cpu0 = await chromiumCpuS();
        const load0 = os.loadavg()[0];
        const w0 = performance.now();
        heap.start();
        const run = await (async () => {
          const loaded = await call('load', model);
          return { loaded, r: await call('encode', withPosters.slice(0, n), { warmup: o.warmup, chunk: CHUNK, sample: [] }) };
        })().catch((e: Error) => e);
        const peak = await heap.stop();
        if (run instanceof Error) {
          // recorded, not thrown: one backend failing says something about that backend, and the others still run
          const msg = run.message.split('\n')[0].slice(0, 240);
          log(`  failed: ${msg}`);
          rows.push({ benchmark: 'encoders-browser', dataset: `ml-1m (first ${n} items with posters)`, model, backend: setup.backend, metrics: { status: `failed: ${msg}` }, command, date, machine, browser: browserName });
          continue;
        }
        const { loaded, r } = run;
        const runS = (performance.now() - w0) / 1000;
        const cpuS = (await chromiumCpuS()) - cpu0;
        const rss = await rendererPeakRss();
        const { leakedTensors } = await call('dispose');
        const metrics: Record<string, number | string> = {
          [`${modality}_items_per_s`]: r.rows / r.encodeS,
          items: r.rows,
          warmup_s: r.warmupS,
          load_s: loaded.loadS,
          download_mb: mb(loaded.downloadBytes),
          peak_heap_mb: mib(peak),
          ...(rss !== null ? { renderer_peak_rss_mb: mib(rss) } : {}),
          ...(r.wasmHeapBytes !== null ? { wasm_heap_mb: mib(r.wasmHeapBytes) } : {}),
          tensor_peak_mb: mib(r.tensorPeakBytes),
          leaked_tensors: leakedTensors,
          // CPU the browser got over the run's wall time (2 = both cores): the share left by other jobs
          browser_cpu_per_wall_s: cpuS / runS,
          load_avg_1m: (load0 + os.loadavg()[0]) / 2,
        };
        log(`  ${JSON.stringify(metrics)}`);
        rows.push({
          benchmark: 'encoders-browser',
          dataset: `ml-1m (first ${n} items with posters)`,
          model,
          backend: setup.backend,
          metrics,
          command,
          date,
          machine,
          browser: browserName,
          notes: `${browserName}; ${setup.backend === 'webgpu' || setup.backend === 'webgl' ? 'GPU backends run on SwiftShader (software) here, and their buffers live in the GPU process, outside both memory figures; ' : ''}warm-up ${o.warmup} items not timed; ${modality === 'image' ? 'posters fetched to Blobs before timing, so items/s = decode + inference; ' : ''}peak_heap_mb = V8 heap used (CDP Runtime.getHeapUsage, polled 10/s; ArrayBuffers and wasm memory are outside it); renderer_peak_rss_mb = VmHWM of the page's renderer process`,
        });
      } finally {
        await context.close();
      }
    }
  }
  const fmt = (x: unknown, d = 1) => (typeof x === 'number' ? x.toFixed(d) : String(x));
  await record(o.name ?? 'encoders-browser', rows, (r) => {
    const m = r.metrics;
    if (typeof m.status === 'string') return `backend ${r.backend}: ${m.status}`;
    const rate = m.text_items_per_s ?? m.image_items_per_s;
    return `backend ${r.backend}: ${fmt(rate, 2)} ${m.text_items_per_s !== undefined ? 'text' : 'image'} items/s on ${m.items} items (warm-up ${fmt(m.warmup_s)} s not timed); load ${fmt(m.load_s)} s, download ${fmt(m.download_mb, 2)} MB; peak JS heap ${fmt(m.peak_heap_mb)} MiB, renderer peak RSS ${fmt(m.renderer_peak_rss_mb, 0)} MiB${m.wasm_heap_mb !== undefined ? `, wasm memory ${fmt(m.wasm_heap_mb)} MiB` : ''}; leaked tensors ${m.leaked_tensors}; browser CPU ${fmt(m.browser_cpu_per_wall_s, 2)} core-s per s at load average ${fmt(m.load_avg_1m, 1)}; ${browserName}`;
  });
}

interface NodeBuildResult {
  bundleDir: string;
  wallS: number;
  encodeS: number;
  peakRssMb: number;
  /** user + system CPU seconds of the build (from time -v) */
  cpuS: number;
  loadAvg: number;
  warnings: { id: string; reason: string }[];
  command: string;
}

/** Runs the CLI build under /usr/bin/time -v in an empty scratch folder, so no vector is cached. */
async function nodeBuild(): Promise<NodeBuildResult> {
  const scratch = path.resolve('.cache/encode-catalog');
  await rm(scratch, { recursive: true, force: true });
  await mkdir(scratch, { recursive: true });
  const bundleDir = path.join(scratch, 'ml1m');
  const args = ['build', '--preset', 'ml-1m', '--data-root', dataRoot, '--out', bundleDir, '--no-train', '--encode', ENCODER];
  log(`node: molar ${args.join(' ')} (cwd ${scratch})`);
  const child = spawn('/usr/bin/time', ['-v', process.execPath, path.resolve('bin/molar.js'), ...args], { cwd: scratch, stdio: ['ignore', 'pipe', 'pipe'] });
  const t0 = performance.now();
  const load0 = os.loadavg()[0];
  let tEncode = NaN;
  let tWrote = NaN;
  let err = '';
  const warnings: { id: string; reason: string }[] = [];
  child.stdout.setEncoding('utf8').on('data', (s: string) => {
    if (s.includes('wrote ')) tWrote = performance.now();
    process.stderr.write(`  ${s}`);
  });
  child.stderr.setEncoding('utf8').on('data', (s: string) => {
    err += s;
    for (const line of s.split('\n')) {
      if (line.startsWith('item-vectors:')) tEncode = performance.now();
      const w = /^warning: item "(.*)": (.*); image vector left at zero$/.exec(line);
      if (w) warnings.push({ id: w[1], reason: w[2] });
      if (line.startsWith('item-vectors:') || line.startsWith('warning:')) log(`  ${line}`);
    }
  });
  const code = await new Promise<number | null>((r) => child.on('close', r));
  const t1 = performance.now();
  if (code !== 0) throw new Error(`molar build exited with ${code}:\n${err.slice(-3000)}`);
  const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(err);
  const cpuS = ['User', 'System'].reduce((sum, k) => sum + Number(new RegExp(`${k} time \\(seconds\\): ([\\d.]+)`).exec(err)?.[1] ?? NaN), 0);
  return {
    bundleDir,
    wallS: (t1 - t0) / 1000,
    encodeS: ((Number.isNaN(tWrote) ? t1 : tWrote) - tEncode) / 1000,
    peakRssMb: rss ? Number(rss[1]) / 1024 : NaN,
    cpuS,
    loadAvg: (load0 + os.loadavg()[0]) / 2,
    warnings,
    command: `npm run bench:encoders-browser -- --full (runs: /usr/bin/time -v molar ${args.join(' ').replace(dataRoot, '../shared/data').replace(scratch, '<scratch>')})`,
  };
}

async function full(): Promise<void> {
  const items = catalog.slice(0, o.limit ?? catalog.length).map(toBench);
  const dataset = o.limit ? `ml-1m (first ${items.length} of ${catalog.length} items)` : `ml-1m (all ${items.length} items, titles+genres and posters)`;
  const rows: BenchRow[] = [];
  let bundleDir = o.nodeBundle ? path.resolve(o.nodeBundle) : '';
  if (!bundleDir) {
    // the CLI encodes the whole catalog, so a --limit smoke run compares against a bundle built before
    if (o.limit) throw new Error('--limit needs --node-bundle <dir>');
    const n = await nodeBuild();
    bundleDir = n.bundleDir;
    const w = classify(n.warnings);
    rows.push({
      benchmark: 'encode-catalog',
      dataset,
      model: ENCODER,
      backend: 'tfjs-wasm (node)',
      metrics: { items: catalog.length, wall_s: n.wallS, encode_s: n.encodeS, items_per_s: catalog.length / n.encodeS, posters_none: w.none, posters_failed: w.failed, peak_rss_mb: n.peakRssMb, cpu_per_wall_s: n.cpuS / n.wallS, load_avg_1m: n.loadAvg },
      command: n.command,
      date,
      machine,
      notes: `encode_s = from the build's "item-vectors:" line to its "wrote" line (bundle write with poster copies included); wall_s = whole process (data load, co-occurrence, encode, write); scratch folder with an empty vector cache; ${w.reasons.length ? `failed: ${w.reasons.join('; ')}` : 'no poster failed to decode'}; the items without a poster got a zero image half and a warning`,
    });
    log(`node: ${JSON.stringify(rows[0].metrics)}`);
  }

  const sample = [...new Set(Array.from({ length: Math.min(o.sample, items.length) }, (_, k) => Math.floor((k * items.length) / Math.min(o.sample, items.length))))];
  const { context, call, heap } = await openPage();
  try {
    const cpu0 = await chromiumCpuS();
    const load0 = os.loadavg()[0];
    const t0 = performance.now();
    heap.start();
    const setup = await call('setup', 'wasm');
    const loaded = await call('load', ENCODER);
    log(`browser: ${ENCODER} on ${setup.backend}, ${items.length} items`);
    const r = await call('encode', items, { warmup: 0, chunk: CHUNK, sample });
    const wallS = (performance.now() - t0) / 1000;
    const cpuS = (await chromiumCpuS()) - cpu0;
    const loadAvg = (load0 + os.loadavg()[0]) / 2;
    const peak = await heap.stop();
    const rss = await rendererPeakRss();
    const { leakedTensors } = await call('dispose');

    // Decoder or inference? A few sampled posters are encoded in Node twice: from the pixels this
    // browser decoded, and from Node's own decode (jpeg-js / pngjs), each against the browser vector.
    const checkAt = sample.map((idx, k) => ({ idx, k })).filter(({ idx }) => items[idx].image).slice(0, o.decodeCheck);
    const decodeCheck = { samePixels: [] as number[], nodeDecode: [] as number[], pixelDiff: [] as number[] };
    if (checkAt.length) {
      const browserPx = await call('decode', checkAt.map(({ idx }) => items[idx].image!));
      await useNodeBackend('wasm');
      const mobilenet = await loadNodeItemEncoder('mobilenetv2');
      try {
        for (const [j, { idx, k }] of checkAt.entries()) {
          const b = browserPx[j];
          const mine = await decodeImageBytes(new Uint8Array(await readFile(path.join(dataDir, decodeURIComponent(items[idx].image!.slice(DATA_PREFIX.length))))));
          const browserHalf = Float32Array.from(r.sample[k].slice(loaded.textDim));
          const enc = async (img: DecodedImage) => (await mobilenet.encodeItems([{ id: items[idx].id, image: img }])).data;
          decodeCheck.samePixels.push(cosine(await enc({ width: b.width, height: b.height, data: Uint8Array.from(b.data) }), browserHalf));
          decodeCheck.nodeDecode.push(cosine(await enc(mine), browserHalf));
          let d = 0;
          for (let i = 0; i < mine.data.length; i++) if (i % 4 !== 3) d += Math.abs(mine.data[i] - b.data[i]);
          decodeCheck.pixelDiff.push(d / ((mine.data.length * 3) / 4));
        }
      } finally {
        mobilenet.dispose();
      }
    }

    // Node vectors: the bundle's int8 rows; internal id i (row i) is items.json[i - 1]
    const bundle = await openBundleDir(bundleDir);
    const store = ItemVectorStore.fromArrayBuffer(await bundle.readFile('item_vectors.bin'));
    const rowOf = new Map(bundle.items.map((it, i) => [it.id, i + 1]));
    const cos = { all: [] as number[], text: [] as number[], image: [] as number[] };
    let halfMismatch = 0;
    sample.forEach((idx, k) => {
      const b = Float32Array.from(r.sample[k]);
      const n = store.row(rowOf.get(items[idx].id)!);
      const t = loaded.textDim;
      cos.all.push(cosine(b, n));
      cos.text.push(cosine(b.subarray(0, t), n.subarray(0, t)));
      const bi = b.subarray(t), ni = n.subarray(t);
      // a zero image half on one side only means the two sides disagreed on the poster
      if (bi.some((x) => x !== 0) !== ni.some((x) => x !== 0)) halfMismatch++;
      cos.image.push(cosine(bi, ni));
    });
    const mean = (a: number[]) => a.reduce((s, x) => s + x, 0) / a.length;
    const min = (a: number[]) => Math.min(...a);
    const w = classify(r.warnings);
    const metrics = {
      items: r.rows,
      wall_s: wallS,
      load_s: loaded.loadS,
      fetch_s: r.fetchS,
      encode_s: r.encodeS,
      items_per_s: r.rows / r.encodeS,
      posters_none: w.none,
      posters_failed: w.failed,
      peak_heap_mb: mib(peak),
      ...(rss !== null ? { renderer_peak_rss_mb: mib(rss) } : {}),
      ...(r.wasmHeapBytes !== null ? { wasm_heap_mb: mib(r.wasmHeapBytes) } : {}),
      download_mb: mb(loaded.downloadBytes),
      leaked_tensors: leakedTensors,
      browser_cpu_per_wall_s: cpuS / wallS,
      load_avg_1m: loadAvg,
      agreement_sample: sample.length,
      cosine_vs_node_mean: mean(cos.all),
      cosine_vs_node_min: min(cos.all),
      cosine_text_min: min(cos.text),
      cosine_image_min: min(cos.image),
      image_presence_mismatch: halfMismatch,
      ...(checkAt.length
        ? {
            decode_check_items: checkAt.length,
            image_cosine_same_pixels_min: min(decodeCheck.samePixels),
            image_cosine_node_decode_min: min(decodeCheck.nodeDecode),
            pixel_mean_abs_diff: mean(decodeCheck.pixelDiff),
          }
        : {}),
    };
    log(`browser: ${JSON.stringify(metrics)}`);
    rows.push({
      benchmark: 'encode-catalog',
      dataset,
      model: ENCODER,
      backend: setup.backend,
      metrics,
      command,
      date,
      machine,
      browser: browserName,
      notes: `${browserName}, tfjs wasm; wall_s = model load + poster fetch (page.route from disk) + encode, no warm-up; peak_heap_mb = V8 heap used (CDP, polled; ArrayBuffers and wasm memory outside it), renderer_peak_rss_mb = VmHWM of the page's renderer; cosines: browser fp32 vs the Node bundle's int8 item_vectors.bin on ${sample.length} items spread over the catalog (the int8 rounding is part of the gap); ${w.reasons.length ? `failed: ${w.reasons.join('; ')}` : 'no poster failed to decode'}`,
    });
  } finally {
    await context.close();
  }
  const fmt = (x: unknown, d = 1) => (typeof x === 'number' ? x.toFixed(d) : String(x));
  await record(o.name ?? 'encode-catalog', rows, (row) => {
    const m = row.metrics;
    const cpu = m.cpu_per_wall_s ?? m.browser_cpu_per_wall_s;
    const common = `${m.items} items in ${fmt(m.wall_s)} s wall; encode ${fmt(m.encode_s)} s = ${fmt(m.items_per_s, 2)} items/s; posters: ${m.posters_none} none (zero image half + warning), ${m.posters_failed} failed; CPU ${fmt(cpu, 2)} core-s per s at load average ${fmt(m.load_avg_1m, 1)}`;
    return row.backend === 'wasm'
      ? `browser wasm (${browserName}): ${common}; load ${fmt(m.load_s)} s, download ${fmt(m.download_mb, 2)} MB, poster fetch ${fmt(m.fetch_s)} s; peak JS heap ${fmt(m.peak_heap_mb)} MiB, renderer peak RSS ${fmt(m.renderer_peak_rss_mb, 0)} MiB${m.wasm_heap_mb !== undefined ? `, wasm memory ${fmt(m.wasm_heap_mb)} MiB` : ''}; vs Node bundle on ${m.agreement_sample} items: cosine mean ${fmt(m.cosine_vs_node_mean, 4)}, min ${fmt(m.cosine_vs_node_min, 4)} (text half min ${fmt(m.cosine_text_min, 4)}, image half min ${fmt(m.cosine_image_min, 4)}), poster presence mismatches ${m.image_presence_mismatch}${m.decode_check_items ? `; decoder check on ${m.decode_check_items} posters: image cosine from the browser's pixels encoded in Node min ${fmt(m.image_cosine_same_pixels_min, 4)}, from Node's own decode min ${fmt(m.image_cosine_node_decode_min, 4)}, mean |pixel difference| ${fmt(m.pixel_mean_abs_diff, 2)} of 255` : ''}`
      : `node tfjs-wasm: ${common}; peak RSS ${fmt(m.peak_rss_mb, 0)} MiB`;
  });
}

try {
  if (o.full) await full();
  else await perBackend();
} finally {
  await harness.close();
}
