/**
 * `npm run bench:plot -- <results.json>... --out bench/results/<name>.svg [--models a,b]`: the
 * time-to-quality plot. Valid NDCG@10 against training minutes, one line per result row that has a
 * `curve` (bench/molar.ts, bench/accuracy.ts rows: {epoch, minutes, valid_ndcg10}). A row's x is
 * its curve's minutes plus its `curve_start_min` (the stages trained before it, e.g. Molar's
 * SASRec), so a staged model is drawn at the total time it took. Rows whose curves are the same
 * points (several models read off one training run) share one line, labelled with every name.
 */
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { lineChartSvg, type Series } from './plot-svg.js';

interface Row {
  model?: string;
  dataset?: string;
  curve?: { minutes?: number; valid_ndcg10?: number }[];
  curve_start_min?: number;
  benchmark?: string;
  /** what the curve's validation scored (bench/molar.ts rows say) */
  curve_of?: string;
  metrics?: Record<string, unknown>;
}

/**
 * Minutes trained before the row's curve began: `curve_start_min`; molar rows written before that
 * field have their SASRec stage's minutes in metrics.sasrec_min (0 there: loaded, time unknown).
 */
const startOf = (r: Row): number => Number(r.curve_start_min ?? (r.benchmark === 'molar' && r.model !== 'id-only' ? (r.metrics?.sasrec_min ?? 0) : 0));

/** A results file's rows (recordBench writes one row as an object, several as an array), with what is wrong named. */
async function rowsOf(file: string): Promise<Row[]> {
  let data: unknown;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch (e) {
    throw new Error(`${file}: not a readable JSON results file (${(e as Error).message})`);
  }
  const rows = Array.isArray(data) ? data : [data];
  rows.forEach((r, i) => {
    if (typeof r !== 'object' || r === null) throw new Error(`${file}: row ${i} is not an object`);
    const c = (r as Row).curve;
    if (c !== undefined && !Array.isArray(c)) throw new Error(`${file}: row ${i} (${(r as Row).model}): field "curve" must be an array of {minutes, valid_ndcg10}`);
  });
  return rows as Row[];
}

/** One line per distinct curve; a row without a usable point is skipped and said so. */
function seriesOf(files: { file: string; rows: Row[] }[], models?: Set<string>, warn: (s: string) => void = () => {}): Series[] {
  const byPoints = new Map<string, { names: string[]; suffix: string; points: Series['points'] }>();
  const many = files.length > 1;
  for (const { file, rows } of files) {
    for (const r of rows) {
      const name = r.model ?? '?';
      if (models && !models.has(name)) continue;
      const start = startOf(r);
      const points = (r.curve ?? []).filter((p) => Number.isFinite(p.minutes) && Number.isFinite(p.valid_ndcg10)).map((p) => ({ x: start + p.minutes!, y: p.valid_ndcg10! }));
      if (!points.length) {
        warn(`${file}: ${name} has no curve points, not drawn`);
        continue;
      }
      // the file is part of the key: two files' runs are two lines even if they agree
      const key = `${file}\n${JSON.stringify(points)}`;
      const seen = byPoints.get(key);
      if (seen) seen.names.push(name);
      else byPoints.set(key, { names: [name], suffix: `${many ? ` (${path.basename(file, '.json')})` : ''}${r.curve_of ? `: valid of ${r.curve_of}` : ''}`, points });
    }
  }
  return [...byPoints.values()].map((s) => ({ label: `${s.names.join(', ')}${s.suffix}`, points: s.points }));
}

const cmd = new Command()
  .argument('<results...>', 'bench/results/*.json files')
  .requiredOption('--out <file>', 'the SVG to write')
  .option('--models <names>', 'only these rows (comma-separated model names)')
  .option('--title <t>', 'chart title', 'Time to quality: valid NDCG@10 against training minutes')
  .parse();
const o = cmd.opts();
const files = await Promise.all(cmd.args.map(async (file) => ({ file, rows: await rowsOf(file) })));
const models = o.models ? new Set(String(o.models).split(',').map((s) => s.trim())) : undefined;
const series = seriesOf(files, models, (s) => console.error(s));
if (!series.length) throw new Error('no row with a curve to draw');
await writeFile(String(o.out), lineChartSvg({ title: String(o.title), xLabel: 'training minutes (all stages, wall clock)', yLabel: 'valid NDCG@10', series }));
console.error(`wrote ${o.out}: ${series.map((s) => s.label).join('; ')}`);
