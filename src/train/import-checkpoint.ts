/**
 * A SASRec checkpoint trained elsewhere (PyTorch: bench/torch_reference.py's `Sasrec` names and
 * lays out its weights as ours, and its `export` writes this folder form) read for a bundle:
 * `<dir>/entry.json` (a sasrec manifest entry: config + weight specs) and `<dir>/sasrec.bin` (the
 * little-endian Float32 blob in spec order). Catalogs too large to train here train there, on a
 * GPU, and come in through `molar train --from-checkpoint <dir>`.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { SasrecEntry } from '../bundle/manifest.js';
import { MolarError } from '../errors.js';
import { architectureOf } from '../models/sasrec/config.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { SASREC_FILE } from './build-step.js';

/** The checkpoint's entry (architecture re-derived, weights checked strictly) and blob, for a bundle of `numItems` items. */
export async function readSasrecCheckpoint(dir: string, numItems: number): Promise<{ entry: SasrecEntry; data: Float32Array }> {
  const entryFile = path.join(dir, 'entry.json');
  const blobFile = path.join(dir, SASREC_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(entryFile, 'utf8'));
  } catch (e) {
    throw new MolarError('BAD_INPUT', `cannot read a checkpoint entry: ${(e as Error).message}`, { file: entryFile, cause: e });
  }
  const given = raw as Partial<SasrecEntry>;
  if (typeof raw !== 'object' || raw === null || given.kind !== 'sasrec' || typeof given.config !== 'object' || !Array.isArray(given.weights)) {
    throw new MolarError('BAD_INPUT', 'expected a sasrec entry: { kind: "sasrec", config: {…}, weights: [{ name, shape, dtype }] }', { file: entryFile, field: 'kind' });
  }
  const trainedFor = (given.config as Record<string, unknown>).numItems;
  if (trainedFor !== numItems) {
    throw new MolarError('BAD_INPUT', `the checkpoint was trained for ${JSON.stringify(trainedFor)} items, the bundle has ${numItems} (item ids must be the bundle's: 1..numItems in items.json order)`, { file: entryFile, field: 'config.numItems' });
  }
  const bytes = await readFile(blobFile).catch((e: Error) => {
    throw new MolarError('BAD_INPUT', `cannot read the checkpoint's weights: ${e.message}`, { file: blobFile, cause: e });
  });
  if (bytes.byteLength % 4 !== 0) throw new MolarError('BAD_INPUT', `${bytes.byteLength} bytes is not a whole number of float32 values`, { file: blobFile });
  const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  // fromEntry refuses missing, extra, mis-shaped and non-finite weights, naming them
  const model = SasrecModel.fromEntry({ config: given.config as Record<string, unknown>, weights: given.weights }, data, blobFile);
  try {
    const trainedWith = given.trainedWith ?? { loss: model.config.loss, epochs: 0 };
    return { entry: { kind: 'sasrec', files: [SASREC_FILE], config: architectureOf(model.config), weights: model.specs.map((s) => ({ ...s, shape: [...s.shape] })), trainedWith }, data };
  } finally {
    model.dispose();
  }
}
