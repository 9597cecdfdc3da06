/**
 * A SASRec that `bench:molar --save-sasrec <file>` trained (JSON: config, weight specs, weights as
 * a number array, minutes, curve) as the folder `molar train --from-checkpoint <dir>` imports
 * (entry.json: a sasrec entry; sasrec.bin: the little-endian Float32 blob in spec order), so a long
 * bench run's SASRec can serve as a bundle's first stage. The ids are the preset's as bench:molar
 * loaded them, which are the bundle's for a bundle built from the same preset; the import checks
 * numItems and every weight's shape.
 *
 *   npx tsx bench/sasrec-checkpoint.ts /tmp/sasrec-ml1m-42.json /tmp/sasrec-ml1m-42-ckpt
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { SasrecEntry } from '../src/bundle/manifest.js';
import { architectureOf, type SasrecConfig } from '../src/models/sasrec/config.js';
import { SASREC_FILE } from '../src/train/build-step.js';

const [from, dir] = process.argv.slice(2);
if (!from || !dir) throw new Error('usage: tsx bench/sasrec-checkpoint.ts <saved.json> <out dir>');
const saved = JSON.parse(readFileSync(from, 'utf8')) as { config: SasrecConfig; weights: SasrecEntry['weights']; data: number[]; minutes?: number; curve?: { epoch: number }[] };
const data = Float32Array.from(saved.data);
const entry: Omit<SasrecEntry, 'files'> & { files: string[] } = {
  kind: 'sasrec',
  files: [SASREC_FILE],
  config: architectureOf(saved.config),
  weights: saved.weights,
  trainedWith: { loss: String(saved.config.loss), epochs: saved.curve?.at(-1)?.epoch ?? 0, settings: { trainedBy: 'bench:molar --save-sasrec', minutes: Number((saved.minutes ?? 0).toFixed(1)) } },
};
mkdirSync(dir, { recursive: true });
writeFileSync(path.join(dir, 'entry.json'), JSON.stringify(entry));
writeFileSync(path.join(dir, SASREC_FILE), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
process.stdout.write(`${path.join(dir, 'entry.json')} + ${SASREC_FILE}: ${saved.weights.length} weights, ${data.length} values, ${entry.trainedWith!.settings!.minutes} min\n`);
