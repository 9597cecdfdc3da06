import { resolve } from 'node:path';
import { defineConfig } from 'vite';

/**
 * `npm run build:widget` → dist/widget/molar-recs.js: the one script a storefront adds
 * (`<script type="module" src="/molar-recs.js">`). The wasm and webgpu backends stay separate
 * chunks loaded only when the runtime reaches them; serve the folder as a whole.
 */
export default defineConfig({
  publicDir: false,
  build: {
    outDir: 'dist/widget',
    emptyOutDir: true,
    lib: { entry: resolve(import.meta.dirname, 'src/widget/index.ts'), formats: ['es'], fileName: () => 'molar-recs.js' },
  },
});
