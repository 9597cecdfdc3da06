import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { buildBundle, type BuildStep } from '../bundle/build.js';
import type { Manifest, MolarEntry, SasrecEntry } from '../bundle/manifest.js';
import { buildSequences } from '../data/sequences.js';
import { FLOAT_ITEM_VECTORS, ITEM_VECTORS_FILE } from '../encoders/build-step-node.js';
import { itemsStep } from '../items/build-step-node.js';
import { ItemVectorStore } from '../items/store.js';
import { createScorer } from '../score/registry.js';
import { DEFAULT_CONFIG } from '../config.js';
import { SASREC_FILE, SASREC_TRAINED, sasrecStep } from './build-step.js';
import { molarStep } from './molar-build-step.js';

const N = 12;
const ids = Array.from({ length: N }, (_, i) => `i${i}`);
// 16 users walking a ring of 12 items in steps of one or two
const rows = Array.from({ length: 16 }, (_, u) => Array.from({ length: 7 }, (_, t) => ({ user: `u${u}`, item: ids[(u + t * (1 + (u % 2))) % N] }))).flat();
const catalog = ids.map((id) => ({ id }));
/** text-only item vectors: each item's angle on the ring */
const vectors: BuildStep = {
  name: 'item-vectors',
  async run(ctx) {
    const dim = 4;
    const data = new Float32Array(N * dim);
    for (let i = 0; i < N; i++) {
      const a = (2 * Math.PI * i) / N;
      data.set([Math.cos(a), Math.sin(a), Math.cos(2 * a), Math.sin(2 * a)], i * dim);
    }
    const m = { data, rows: N, dim };
    ctx.put(FLOAT_ITEM_VECTORS, m);
    ctx.files.set(ITEM_VECTORS_FILE, { data: new Uint8Array(ItemVectorStore.fromItems(m).toArrayBuffer()) });
    ctx.models.push({ kind: 'item-vectors', files: [ITEM_VECTORS_FILE], encoder: { id: 'fake', dim, modality: 'text' }, dim });
  },
};
const sasrec = () => sasrecStep({ config: { maxLen: 6, hidden: 8, blocks: 1, heads: 1, maxEpochs: 2, batchSize: 8, loss: 'ce' }, workers: 1, progress: false });
const joint = () => molarStep({ config: { blocks: 1, heads: 1 }, train: { order: 'joint', maxEpochs: 2, batchSize: 8 }, workers: 1, progress: false });

describe('the molar build step, order joint', () => {
  it('writes the jointly trained SASRec as sasrec.bin (its entry says so) and the bundle serves both', async () => {
    const dataset = buildSequences(rows, catalog, { name: 'ring' });
    let alone: Float32Array | undefined;
    const before: BuildStep = { name: 'before', after: ['sasrec'], async run(ctx) { alone = ctx.get(SASREC_TRAINED).weights.data.slice(); } };
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'molar-joint-step-')), 'b');
    const m: Manifest = await buildBundle({ out, dataset, catalog, steps: [itemsStep(), vectors, sasrec(), before, joint()] });
    const file = new Float32Array(Uint8Array.from(readFileSync(path.join(out, SASREC_FILE))).buffer);
    expect(file.length).toBe(alone!.length);
    expect(file.some((v, i) => Math.abs(v - alone![i]) > 1e-4)).toBe(true); // trained on, not the SASRec trained alone
    const entry = m.models.find((x): x is SasrecEntry => x.kind === 'sasrec')!;
    expect(entry.trainedWith?.settings).toMatchObject({ trainedJointlyWith: 'molar', jointEpochs: expect.any(Number) });
    expect(entry.trainedWith?.valid).toBeUndefined();
    const molar = m.models.find((x): x is MolarEntry => x.kind === 'molar')!;
    await tf.setBackend('cpu');
    const readFile = async (name: string) => Uint8Array.from(readFileSync(path.join(out, name))).buffer as ArrayBuffer;
    for (const e of [entry, molar]) {
      const s = await createScorer({ manifest: m, entry: e, readFile, config: DEFAULT_CONFIG });
      const [row] = await s.score([Int32Array.of(1, 2, 3)]);
      expect(row.length).toBe(N + 1);
      expect(row.slice(1).every(Number.isFinite)).toBe(true);
      s.dispose();
    }
  }, 60_000);

  it('refuses order joint in a build without the sasrec step', async () => {
    const dataset = buildSequences(rows, catalog, { name: 'ring' });
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'molar-joint-step-')), 'b');
    await expect(buildBundle({ out, dataset, catalog, steps: [itemsStep(), vectors, joint()] })).rejects.toThrow(/order joint trains the SASRec this build trains/);
  }, 30_000);
});
