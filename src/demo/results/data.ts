/**
 * The results page's charts, as plain data, from the rows of bench/results/*.json (one object or a
 * list of them per file: {benchmark, dataset, model, metrics, command, date, machine, …}). Pure, so
 * what a chart shows is tested without a page. Figures are taken as recorded: nothing is averaged,
 * picked or rounded away here, and accuracy charts hold test-split rows only.
 */

export interface ResultRow {
  /** the file's name without folder and `.json` */
  file: string;
  benchmark: string;
  dataset: string;
  model: string;
  metrics: Record<string, unknown>;
  split?: string;
  backend?: string;
  command?: string;
  date?: string;
  machine?: string;
  notes?: string;
  /** how many rows the file holds (a file of one run is labelled by its name, a file of many by model) */
  siblings: number;
}

export interface BarRow {
  label: string;
  /** one per series; NaN where the row has no such figure */
  values: number[];
  /** where the figures come from: file, command, date, machine */
  source: string;
}

export interface BarChart {
  kind: 'bars';
  id: string;
  title: string;
  caption: string;
  unit: string;
  series: string[];
  rows: BarRow[];
  /** a log axis, for figures spanning several decades */
  log?: boolean;
  /** larger is better (accuracy) or smaller is better (time): said in the caption, used for sorting */
  better: 'higher' | 'lower';
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const num = (v: unknown) => (typeof v === 'number' && Number.isFinite(v) ? v : NaN);

/** Every well-formed row of every file; a malformed file or row is left out, not guessed at. */
export function rowsOf(files: Record<string, unknown>): ResultRow[] {
  const rows: ResultRow[] = [];
  for (const [path, json] of Object.entries(files)) {
    const file = path.split('/').pop()!.replace(/\.json$/, '');
    const list = (Array.isArray(json) ? json : [json]).filter((r): r is Record<string, unknown> =>
      typeof r === 'object' && r !== null && typeof r.benchmark === 'string' && typeof r.metrics === 'object' && r.metrics !== null);
    for (const r of list) {
      rows.push({
        file, siblings: list.length, benchmark: r.benchmark as string, dataset: str(r.dataset) ?? '', model: str(r.model) ?? '',
        metrics: r.metrics as Record<string, unknown>, split: str(r.split), backend: str(r.backend), command: str(r.command), date: str(r.date), machine: str(r.machine), notes: str(r.notes) ?? str(r.note),
      });
    }
  }
  return rows.sort((a, b) => a.file.localeCompare(b.file));
}

const source = (r: ResultRow) => [`bench/results/${r.file}.json`, r.command, [r.date, r.machine].filter(Boolean).join(', '), r.notes].filter(Boolean).join('\n');

/** test-split rows: `split: "test"`, or a molar row (its bench evaluates on test only and counts test_users) */
const isTest = (r: ResultRow) => r.split === 'test' || (r.split === undefined && r.benchmark === 'molar' && 'test_users' in r.metrics);

function accuracyLabel(r: ResultRow): string {
  if (r.siblings > 1) return r.benchmark === 'molar' ? `molar ${r.model}` : r.model;
  return r.file.replace(/^(accuracy|exp)-/, '');
}

const byFirst = (better: 'higher' | 'lower') => (a: BarRow, b: BarRow) => {
  const x = Number.isNaN(a.values[0]) ? -Infinity : a.values[0];
  const y = Number.isNaN(b.values[0]) ? -Infinity : b.values[0];
  return better === 'higher' ? y - x : x - y;
};

/** NDCG@10 and Recall@10 of every recorded run on the test split, one chart per dataset. */
export function accuracyCharts(rows: readonly ResultRow[]): BarChart[] {
  const test = rows.filter((r) => (r.benchmark === 'accuracy' || r.benchmark === 'molar') && isTest(r) && !Number.isNaN(num(r.metrics['ndcg@10'])));
  const datasets = [...new Set(test.map((r) => r.dataset))].sort();
  return datasets.map((dataset) => ({
    kind: 'bars' as const,
    id: `accuracy-${dataset}`,
    title: `Accuracy on ${dataset}, test split`,
    caption: `Every recorded run (${test.filter((r) => r.dataset === dataset).length}), leave-one-out test users, seen items filtered; higher is better. Popularity and co-occurrence are the baselines.`,
    unit: '',
    series: ['NDCG@10', 'Recall@10'],
    better: 'higher' as const,
    rows: test.filter((r) => r.dataset === dataset).map((r) => ({ label: accuracyLabel(r), values: [num(r.metrics['ndcg@10']), num(r.metrics['recall@10'])], source: source(r) })).sort(byFirst('higher')),
  }));
}

/** Recall@20 on items held out of all training, per model and dataset. */
export function coldStartChart(rows: readonly ResultRow[]): BarChart | undefined {
  const cold = rows.filter((r) => r.benchmark === 'coldstart' && !Number.isNaN(num(r.metrics['recall@20'])));
  if (cold.length === 0) return undefined;
  return {
    kind: 'bars', id: 'coldstart', title: 'Cold start: items never seen in training', unit: '', better: 'higher', series: ['Recall@20', 'NDCG@20'],
    caption: 'Recall@20 and NDCG@20 of the held-out items; an ID model cannot rank them (0), random is the floor, content vectors are what cold start rests on.',
    rows: cold.map((r) => ({ label: `${r.dataset}: ${r.model}`, values: [num(r.metrics['recall@20']), num(r.metrics['ndcg@20'])], source: source(r) })),
  };
}

/** record() latency of the history store by stored history size. */
export function historyChart(rows: readonly ResultRow[]): BarChart | undefined {
  const h = rows.filter((r) => r.benchmark === 'history-record');
  if (h.length === 0) return undefined;
  return {
    kind: 'bars', id: 'history-record', title: 'Recording a click: record() latency', unit: 'ms', log: true, better: 'lower', series: ['p50', 'p95', 'max'],
    caption: `${h[0].model}, by events already stored; lower is better (log axis).`,
    rows: h.map((r) => ({ label: r.dataset, values: [num(r.metrics.p50Ms), num(r.metrics.p95Ms), num(r.metrics.maxMs)], source: source(r) })),
  };
}

/** Milliseconds per training step, tfjs (wasm, 1 and 2 threads) against the PyTorch CPU reference. */
export function trainSpeedChart(rows: readonly ResultRow[]): BarChart | undefined {
  const t = rows.filter((r) => r.benchmark === 'train-speed' && !Number.isNaN(num(r.metrics.ms_per_step)));
  if (t.length === 0) return undefined;
  return {
    kind: 'bars', id: 'train-speed', title: 'Training: time per step', unit: 'ms', log: true, better: 'lower', series: ['ms per step'],
    caption: 'One SASRec step on synthetic ML-1M-shaped batches (each file one shape: hover a bar for it); lower is better (log axis).',
    rows: t.map((r) => ({ label: `${r.file.replace(/^train-speed-?/, '') || 'default'}: ${r.model.replace(/^sasrec-sampled-ce /, '')}`, values: [num(r.metrics.ms_per_step)], source: `${r.dataset}\n${source(r)}` })),
  };
}

/** Milliseconds per item to encode (1000 / items per second), in the browser per backend and in Node. */
export function encoderChart(rows: readonly ResultRow[]): BarChart | undefined {
  const out: BarRow[] = [];
  for (const r of rows) {
    const m = r.metrics;
    if (r.benchmark === 'encoders-browser') {
      const rate = num(m.text_items_per_s ?? m.image_items_per_s);
      if (rate > 0) out.push({ label: `${r.model}, browser ${r.backend ?? ''}`.trim(), values: [1000 / rate], source: source(r) });
    } else if (r.benchmark === 'encoders') {
      for (const [key, where] of [['items_per_s_wasm', 'Node wasm'], ['items_per_s_wasm_q8', 'Node wasm, int8'], ['items_per_s_cpu', 'Node cpu']] as const) {
        const rate = num(m[key]);
        if (rate > 0) out.push({ label: `${r.model}, ${where}`, values: [1000 / rate], source: source(r) });
      }
    } else if (r.benchmark === 'encode-catalog') {
      const rate = num(m.items_per_s);
      if (rate > 0) out.push({ label: `${r.model} whole catalog, ${r.backend ?? ''}`.trim(), values: [1000 / rate], source: `${r.dataset}\n${source(r)}` });
    }
  }
  if (out.length === 0) return undefined;
  return {
    kind: 'bars', id: 'encoders', title: 'Encoding an item (cold start): time per item', unit: 'ms', log: true, better: 'lower', series: ['ms per item'],
    caption: '1000 / items per second as recorded, text (use-lite) and image (mobilenetv2) encoders; lower is better (log axis). The browser rows ran in headless Chromium without a GPU: its WebGPU and WebGL are SwiftShader (software), as each row\'s notes say.',
    rows: out.sort(byFirst('lower')),
  };
}

export interface ScatterPoint {
  x: number;
  y: number;
  label: string;
  source: string;
}

export interface ScatterChart {
  kind: 'scatter';
  id: string;
  title: string;
  caption: string;
  xLabel: string;
  yLabel: string;
  points: ScatterPoint[];
  /** horizontal reference lines (the baselines, which train in seconds) */
  refs: { label: string; y: number }[];
}

/**
 * Test NDCG@10 against training minutes, per dataset: what more training time bought. Only rows
 * that record their own wall time (the accuracy bench's SASRec runs); baselines as reference lines.
 */
export function costCharts(rows: readonly ResultRow[]): ScatterChart[] {
  const test = rows.filter((r) => r.benchmark === 'accuracy' && isTest(r) && !Number.isNaN(num(r.metrics['ndcg@10'])));
  const datasets = [...new Set(test.map((r) => r.dataset))].sort();
  return datasets.flatMap((dataset) => {
    const here = test.filter((r) => r.dataset === dataset);
    const points = here.filter((r) => num(r.metrics.wall_min) > 0).map((r) => ({ x: num(r.metrics.wall_min), y: num(r.metrics['ndcg@10']), label: accuracyLabel(r), source: source(r) }));
    if (points.length === 0) return [];
    const refs = here.filter((r) => !(num(r.metrics.wall_min) > 0) && (r.model === 'cooccurrence' || r.model === 'popularity')).map((r) => ({ label: r.model, y: num(r.metrics['ndcg@10']) }));
    return [{
      kind: 'scatter' as const, id: `cost-${dataset}`, title: `Training time against accuracy on ${dataset}`, xLabel: 'training minutes (wall)', yLabel: 'NDCG@10 (test)', points, refs,
      caption: `Each dot a SASRec run of the accuracy benchmark (${points.length}); dashed lines the baselines. The Molar bench records its stages' minutes apart, so it is in the bars above only.`,
    }];
  });
}

export type Chart = BarChart | ScatterChart;

/** Every chart the rows support, accuracy first. */
export function allCharts(rows: readonly ResultRow[]): Chart[] {
  const charts: (Chart | undefined)[] = [...accuracyCharts(rows), ...costCharts(rows), coldStartChart(rows), historyChart(rows), trainSpeedChart(rows), encoderChart(rows)];
  return charts.filter((c): c is Chart => c !== undefined);
}
