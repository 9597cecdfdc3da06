import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { pageModule } from './helpers.js';

type Parity = typeof import('./pages/parity.js');
const PY = '/usr/bin/python3';
const hasTorch = (() => {
  try {
    execFileSync(PY, ['-c', 'import torch'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/**
 * The path for a shop that outgrows one machine: train in PyTorch (bench/torch_reference.py, here a
 * tiny model with a non-default FFN width trained a few steps), export into the bundle format, serve
 * in the browser. The browser's scores must be PyTorch's own, on every backend.
 */
test('weights trained in PyTorch score as in PyTorch (1e-4) on wasm, webgl and webgpu', async ({ page }) => {
  test.skip(!hasTorch, 'needs Debian python3-torch');
  const out = mkdtempSync(path.join(tmpdir(), 'sasrec-torch-e2e-'));
  execFileSync(PY, [path.resolve('bench/torch_reference.py'), 'export', '--out', out], { stdio: 'pipe' });
  const entry = JSON.parse(readFileSync(path.join(out, 'entry.json'), 'utf8'));
  const expected = JSON.parse(readFileSync(path.join(out, 'expected.json'), 'utf8')) as { seq: number[][]; scores: number[][] };
  const buf = readFileSync(path.join(out, 'sasrec.bin'));
  const weights = Array.from(new Float32Array(buf.buffer, buf.byteOffset, buf.byteLength / 4));
  await page.goto('/e2e/pages/blank.html');
  const call = pageModule<Parity>(page, '/e2e/pages/parity.ts');
  for (const b of ['wasm', 'webgl', 'webgpu'] as const) {
    const r = await call('checkpointScores', b, entry, weights, expected.seq);
    expect(r.backend).toBe(b);
    let maxDiff = 0;
    expected.scores.forEach((row, i) => row.forEach((s, j) => (maxDiff = Math.max(maxDiff, Math.abs(r.scores[i][j] - s)))));
    expect(maxDiff, `${b} vs PyTorch`).toBeLessThan(1e-4);
  }
});
