import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SasrecEntry } from '../bundle/manifest.js';
import type { SasrecBlock } from '../models/sasrec/config.js';

/** Debian's python3 with python3-torch: what bench/torch_reference.py runs on. */
const PY = '/usr/bin/python3';

/** Whether bench/torch_reference.py can run here (tests that need it skip otherwise). */
export const torchAvailable: boolean = (() => {
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export interface TorchExport {
  entry: SasrecEntry;
  /** the checkpoint blob (sasrec.bin) */
  weights: Float32Array;
  /** inputs and PyTorch's own full-catalog scores for them */
  expected: { seq: number[][]; scores: number[][] };
}

/** Trains the tiny PyTorch model (`torch_reference.py export`) with that block wiring into a temp folder and reads it back. */
export function runTorchExport(block: SasrecBlock = 'pre-ln'): TorchExport {
  const out = mkdtempSync(path.join(tmpdir(), 'sasrec-torch-'));
  execFileSync(PY, [path.resolve('bench/torch_reference.py'), 'export', '--out', out, '--block', block], { stdio: 'pipe' });
  const entry = JSON.parse(readFileSync(path.join(out, 'entry.json'), 'utf8')) as SasrecEntry;
  const expected = JSON.parse(readFileSync(path.join(out, 'expected.json'), 'utf8')) as TorchExport['expected'];
  const buf = readFileSync(path.join(out, 'sasrec.bin'));
  return { entry, expected, weights: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) };
}
