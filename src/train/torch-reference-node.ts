import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { SasrecEntry } from '../bundle/manifest.js';
import type { SasrecBlock, SasrecPositions } from '../models/sasrec/config.js';

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

/** Trains the tiny PyTorch model (`torch_reference.py export`) with that block wiring and position counting into a temp folder and reads it back. */
export function runTorchExport(block: SasrecBlock = 'pre-ln', positions: SasrecPositions = 'from-newest'): TorchExport {
  const out = mkdtempSync(path.join(tmpdir(), 'sasrec-torch-'));
  execFileSync(PY, [path.resolve('bench/torch_reference.py'), 'export', '--out', out, '--block', block, '--positions', positions], { stdio: 'pipe' });
  const entry = JSON.parse(readFileSync(path.join(out, 'entry.json'), 'utf8')) as SasrecEntry;
  const expected = JSON.parse(readFileSync(path.join(out, 'expected.json'), 'utf8')) as TorchExport['expected'];
  const buf = readFileSync(path.join(out, 'sasrec.bin'));
  return { entry, expected, weights: new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)) };
}

/** The export variants the parity tests run: each block wiring, and each position counting. */
export const TORCH_EXPORT_CASES: ReadonlyArray<[SasrecBlock, SasrecPositions]> = [
  ['pre-ln', 'from-newest'],
  ['sasrec', 'from-newest'],
  ['sasrec', 'from-oldest'],
];
