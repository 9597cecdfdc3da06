import { appendFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';

export const BENCH_DATE = new Date().toISOString().slice(0, 10);
export const BENCH_MACHINE = 'node 2-core 24GiB';

export interface BenchRow {
  benchmark: string;
  dataset: string;
  model: string;
  metrics: Record<string, number | string>;
  command: string;
  date: string;
  machine: string;
  [extra: string]: unknown;
}

/** Writes bench/results/<name>.json (an array of rows) and appends one BENCHMARKS.md line per row. */
export async function recordBench(name: string, rows: BenchRow[], figures: (r: BenchRow) => string, root = process.cwd()): Promise<void> {
  await mkdir(path.join(root, 'bench', 'results'), { recursive: true });
  await writeFile(path.join(root, 'bench', 'results', `${name}.json`), JSON.stringify(rows.length === 1 ? rows[0] : rows, null, 2) + '\n');
  const md = path.join(root, 'BENCHMARKS.md');
  const head = await readFile(md, 'utf8').catch(() => '');
  if (!head) await writeFile(md, '# Benchmarks\n\n| date | machine | benchmark | dataset | model | command | figures |\n|---|---|---|---|---|---|---|\n');
  for (const r of rows) await appendFile(md, `| ${r.date} | ${r.machine} | ${r.benchmark} | ${r.dataset} | ${r.model} | \`${r.command}\` | ${figures(r)} |\n`);
}
