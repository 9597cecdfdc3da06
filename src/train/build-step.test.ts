import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBundle, type BuildStep } from '../bundle/build.js';
import type { SasrecEntry } from '../bundle/manifest.js';
import { buildSequences } from '../data/sequences.js';
import { itemsStep } from '../items/build-step-node.js';
import { SASREC_FILE, SASREC_TRAINED, sasrecStep } from './build-step.js';
import type { TrainSasrecResult } from './sasrec.js';

const ids = Array.from({ length: 8 }, (_, i) => `i${i}`);
// 12 users walking the catalog in steps of one or two: enough for a leave-one-out split
const rows = Array.from({ length: 12 }, (_, u) => Array.from({ length: 6 }, (_, t) => ({ user: `u${u}`, item: ids[(u + t * (1 + (u % 2))) % 8] }))).flat();
const catalog = ids.map((id) => ({ id }));

describe('the sasrec build step', () => {
  it('puts the kept checkpoint for the steps after it: the weights written to sasrec.bin, and their config', async () => {
    const dataset = buildSequences(rows, catalog, { name: 'toy' });
    let trained: TrainSasrecResult | undefined;
    const align: BuildStep = { name: 'align', after: ['sasrec'], async run(ctx) { trained = ctx.get(SASREC_TRAINED); } };
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'molar-sasrec-step-')), 'b');
    const config = { maxLen: 6, hidden: 8, blocks: 1, heads: 1, maxEpochs: 1, batchSize: 8, numNegatives: 4 };
    await buildBundle({ out, dataset, catalog, steps: [align, itemsStep(), sasrecStep({ config, workers: 1, progress: false })] });
    expect(trained?.config).toMatchObject({ numItems: 8, ...config });
    const file = new Float32Array(Uint8Array.from(readFileSync(path.join(out, SASREC_FILE))).buffer);
    expect(file).toEqual(trained!.weights.data);
    expect(trained!.weights.specs.map((s) => s.name)).toContain('item_embedding');
  }, 30_000);

  it('trains within the build\'s --minutes (trainMinutes) and records every epoch in trainedWith.history', async () => {
    const dataset = buildSequences(rows, catalog, { name: 'toy' });
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'molar-sasrec-budget-')), 'b');
    const config = { maxLen: 6, hidden: 8, blocks: 1, heads: 1, maxEpochs: 100_000, patience: 100_000, batchSize: 8, numNegatives: 4 };
    let trained: TrainSasrecResult | undefined;
    const after: BuildStep = { name: 'after', after: ['sasrec'], async run(ctx) { trained = ctx.get(SASREC_TRAINED); } };
    const MINUTES = 0.05;
    const m = await buildBundle({ out, dataset, catalog, trainMinutes: MINUTES, steps: [after, itemsStep(), sasrecStep({ config, workers: 1, progress: false })] });
    expect(trained!.stoppedBy).toBe('timeBudget');
    // the loop's slack (README, "Time budgets"): a step or a validation longer than the last one measured, on a busy machine
    expect(trained!.wallMs).toBeLessThanOrEqual(MINUTES * 60_000 + 500);
    const entry = m.models.find((x): x is SasrecEntry => x.kind === 'sasrec')!;
    expect(entry.trainedWith!.history!.map((e) => e.epoch)).toEqual(trained!.history.map((e) => e.epoch));
    expect(entry.trainedWith!.history![0]).toEqual({ epoch: 1, loss: trained!.history[0].loss, validNdcg10: trained!.history[0].validNdcg10, minutes: trained!.history[0].minutes, epochSeconds: trained!.history[0].epochMs / 1000 });
  }, 30_000);
});
