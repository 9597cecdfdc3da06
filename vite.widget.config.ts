import { resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

const SRC = resolve(import.meta.dirname, 'src');

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
      }
    },
  };
}

/**
 * `npm run build:widget` → dist/widget/molar-recs.js: the one script a storefront adds
 * (`<script type="module" src="/molar-recs.js">`). The wasm and webgpu backends stay separate
 * chunks loaded only when the runtime reaches them; serve the folder as a whole.
 */
export default defineConfig({
  publicDir: false,
  plugins: [browserOnly()],
  build: {
    outDir: 'dist/widget',
    emptyOutDir: true,
    lib: { entry: resolve(import.meta.dirname, 'src/widget/index.ts'), formats: ['es'], fileName: () => 'molar-recs.js' },
  },
});
