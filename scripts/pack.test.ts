import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/**
 * The package as a shop installs it: `npm pack` (prepack builds dist/lib and dist/widget), the
 * tarball installed into a fresh folder from the npm cache alone (`npm install --offline <tgz>`,
 * or where the cache lacks registry metadata `npm ci --offline` over a lockfile: consumerLock),
 * then used from
 * Node, from TypeScript, through `npx molar`, and from a Vite app. Nothing here reads src/: the
 * installed package has none, so this is the compiled library, its .d.ts and the compiled CLI.
 */
const ROOT = path.resolve(import.meta.dirname, '..');
const npmWorks = spawnSync('npm', ['--version'], { encoding: 'utf8' }).status === 0;
// npm pack runs two builds and the install unpacks ~180 packages: minutes on a loaded 2-core machine
const SLOW = 600_000;

/**
 * A lockfile for a shop that depends on the tarball alone: our lock's non-dev packages, which are
 * exactly the tarball's dependency tree, under a root that names the tarball. `npm install
 * --offline <tgz>` cannot work from the cache alone, since resolving a version range needs each
 * package's registry metadata, which the npm cache does not keep for packages installed from a
 * lockfile; with a lockfile, `npm ci --offline` needs only the tarballs, which it has.
 */
function consumerLock(consumer: { name: string; dependencies: Record<string, string> }, spec: string, tgzFile: string): object {
  const ours = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { lockfileVersion: number; packages: Record<string, Record<string, unknown>> };
  const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as Record<string, unknown>;
  const packages: Record<string, unknown> = { '': { name: consumer.name, dependencies: consumer.dependencies } };
  packages['node_modules/molar-web'] = {
    version: pkg.version,
    resolved: spec,
    integrity: `sha512-${createHash('sha512').update(readFileSync(tgzFile)).digest('base64')}`,
    license: pkg.license,
    dependencies: pkg.dependencies,
    bin: pkg.bin,
    engines: pkg.engines,
  };
  for (const [where, entry] of Object.entries(ours.packages)) if (where !== '' && !entry.dev) packages[where] = entry;
  return { name: consumer.name, lockfileVersion: ours.lockfileVersion, requires: true, packages };
}

function run(cmd: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', env: { ...process.env, FORCE_COLOR: '0', ...env }, maxBuffer: 64 << 20, timeout: SLOW });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} (in ${cwd}) exited ${r.status ?? r.signal}:\n${out.slice(-4000)}`);
  return out;
}

describe.skipIf(!npmWorks)('the packed package, installed offline into a fresh folder', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'molar-pack-'));
  const app = path.join(tmp, 'app');
  let installLog = '';
  let installedBy = '';

  beforeAll(() => {
    run('npm', ['pack', '--pack-destination', tmp], ROOT);
    const tgz = readdirSync(tmp).filter((f) => f.endsWith('.tgz'));
    expect(tgz).toHaveLength(1);
    mkdirSync(app);
    // what a shop's own package.json would say: onnxruntime-node's install script only fetches
    // CUDA libraries (its CPU build ships in the package), so it is denied, as in ours
    const spec = `file:../${tgz[0]}`;
    const consumer = {
      name: 'some-shop',
      private: true,
      type: 'module',
      dependencies: { 'molar-web': spec },
      allowScripts: { 'onnxruntime-node': false, 'core-js': false, protobufjs: true, esbuild: true },
    };
    // ONNXRUNTIME_NODE_INSTALL=skip is onnxruntime-node's own switch, for an npm without allowScripts
    const env = { ONNXRUNTIME_NODE_INSTALL: 'skip' };
    writeFileSync(path.join(app, 'package.json'), JSON.stringify({ ...consumer, dependencies: {} }, null, 2));
    try {
      installLog = run('npm', ['install', '--offline', '--no-audit', '--no-fund', path.join(tmp, tgz[0])], app, env);
      installedBy = 'npm install --offline <tgz>';
    } catch (e) {
      if (!/ENOTCACHED/.test((e as Error).message)) throw e;
      writeFileSync(path.join(app, 'package.json'), JSON.stringify(consumer, null, 2));
      writeFileSync(path.join(app, 'package-lock.json'), JSON.stringify(consumerLock(consumer, spec, path.join(tmp, tgz[0])), null, 2));
      installLog = run('npm', ['ci', '--offline', '--no-audit', '--no-fund'], app, env);
      installedBy = 'npm ci --offline (lockfile from ours)';
    }
  }, SLOW);

  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const pkgDir = () => path.join(app, 'node_modules', 'molar-web');

  it('holds the built library, its types, the CLI and the widget build, and no TypeScript sources', () => {
    expect(installedBy).not.toBe('');
    expect(installLog).not.toMatch(/EBADENGINE|Unknown project config|install scripts not yet covered/);
    for (const f of ['dist/lib/index.js', 'dist/lib/index.d.ts', 'dist/lib/widget/index.js', 'dist/lib/cli/main.js', 'dist/lib/train/grad-worker-boot.mjs', 'bin/molar.js', 'dist/widget/molar-recs.js']) {
      expect(existsSync(path.join(pkgDir(), f)), f).toBe(true);
    }
    expect(readdirSync(path.join(pkgDir(), 'dist/widget/wasm/tfjs')).filter((f) => f.endsWith('.wasm'))).toHaveLength(3);
    expect(existsSync(path.join(pkgDir(), 'src'))).toBe(false);
    // the compiled worker boot loads compiled JS, not TypeScript through tsx (a devDependency)
    const boot = readFileSync(path.join(pkgDir(), 'dist/lib/train/grad-worker-boot.mjs'), 'utf8');
    expect(boot).not.toContain('tsx/esm/api');
    expect(boot).toContain("import('./grad-worker.js')");
    expect(existsSync(path.join(app, 'node_modules', 'tsx'))).toBe(false);
  });

  it('imports in plain Node (ESM, no bundler, no TypeScript loader)', () => {
    const script = [
      "import { resolveConfig, MolarError, selectBackend } from 'molar-web';",
      'const c = resolveConfig({ history: { maxEvents: 7 } });',
      "if (c.history.maxEvents !== 7 || c.runtime.tfjsWasmPath !== '/wasm/tfjs/') throw new Error('bad config ' + JSON.stringify(c));",
      "try { resolveConfig({ history: { maxEvents: 0 } }); throw new Error('not refused'); } catch (e) { if (!(e instanceof MolarError) || e.code !== 'BAD_CONFIG') throw e; }",
      "const r = await selectBackend('cpu');",
      'console.log(JSON.stringify({ ok: true, backend: r.backend }));',
    ].join('\n');
    const out = run(process.execPath, ['--input-type=module', '-e', script], app);
    expect(out).toContain('{"ok":true,"backend":"cpu"}');
  }, SLOW);

  it('type-checks against the shipped .d.ts (Node16 module resolution, through the exports map)', () => {
    writeFileSync(
      path.join(app, 'shop.ts'),
      [
        "import { resolveConfig, type MolarConfig, type Recommender } from 'molar-web';",
        "import { MolarRecs, configFromAttributes } from 'molar-web/widget';",
        'const c: MolarConfig = resolveConfig();',
        'const tileSize: number = c.score.tileSize;',
        "export const partial = configFromAttributes((n) => (n === 'tfjs-wasm-path' ? '/cdn/' : null));",
        'export type R = Recommender;',
        'export { MolarRecs, tileSize };',
        // a wrong type must fail: this line proves the check reads real declarations, not `any`
        '// @ts-expect-error maxEvents is a number',
        "resolveConfig({ history: { maxEvents: 'many' } });",
      ].join('\n'),
    );
    const tsconfig = { compilerOptions: { module: 'node16', moduleResolution: 'node16', target: 'es2022', strict: true, noEmit: true, skipLibCheck: true, lib: ['es2023', 'dom'], types: [] }, files: ['shop.ts'] };
    writeFileSync(path.join(app, 'tsconfig.json'), JSON.stringify(tsconfig));
    run(process.execPath, [path.join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', app], app);
  }, SLOW);

  it('runs `npx molar --help` from the compiled CLI', () => {
    const out = run('npx', ['--no-install', 'molar', '--help'], app);
    expect(out).toMatch(/Usage: molar/);
    for (const command of ['build', 'train', 'eval', 'quantize']) expect(out).toContain(command);
  }, SLOW);

  it('builds a bundle and trains SASRec on two worker threads with the compiled CLI (worker modules are .js there)', () => {
    const shop = path.join(ROOT, 'src/cli/fixtures/shop');
    const out = path.join(tmp, 'bundle');
    run('npx', ['--no-install', 'molar', 'build', '--catalog', path.join(shop, 'catalog.csv'), '--interactions', path.join(shop, 'interactions.csv'), '--out', out, '--no-train'], app);
    const t = run('npx', ['--no-install', 'molar', 'train', '--bundle', out, '--interactions', path.join(shop, 'interactions.csv'), '--epochs', '1', '--workers', '2', '--batch-size', '4'], app);
    expect(t).toMatch(/trained sasrec \(ce\) on wasm: 1 epochs?/); // a 10-item shop: full softmax (adaptive defaults)
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as { models: { kind: string }[] };
    expect(manifest.models.map((m) => m.kind)).toContain('sasrec');
  }, SLOW);

  it('builds a Vite app that imports molar-web/widget', () => {
    writeFileSync(path.join(app, 'index.html'), '<!doctype html><html><body><script type="module" src="./main.js"></script></body></html>');
    writeFileSync(path.join(app, 'main.js'), "import { MolarRecs } from 'molar-web/widget';\nconsole.log(customElements.get('molar-recs') === MolarRecs);\n");
    run(process.execPath, [path.join(ROOT, 'node_modules/vite/bin/vite.js'), 'build', '--logLevel', 'warn', '--outDir', 'out'], app);
    const js = readdirSync(path.join(app, 'out', 'assets')).filter((f) => f.endsWith('.js'));
    expect(js.length).toBeGreaterThan(0);
    // the element's definition made it into the app's own build
    expect(js.some((f) => readFileSync(path.join(app, 'out', 'assets', f), 'utf8').includes('molar-recs'))).toBe(true);
  }, SLOW);
});
