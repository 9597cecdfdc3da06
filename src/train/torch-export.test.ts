import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { SasrecModel } from '../models/sasrec/model.js';

const PY = '/usr/bin/python3';
const hasTorch = (() => {
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasTorch)('PyTorch → bundle export (bench/torch_reference.py)', () => {
  it('weights trained in PyTorch give the same scores in tfjs within 1e-4', async () => {
    await tf.setBackend('cpu');
    const out = mkdtempSync(path.join(tmpdir(), 'sasrec-torch-'));
    execFileSync(PY, [path.resolve('bench/torch_reference.py'), 'export', '--out', out], { stdio: 'pipe' });
    const entry = JSON.parse(readFileSync(path.join(out, 'entry.json'), 'utf8'));
    const expected = JSON.parse(readFileSync(path.join(out, 'expected.json'), 'utf8')) as { seq: number[][]; scores: number[][] };
    const buf = readFileSync(path.join(out, 'sasrec.bin'));
    const model = SasrecModel.fromEntry(entry, buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), 'sasrec.bin');
    const seq = tf.tensor2d(expected.seq, undefined, 'int32');
    const scores = model.fullSortPredict(seq).arraySync();
    let maxDiff = 0;
    expected.scores.forEach((row, b) => row.forEach((s, i) => (maxDiff = Math.max(maxDiff, Math.abs(scores[b][i] - s)))));
    expect(maxDiff).toBeLessThan(1e-4);
    // and the weights were really trained, not the init: scores differ from a fresh model's
    const fresh = new SasrecModel({ ...entry.config, numNegatives: 10 });
    const f = fresh.fullSortPredict(seq).arraySync();
    expect(Math.abs(f[0][1] - scores[0][1])).toBeGreaterThan(1e-3);
    seq.dispose();
    model.dispose();
    fresh.dispose();
  }, 60_000);
});
