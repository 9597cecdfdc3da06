#!/usr/bin/env node
// `npm run demo:ml1m`: build a local (untracked) bundle from ../shared/data/ml-1m and serve the demo on it.
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';

if (!existsSync('../shared/data/ml-1m')) {
  console.error('../shared/data/ml-1m is not here; the demo on the embedded sticker shop is `npm start`.');
  process.exit(1);
}
if (!existsSync('bundles/ml1m/manifest.json')) {
  // SASRec training on ML-1M takes far longer than a demo start: the co-occurrence model serves
  // here; `npx molar train --bundle bundles/ml1m --preset ml-1m` adds SASRec afterwards.
  const r = spawnSync('node', ['bin/molar.js', 'build', '--preset', 'ml-1m', '--out', 'bundles/ml1m', '--no-train', '--all-data'], { stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
}
spawnSync('node', ['scripts/start.mjs', '--bundle', '/bundles/ml1m/'], { stdio: 'inherit' });
