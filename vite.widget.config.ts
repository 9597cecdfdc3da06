import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defaultClientConditions, defineConfig, type Plugin } from 'vite';

const ROOT = import.meta.dirname;
const SRC = resolve(ROOT, 'src');
const ENTRY = resolve(SRC, 'widget/index.ts');

/**
 * Fails the build if Node-only code (src/train/, src/cli/, *-node.ts) reached the widget: a
 * storefront must never download the trainer. src/walls.test.ts checks the same on every test run.
 */
function browserOnly(): Plugin {
  return {
    name: 'molar-browser-only',
    generateBundle(_options, bundle) {
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        const bad = chunk.moduleIds.filter((id) => id.startsWith(SRC) && (/[\\/]src[\\/](train|cli)[\\/]/.test(id) || /-node\.ts(\?|$)/.test(id)));
        if (bad.length) this.error(`Node-only modules in widget chunk ${chunk.fileName}: ${bad.map((id) => id.slice(SRC.length + 1)).join(', ')}`);
        // widget/index.ts finds wasm/ from its own import.meta.url: it must sit in the root-level script
        if (chunk.moduleIds.includes(ENTRY) && chunk.fileName !== 'molar-recs.js') this.error(`src/widget/index.ts landed in ${chunk.fileName}, not molar-recs.js: its wasm paths would be wrong`);
      }
    },
  };
}

/** tfjs-core with its chained ops (`t.sum()`, which library code uses), as the umbrella registers them. */
const TF_CORE = '\0molar-tf-core';
const CORE_SOURCE = ["import '@tensorflow/tfjs-core/dist/public/chained_ops/register_all_chained_ops';", "export * from '@tensorflow/tfjs-core';"];
/** The tfjs the encoders of cold start need: core plus layers (MobileNetV2) and converter (USE-lite graph). */
const TF_ENCODERS = '\0molar-tf-encoders';
/** Files that need more of tfjs than tfjs-core; they are reached only by a dynamic import (encoders/registry.ts). */
const NEEDS_LAYERS_OR_CONVERTER = /[\\/]src[\\/]encoders[\\/](mobilenet|use-lite|graph-consts)\.ts$/;

/**
 * Library code imports the `@tensorflow/tfjs` umbrella (Node, tests and the dev server want all of
 * it), but the umbrella registers the cpu and webgl backends and pulls in layers, converter and
 * data on import: ~250 KB gzip a storefront would load before its first card. In the widget,
 * `@tensorflow/tfjs` means tfjs-core; runtime/backend.ts imports each backend when its walk
 * reaches it, and the cold-start encoders get core + layers + converter in their own lazy chunk.
 * A name that tfjs-core lacks (tf.loadGraphModel in a file not listed above) fails the build
 * instead of being undefined in the shopper's page (see `onLog` below).
 */
function tfjsCoreOnly(): Plugin {
  return {
    name: 'molar-tfjs-core-only',
    enforce: 'pre',
    async resolveId(source, importer) {
      if (source !== '@tensorflow/tfjs') return null;
      return importer && NEEDS_LAYERS_OR_CONVERTER.test(importer) ? TF_ENCODERS : TF_CORE;
    },
    // a tfjs name the widget's tfjs-core does not export would be undefined at run time: refuse it
    onLog(_level, log) {
      if (log.code === 'IMPORT_IS_UNDEFINED' || log.code === 'MISSING_EXPORT') this.error(`${log.message} (the widget maps @tensorflow/tfjs to tfjs-core: see tfjsCoreOnly in vite.widget.config.ts)`);
    },
    load(id) {
      if (id === TF_CORE) return CORE_SOURCE.join('\n');
      if (id === TF_ENCODERS) return [...CORE_SOURCE, "export * from '@tensorflow/tfjs-layers';", "export * from '@tensorflow/tfjs-converter';"].join('\n');
      return null;
    },
  };
}

/**
 * The wasm binaries the page fetches at run time, copied as files (never inlined): tfjs-backend-wasm's
 * three (it picks one by SIMD / threads support) under wasm/tfjs/, and onnxruntime-web's asyncify
 * build under wasm/ort/ (the glue .mjs and its .wasm, the pair its webgpu entry loads), used only by
 * hf-* cold-start encoders. The widget's defaults point at these folders (src/widget/index.ts).
 */
export const WASM_ASSETS: { dir: string; from: string; files: RegExp }[] = [
  { dir: 'wasm/tfjs/', from: 'node_modules/@tensorflow/tfjs-backend-wasm/dist', files: /\.wasm$/ },
  { dir: 'wasm/ort/', from: 'node_modules/onnxruntime-web/dist', files: /^ort-wasm-simd-threaded\.asyncify\.(mjs|wasm)$/ },
];

function wasmFiles(): Plugin {
  return {
    name: 'molar-wasm-files',
    generateBundle() {
      for (const { dir, from, files } of WASM_ASSETS) {
        const names = readdirSync(resolve(ROOT, from)).filter((n) => files.test(n));
        if (!names.length) this.error(`no files matching ${files} in ${from}`);
        for (const name of names) this.emitFile({ type: 'asset', fileName: `${dir}${name}`, source: readFileSync(resolve(ROOT, from, name)) });
      }
    },
  };
}

/**
 * `npm run build:widget` → dist/widget/: molar-recs.js, the one script a storefront adds
 * (`<script type="module" src="/molar-recs.js">`), chunks/ (the backends, the cold-start
 * encoders and transformers.js, each loaded only when reached) and wasm/. Serve the folder as a
 * whole. An app build, not library mode: library mode inlines every asset as base64, which put
 * onnxruntime's 27 MB wasm inside the transformers.js chunk. `npm run bench:widget-size` measures it.
 */
export default defineConfig({
  publicDir: false,
  // chunk preloads resolve against molar-recs.js's own URL, so the folder can live at any path
  base: './',
  plugins: [browserOnly(), tfjsCoreOnly(), wasmFiles()],
  // the built widget finds wasm/ next to molar-recs.js (src/widget/index.ts reads this)
  define: { 'import.meta.env.MOLAR_WIDGET_BUILD': 'true' },
  resolve: {
    // onnxruntime-web's own condition for "load the .wasm from wasmPaths": without it, its webgpu
    // entry references the wasm through new URL(…, import.meta.url) and the bundler copies 27 MB in
    conditions: ['onnxruntime-web-use-extern-wasm', ...defaultClientConditions],
  },
  build: {
    outDir: 'dist/widget',
    emptyOutDir: true,
    target: 'es2022',
    manifest: true,
    // nothing is inlined: wasm stays a file the page fetches
    assetsInlineLimit: 0,
    // transformers.js is one ~530 KB chunk, loaded only by hf-* cold start; the eager budget is
    // what counts and scripts/widget-size.ts measures it
    chunkSizeWarningLimit: 600,
    rolldownOptions: {
      input: ENTRY,
      // keep the entry's exports (MolarRecs, defineMolarRecs, recommenderFor) for `import` users
      preserveEntrySignatures: 'exports-only',
      output: { entryFileNames: 'molar-recs.js', chunkFileNames: 'chunks/[name]-[hash].js', assetFileNames: 'assets/[name]-[hash][extname]' },
    },
  },
});
