/**
 * `npm run bench:encoders [-- --items 300 --cpu-items 16]`: encoder speed, memory, size, quantization
 * cosine and retrieval quality on ML-1M titles + posters (first N items that have a poster; the full
 * 3,416 take ~12 min of image encoding on 2 wasm cores, so a subset is the default and is said so
 * in the results). Quality: share of each item's 10 nearest neighbours (cosine) that share at
 * least one genre with it, for text, image and text+image vectors, against random neighbours.
 * Browser per-backend timings are not measured here: e2e adds rows with benchmark "encoders-browser"
 * by calling the same ItemEncoder through encoders/browser.ts.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import * as tf from '@tensorflow/tfjs';
import { concatColumns, getRow, rowCosines } from '../src/encoders/matrix.js';
import { exportBuiltinEncoders, loadNodeItemEncoder, useNodeBackend } from '../src/encoders/node.js';
import { sampleItems } from '../src/encoders/sample-node.js';
import type { EncodableItem, Matrix } from '../src/encoders/types.js';

const o = new Command()
  .option('--items <n>', 'ML-1M items (with posters) to encode on wasm', Number, 300)
  .option('--cpu-items <n>', 'items for the (slow) cpu-backend timing', Number, 16)
  .option('--out <file>', 'results file', 'bench/results/encoders.json')
  .parse()
  .opts<{ items: number; cpuItems: number; out: string }>();

let peakRss = 0;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);

async function timeEncode(id: string, items: EncodableItem[], backend: 'wasm' | 'cpu', modelDir?: string) {
  await useNodeBackend(backend);
  const enc = await loadNodeItemEncoder(id, { modelDir });
  await enc.encodeItems(items.slice(0, 2), { onWarning: () => {} }); // warm-up: kernels compile / weights upload
  const t = performance.now();
  const m = await enc.encodeItems(items, { onWarning: () => {} });
  const s = (performance.now() - t) / 1000;
  enc.dispose();
  return { m, itemsPerS: items.length / s };
}

function genreAgreement(m: Matrix, genres: Set<string>[], k = 10): number {
  // vectors are L2-normalised per modality, so the dot product ranks by cosine (sum of cosines when fused)
  let hit = 0, n = 0;
  for (let i = 0; i < m.rows; i++) {
    const a = getRow(m, i);
    const sims: [number, number][] = [];
    for (let j = 0; j < m.rows; j++) {
      if (j === i) continue;
      const b = getRow(m, j);
      let d = 0;
      for (let x = 0; x < a.length; x++) d += a[x] * b[x];
      sims.push([d, j]);
    }
    sims.sort((p, q) => q[0] - p[0]);
    for (const [, j] of sims.slice(0, k)) (hit += [...genres[i]].some((g) => genres[j].has(g)) ? 1 : 0), n++;
  }
  return hit / n;
}

function randomAgreement(genres: Set<string>[]): number {
  let hit = 0, n = 0;
  for (let i = 0; i < genres.length; i++) for (let j = 0; j < genres.length; j++) if (i !== j) (hit += [...genres[i]].some((g) => genres[j].has(g)) ? 1 : 0), n++;
  return hit / n;
}

const { source, items: all } = await sampleItems();
const items = all.filter((i) => i.image).slice(0, o.items);
const genres = items.map((i) => new Set((i.attributes?.genres ?? '').split('|').filter(Boolean)));
const qDir = path.resolve('.cache/bench-encoders-q8');
const sizes = await exportBuiltinEncoders(qDir, { quantize: true });

const text = await timeEncode('use-lite', items, 'wasm');
const image = await timeEncode('mobilenetv2', items, 'wasm');
const textQ = await timeEncode('use-lite', items, 'wasm', qDir);
const imageQ = await timeEncode('mobilenetv2', items, 'wasm', qDir);
const textCpu = await timeEncode('use-lite', items.slice(0, o.cpuItems), 'cpu');
const imageCpu = await timeEncode('mobilenetv2', items.slice(0, o.cpuItems), 'cpu');
clearInterval(sampler);

const fused = concatColumns([text.m, image.m]);
const quality = {
  text: genreAgreement(text.m, genres),
  image: genreAgreement(image.m, genres),
  fused: genreAgreement(fused, genres),
  random: randomAgreement(genres),
};
const date = '2026-11-23';
const machine = `node ${os.cpus().length}-core ${Math.round(os.totalmem() / 2 ** 30)}GiB`;
const command = `npm run bench:encoders -- --items ${o.items} --cpu-items ${o.cpuItems}`;
const dataset = `${source} (first ${items.length} items with posters)`;
const size = (id: string) => sizes.find((s) => s.encoder === id)!;
const rows = [
  { model: 'use-lite', metrics: { items_per_s_wasm: text.itemsPerS, items_per_s_cpu: textCpu.itemsPerS, items_per_s_wasm_q8: textQ.itemsPerS, size_mb_fp32: size('use-lite').float32Bytes / 1e6, size_mb_q8: size('use-lite').writtenBytes / 1e6, cosine_q8: rowCosines(text.m, textQ.m).mean, 'genre@10': quality.text } },
  { model: 'mobilenetv2', metrics: { items_per_s_wasm: image.itemsPerS, items_per_s_cpu: imageCpu.itemsPerS, items_per_s_wasm_q8: imageQ.itemsPerS, size_mb_fp32: size('mobilenetv2').float32Bytes / 1e6, size_mb_q8: size('mobilenetv2').writtenBytes / 1e6, cosine_q8: rowCosines(image.m, imageQ.m).mean, 'genre@10': quality.image } },
  { model: 'use-lite+mobilenetv2', metrics: { 'genre@10': quality.fused, 'genre@10_random': quality.random, peak_rss_mb: peakRss / 2 ** 20 } },
].map((r) => ({ benchmark: 'encoders', dataset, ...r, command, date, machine, notes: `cpu timings on the first ${o.cpuItems} items; tf.memory after: ${tf.memory().numTensors} tensors` }));
await mkdir(path.dirname(o.out), { recursive: true });
await writeFile(o.out, JSON.stringify(rows, null, 2) + '\n');
for (const r of rows) console.log(r.model, JSON.stringify(r.metrics));

