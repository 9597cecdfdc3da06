#!/usr/bin/env node
// `npm start`: serve the demo storefront. With `--bundle /bundles/<name>/` it opens another bundle.
import { existsSync } from 'node:fs';
import { createServer } from 'vite';

const t0 = Date.now();
const args = process.argv.slice(2);
const bundle = args.includes('--bundle') ? args[args.indexOf('--bundle') + 1] : '/bundles/demo/';
if (bundle === '/bundles/demo/' && !existsSync('demo-data/bundle/manifest.json')) {
  console.error('demo-data/bundle is missing; rebuild it with `npm run demo:rebuild`.');
  process.exit(1);
}
console.log('Starting the demo server (the first start pre-bundles tfjs, ~20-40 s)…');
const server = await createServer({ configFile: 'vite.config.ts' });
await server.listen();
const url = `${server.resolvedUrls.local[0]}${bundle === '/bundles/demo/' ? '' : `?bundle=${encodeURIComponent(bundle)}`}`;
console.log(`\nDemo ready in ${((Date.now() - t0) / 1000).toFixed(1)} s: ${url}\nPress Ctrl+C to stop.`);
