#!/usr/bin/env node
// `npm run build:lib` (and `npm pack`, through prepack): the package's library and CLI as ESM
// JavaScript + .d.ts in dist/lib/, compiled by tsc from src/ (tsconfig.lib.json; tests and the
// demo stay out). Two things tsc cannot do are done here, and checked so that neither can rot:
//  - worker module URLs: the training code names its worker modules as `new URL('./x.ts',
//    import.meta.url)` (the checkout runs TypeScript through tsx); in dist/lib they are .js.
//  - plain .mjs files under src/ (the worker boot, which registers tsx before loading the
//    TypeScript worker): dist/lib gets a compiled counterpart from COMPILED_MJS.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '..');
const SRC = path.join(ROOT, 'src');
const OUT = path.join(ROOT, 'dist', 'lib');

/** src/**.mjs → what it becomes in dist/lib (the src file must still load `expects`, or the build fails). */
const COMPILED_MJS = {
  'train/grad-worker-boot.mjs': {
    expects: "import('./grad-worker.ts')",
    compiled: "// Worker entry of the compiled package: the worker is JavaScript already, so no tsx hooks.\nawait import('./grad-worker.js');\n",
  },
};

const walk = (dir) => readdirSync(dir).flatMap((n) => (statSync(path.join(dir, n)).isDirectory() ? walk(path.join(dir, n)) : [path.join(dir, n)]));
const fail = (msg) => {
  console.error(`build:lib: ${msg}`);
  process.exit(1);
};

/** `new URL('./x.ts', import.meta.url)` → `./x.js` where dist has x.js; a .ts URL without one is an error. */
export function rewriteTsUrls(code, file, exists) {
  const missing = [];
  const out = code.replace(/new URL\((['"`])(\.{1,2}\/[^'"`]+)\.ts\1(\s*,\s*import\.meta\.url\s*\))/g, (all, q, spec, tail) => {
    if (!exists(path.resolve(path.dirname(file), `${spec}.js`))) {
      missing.push(`${spec}.ts`);
      return all;
    }
    return `new URL(${q}${spec}.js${q}${tail}`;
  });
  return { code: out, missing };
}

function main() {
  rmSync(OUT, { recursive: true, force: true });
  const tsc = spawnSync(process.execPath, [path.join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', path.join(ROOT, 'tsconfig.lib.json')], { stdio: 'inherit' });
  if (tsc.status !== 0) fail('tsc failed');

  for (const file of walk(OUT).filter((f) => f.endsWith('.js'))) {
    const code = readFileSync(file, 'utf8');
    const { code: next, missing } = rewriteTsUrls(code, file, existsSync);
    if (missing.length) fail(`${path.relative(OUT, file)} names ${missing.join(', ')}, which dist/lib does not have as .js`);
    if (next !== code) writeFileSync(file, next);
  }

  for (const file of walk(SRC).filter((f) => f.endsWith('.mjs'))) {
    const rel = path.relative(SRC, file).split(path.sep).join('/');
    const entry = COMPILED_MJS[rel];
    if (!entry) fail(`src/${rel} has no compiled counterpart: add it to COMPILED_MJS in scripts/build-lib.mjs`);
    if (!readFileSync(file, 'utf8').includes(entry.expects)) fail(`src/${rel} no longer loads ${entry.expects}: update COMPILED_MJS in scripts/build-lib.mjs`);
    writeFileSync(path.join(OUT, rel), entry.compiled);
  }
  console.log(`build:lib: dist/lib written (${walk(OUT).length} files)`);
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main();
