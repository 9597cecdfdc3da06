import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { SasrecModel } from '../models/sasrec/model.js';
import { runTorchExport, TORCH_EXPORT_CASES, torchAvailable } from './torch-reference-node.js';

describe.skipIf(!torchAvailable)('PyTorch → bundle export (bench/torch_reference.py)', () => {
  it.each(TORCH_EXPORT_CASES)('weights trained in PyTorch (%s block, positions %s) give the same scores in tfjs within 1e-4', async (block, positions) => {
    await tf.setBackend('cpu');
    const { entry, expected, weights } = runTorchExport(block, positions);
    expect(entry.config.block).toBe(block);
    expect(entry.config.positions).toBe(positions);
    const model = SasrecModel.fromEntry(entry, weights, 'sasrec.bin');
    const seq = tf.tensor2d(expected.seq, undefined, 'int32');
    const scores = model.fullSortPredict(seq).arraySync();
    let maxDiff = 0;
    expected.scores.forEach((row, b) => row.forEach((s, i) => (maxDiff = Math.max(maxDiff, Math.abs(scores[b][i] - s)))));
    expect(maxDiff).toBeLessThan(1e-4);
    // and the weights were really trained, not the init: scores differ from a fresh model's
    const fresh = new SasrecModel({ ...(entry.config as { numItems: number }), numNegatives: 10 });
    const f = fresh.fullSortPredict(seq).arraySync();
    expect(Math.abs(f[0][1] - scores[0][1])).toBeGreaterThan(1e-3);
    seq.dispose();
    model.dispose();
    fresh.dispose();
  }, 60_000);
});
