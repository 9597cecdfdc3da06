/**
 * `npm run bench:widget-size`: builds the script-tag widget (vite.widget.config.ts) and measures
 * what a storefront pays for it. "Eager" is molar-recs.js plus every chunk it imports statically:
 * what a page with one <molar-recs> downloads before any backend, encoder or transformers.js is
 * reached (those are dynamic imports). The budget is EAGER_BUDGET_KB gzip (issue 22, ../shared/STYLE.md
 * § 5). Records bench/results/widget-size.json and a BENCHMARKS.md row.
 *
 * Flags: --no-build (measure dist/widget as it is), --no-record (print only), --modules [n]: also
 * list the n (default 30) largest modules of the eager chunks, and the eager total by folder or
 * package, each module gzipped alone (so the figures add up to more than the chunks' gzip: shared
 * context is counted in each): which modules a growth came from, without a visualizer.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { build, type Rolldown } from 'vite';
import { BENCH_DATE, BENCH_MACHINE, recordBench } from '../bench/record.js';

export const EAGER_BUDGET_KB = 150;

/** One entry of Vite's build manifest (.vite/manifest.json). */
export interface ManifestChunk {
  file: string;
  isEntry?: boolean;
  isDynamicEntry?: boolean;
  imports?: string[];
  dynamicImports?: string[];
}

/** The files an entry loads before its first dynamic import: itself and its static imports, transitively. */
export function eagerFiles(manifest: Record<string, ManifestChunk>): string[] {
  const entries = Object.keys(manifest).filter((k) => manifest[k].isEntry);
  if (entries.length !== 1) throw new Error(`expected one entry in the widget manifest, found ${entries.length}`);
  const seen = new Set<string>();
  const todo = [...entries];
  for (let key = todo.pop(); key !== undefined; key = todo.pop()) {
    if (seen.has(key)) continue;
    const chunk = manifest[key];
    if (!chunk) throw new Error(`manifest names ${key} as an import but has no entry for it`);
    seen.add(key);
    todo.push(...(chunk.imports ?? []));
  }
  return [...seen].map((k) => manifest[k].file).sort();
}

/** A chunk of a build's output as the module report reads it. */
export interface BuiltChunk {
  fileName: string;
  isEntry: boolean;
  imports: string[];
  /** module id → its code as rendered into the chunk */
  modules: Record<string, { code?: string | null }>;
}

/** Where a module id belongs: its npm package (`@scope/name`), or its folder under src/ (`src/score`). */
export function moduleGroup(id: string, root: string): string {
  const nm = id.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const parts = id.slice(nm + 'node_modules/'.length).split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  const rel = id.startsWith(root) ? id.slice(root.length).replace(/^[\\/]/, '') : id.replace(/^\0/, '');
  const parts = rel.split('/');
  return parts.length > 2 ? parts.slice(0, 2).join('/') : rel;
}

/** The modules of the chunks an entry loads statically, each gzipped alone, largest first. */
export function eagerModules(chunks: BuiltChunk[], root: string): { id: string; group: string; gzipKb: number }[] {
  const byName = new Map(chunks.map((c) => [c.fileName, c]));
  const seen = new Set<string>();
  const todo = chunks.filter((c) => c.isEntry).map((c) => c.fileName);
  for (let f = todo.pop(); f !== undefined; f = todo.pop()) if (!seen.has(f)) (seen.add(f), todo.push(...(byName.get(f)?.imports ?? [])));
  return [...seen]
    .flatMap((f) => Object.entries(byName.get(f)!.modules))
    .map(([id, m]) => ({ id: id.includes('node_modules/') ? id.slice(id.lastIndexOf('node_modules/')) : id.startsWith(root) ? id.slice(root.length + 1) : id, group: moduleGroup(id, root), gzipKb: m.code ? gzipKb(Buffer.from(m.code)) : 0 }))
    .sort((a, b) => b.gzipKb - a.gzipKb);
}

/** Builds the widget in memory and prints `eagerModules`' report: the `top` largest, then the totals by group. */
async function moduleReport(root: string, top: number): Promise<void> {
  const out = (await build({ configFile: path.join(root, 'vite.widget.config.ts'), logLevel: 'warn', build: { write: false } })) as Rolldown.RolldownOutput | Rolldown.RolldownOutput[];
  const chunks = (Array.isArray(out) ? out : [out]).flatMap((o) => o.output).filter((c): c is Rolldown.OutputChunk => c.type === 'chunk');
  const mods = eagerModules(chunks as unknown as BuiltChunk[], root);
  const groups = new Map<string, number>();
  for (const m of mods) groups.set(m.group, (groups.get(m.group) ?? 0) + m.gzipKb);
  console.log(`eager modules, each gzipped alone (${mods.length} modules, ${round(mods.reduce((s, m) => s + m.gzipKb, 0))} KB summed):`);
  for (const m of mods.slice(0, top)) console.log(`${m.gzipKb.toFixed(1).padStart(7)} KB  ${m.id}`);
  console.log('by folder / package:');
  for (const [g, kb] of [...groups].sort((a, b) => b[1] - a[1])) console.log(`${kb.toFixed(1).padStart(7)} KB  ${g}`);
}

const gzipKb = (bytes: Buffer) => gzipSync(bytes, { level: 9 }).length / 1024;
const round = (x: number, d = 1) => Math.round(x * 10 ** d) / 10 ** d;

function walk(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((n) => {
    const f = path.join(dir, n);
    return statSync(f).isDirectory() ? walk(f, base) : [path.relative(base, f)];
  });
}

/** Sizes of a built widget folder. Figures in KB are gzip -9 unless named raw; MB are raw bytes / 2^20. */
export function measureWidget(dir: string): Record<string, number> {
  const manifest = JSON.parse(readFileSync(path.join(dir, '.vite', 'manifest.json'), 'utf8')) as Record<string, ManifestChunk>;
  const eager = eagerFiles(manifest);
  const read = (f: string) => readFileSync(path.join(dir, f));
  const files = walk(dir).filter((f) => !f.startsWith('.vite'));
  const js = files.filter((f) => f.endsWith('.js'));
  const wasm = files.filter((f) => f.endsWith('.wasm'));
  const bytes = (list: string[]) => list.reduce((s, f) => s + statSync(path.join(dir, f)).size, 0);
  const hf = Object.values(manifest).find((c) => /transformers\.web/.test(c.file));
  return {
    eager_gzip_kb: round(eager.reduce((s, f) => s + gzipKb(read(f)), 0)),
    eager_raw_kb: round(bytes(eager) / 1024),
    eager_files: eager.length,
    js_gzip_kb: round(js.reduce((s, f) => s + gzipKb(read(f)), 0)),
    hf_chunk_gzip_kb: hf ? round(gzipKb(read(hf.file))) : 0,
    wasm_mb: round(bytes(wasm) / 2 ** 20, 2),
    total_mb: round(bytes(files) / 2 ** 20, 2),
    budget_eager_gzip_kb: EAGER_BUDGET_KB,
  };
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const root = path.resolve(import.meta.dirname, '..');
  if (!args.includes('--no-build')) {
    const built = spawnSync('npx', ['vite', 'build', '--config', 'vite.widget.config.ts', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    if (built.status !== 0) throw new Error('the widget build failed');
  }
  const at = args.indexOf('--modules');
  if (at >= 0) await moduleReport(root, Number(args[at + 1]) > 0 ? Number(args[at + 1]) : 30);
  const metrics = measureWidget(path.join(root, 'dist', 'widget'));
  console.log(JSON.stringify(metrics, null, 2));
  const within = metrics.eager_gzip_kb <= EAGER_BUDGET_KB;
  console.log(`eager JS ${metrics.eager_gzip_kb} KB gzip: ${within ? 'within' : 'OVER'} the ${EAGER_BUDGET_KB} KB budget`);
  if (!args.includes('--no-record')) {
    const row = {
      benchmark: 'widget-size',
      dataset: 'dist/widget (npm run build:widget)',
      model: '<molar-recs> script-tag build',
      metrics,
      command: 'npm run bench:widget-size',
      date: BENCH_DATE,
      machine: BENCH_MACHINE,
    };
    await recordBench('widget-size', [row], (r) => {
      const m = r.metrics as Record<string, number>;
      return `eager JS ${m.eager_gzip_kb} KB gzip (${m.eager_files} files, ${m.eager_raw_kb} KB raw; budget ${m.budget_eager_gzip_kb}); all JS ${m.js_gzip_kb} KB gzip, transformers.js chunk ${m.hf_chunk_gzip_kb} KB gzip (lazy); wasm files ${m.wasm_mb} MB; folder ${m.total_mb} MB`;
    }, root);
  }
  if (!within) process.exitCode = 1;
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) await main();
