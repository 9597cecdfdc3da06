import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';

/**
 * The walls of ARCHITECTURE.md § 1, enforced: browser code (everything the public entry, the
 * widget and the demo reach) imports nothing from Node, `cli/` or `train/`, and library code
 * writes nothing to the console (warnings go through onWarning, src/warnings.ts).
 */
const SRC = path.resolve(import.meta.dirname);
const BROWSER_ENTRIES = ['index.ts', 'widget/index.ts', 'demo/main.ts', 'demo/results/main.ts'].map((f) => path.join(SRC, f));
/** packages that exist only in Node (or pull in Node built-ins) */
const NODE_ONLY = /^(node:|fs$|fs\/|path$|os$|url$|crypto$|worker_threads$|child_process$|sharp$|commander$|cli-progress$|tsx|onnxruntime-node$|@tensorflow\/tfjs-node)/;
const SPECIFIERS = /(?:^|[\s;])(?:import|export)\s[^'"`]*?from\s*['"]([^'"]+)['"]|import\s*\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s+['"]([^'"]+)['"]/gm;

function importsOf(file: string): string[] {
  const code = readFileSync(file, 'utf8').replace(/\/\*[\s\S]*?\*\/|^\s*\/\/.*$/gm, '');
  return [...code.matchAll(SPECIFIERS)].map((m) => m[1] ?? m[2] ?? m[3]);
}

function resolveLocal(from: string, spec: string): string {
  const p = path.resolve(path.dirname(from), spec);
  for (const c of [p.replace(/\.js$/, '.ts'), p, `${p}.ts`, path.join(p, 'index.ts')]) {
    try {
      if (statSync(c).isFile()) return c;
    } catch {
      // try the next spelling
    }
  }
  throw new Error(`${path.relative(SRC, from)} imports ${spec}, which does not resolve`);
}

/** Every module reachable from the browser entries (static and dynamic imports), and the bare packages they name. */
function browserGraph(): { files: Map<string, string>; packages: Map<string, string> } {
  const files = new Map<string, string>(); // file -> who imported it first
  const packages = new Map<string, string>();
  const todo: [string, string][] = BROWSER_ENTRIES.map((f) => [f, '(entry)']);
  for (let next = todo.pop(); next; next = todo.pop()) {
    const [file, by] = next;
    if (files.has(file)) continue;
    files.set(file, by);
    for (const spec of importsOf(file)) {
      if (spec.startsWith('.')) todo.push([resolveLocal(file, spec), file]);
      else if (!packages.has(spec)) packages.set(spec, file);
    }
  }
  return { files, packages };
}

const rel = (f: string) => path.relative(SRC, f);
const nodeOnlyFile = (f: string) => /^(train|cli)\//.test(rel(f)) || /-node\.ts$/.test(f);

describe('walls', () => {
  it('browser code imports nothing from train/, cli/, *-node.ts files or Node packages', () => {
    const { files, packages } = browserGraph();
    expect(files.size).toBeGreaterThan(40); // the walk really followed the graph
    const crossings = [...files].filter(([f]) => nodeOnlyFile(f)).map(([f, by]) => `${rel(by)} → ${rel(f)}`);
    const nodePkgs = [...packages].filter(([p]) => NODE_ONLY.test(p)).map(([p, by]) => `${rel(by)} → ${p}`);
    expect(crossings).toEqual([]);
    expect(nodePkgs).toEqual([]);
  });

  it('the walk sees a crossing when there is one (a CLI module imports Node and train/)', () => {
    const cli = path.join(SRC, 'cli/commands/eval.ts');
    const specs = importsOf(cli);
    expect(specs.some((s) => NODE_ONLY.test(s))).toBe(true);
    expect(specs.map((s) => (s.startsWith('.') ? resolveLocal(cli, s) : s)).some((f) => nodeOnlyFile(f) && /train\//.test(f))).toBe(true);
  });

  it('library code does not write to the console (warnings go through onWarning)', () => {
    const offenders: string[] = [];
    const walk = (dir: string) => {
      for (const name of readdirSync(dir)) {
        const f = path.join(dir, name);
        if (statSync(f).isDirectory()) walk(f);
        else if (/\.ts$/.test(name) && !/\.test\.ts$/.test(name) && !/^(cli)\//.test(rel(f)) && rel(f) !== 'warnings.ts') {
          readFileSync(f, 'utf8').split('\n').forEach((line, i) => {
            if (/\bconsole\.(warn|log|error|info)\(/.test(line) && !/^\s*(\/\/|\*)/.test(line)) offenders.push(`${rel(f)}:${i + 1}`);
          });
        }
      }
    };
    walk(SRC);
    expect(offenders).toEqual([]);
  });

  describe('the production widget build', () => {
    type Output = { type: string; fileName: string; isEntry?: boolean; imports?: string[]; moduleIds?: string[]; modules?: Record<string, unknown>; code?: string; source?: string | Uint8Array };
    let files: Output[] = [];
    beforeAll(async () => {
      const { build } = await import('vite');
      const out = await build({ configFile: path.join(SRC, '../vite.widget.config.ts'), logLevel: 'silent', build: { write: false } });
      files = ((Array.isArray(out) ? out : [out]) as { output: Output[] }[]).flatMap((o) => o.output);
    }, 120_000);
    const chunks = () => files.filter((c) => c.type === 'chunk');
    const idsOf = (c: Output) => c.moduleIds ?? Object.keys(c.modules ?? {});
    /** the entry and every chunk it imports statically: what a page with <molar-recs> loads before any dynamic import */
    const eager = () => {
      const byName = new Map(chunks().map((c) => [c.fileName, c]));
      const seen = new Set<string>();
      const todo = chunks().filter((c) => c.isEntry).map((c) => c.fileName);
      for (let f = todo.pop(); f !== undefined; f = todo.pop()) if (!seen.has(f)) (seen.add(f), todo.push(...(byName.get(f)!.imports ?? [])));
      return [...seen].map((f) => byName.get(f)!);
    };

    it('holds no module from train/, cli/ or *-node.ts', () => {
      const ids = chunks().flatMap(idsOf);
      expect(ids.some((id) => id.includes('/src/widget/'))).toBe(true); // module ids are really listed
      expect(ids.filter((id) => id.startsWith(SRC) && nodeOnlyFile(id.split('?')[0]))).toEqual([]);
      expect(chunks().map((c) => c.fileName).filter((n) => /backend-node|grad-worker|cli/.test(n))).toEqual([]);
    });

    it("keeps cold start's encoders, the table parser and the explain panel out of what a page loads first", () => {
      const eagerIds = eager().flatMap(idsOf);
      expect(eagerIds.filter((id) => /\/src\/encoders\/|\/papaparse\/|\/src\/widget\/explain-panel\.ts/.test(id))).toEqual([]);
      expect(chunks().flatMap(idsOf).some((id) => id.includes('/src/encoders/browser.ts'))).toBe(true); // still built, lazily
    });

    it('loads tfjs backends, layers, converter and transformers.js only when reached (dynamic imports)', () => {
      const entry = chunks().filter((c) => c.isEntry);
      expect(entry.map((c) => c.fileName)).toEqual(['molar-recs.js']);
      const eagerIds = eager().flatMap(idsOf);
      expect(eagerIds.some((id) => id.includes('@tensorflow/tfjs-core'))).toBe(true);
      const lazyOnly = /@tensorflow\/tfjs-(backend-(cpu|webgl|wasm|webgpu)|layers|converter|data)\/|@huggingface\/transformers|onnxruntime-web/;
      expect([...new Set(eagerIds.filter((id) => lazyOnly.test(id)).map((id) => id.match(lazyOnly)![0]))]).toEqual([]);
      // and they are in the build, in chunks of their own
      const all = chunks().flatMap(idsOf);
      for (const pkg of ['tfjs-backend-cpu', 'tfjs-backend-webgl', 'tfjs-backend-wasm', 'tfjs-backend-webgpu', 'tfjs-layers', 'tfjs-converter', '@huggingface/transformers']) {
        expect(all.some((id) => id.includes(pkg)), pkg).toBe(true);
      }
    });

    it('ships the wasm binaries as files and inlines none (no base64 "\\0asm" in any chunk)', () => {
      const assets = files.filter((f) => f.type === 'asset').map((f) => f.fileName);
      expect(assets.filter((f) => f.startsWith('wasm/')).sort()).toEqual([
        'wasm/ort/ort-wasm-simd-threaded.asyncify.mjs',
        'wasm/ort/ort-wasm-simd-threaded.asyncify.wasm',
        'wasm/tfjs/tfjs-backend-wasm-simd.wasm',
        'wasm/tfjs/tfjs-backend-wasm-threaded-simd.wasm',
        'wasm/tfjs/tfjs-backend-wasm.wasm',
      ]);
      // "AGFzbQ" is base64 of the wasm magic; a chunk over 2 MB would be an inlined binary too
      expect(chunks().filter((c) => c.code!.includes('AGFzbQ') || c.code!.length > 2_000_000).map((c) => c.fileName)).toEqual([]);
    });
  });
});
