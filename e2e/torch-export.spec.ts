import { expect, test } from '@playwright/test';
import { runTorchExport, TORCH_EXPORT_CASES, torchAvailable } from '../src/train/torch-reference-node.js';
import { pageModule } from './helpers.js';

type Parity = typeof import('./pages/parity.js');

/**
 * The path for a shop that outgrows one machine: train in PyTorch (bench/torch_reference.py, here a
 * tiny model with a non-default FFN width trained a few steps), export into the bundle format, serve
 * in the browser. The browser's scores must be PyTorch's own, on every backend.
 */
test('weights trained in PyTorch score as in PyTorch (1e-4) on wasm, webgl and webgpu, for each block wiring and position counting', async ({ page }) => {
  test.skip(!torchAvailable, 'needs Debian python3-torch');
  await page.goto('/e2e/pages/blank.html');
  const call = pageModule<Parity>(page, '/e2e/pages/parity.ts');
  for (const [block, positions] of TORCH_EXPORT_CASES) {
    const { entry, expected, weights } = runTorchExport(block, positions);
    for (const b of ['wasm', 'webgl', 'webgpu'] as const) {
      const r = await call('checkpointScores', b, entry, Array.from(weights), expected.seq);
      expect(r.backend).toBe(b);
      let maxDiff = 0;
      expected.scores.forEach((row, i) => row.forEach((s, j) => (maxDiff = Math.max(maxDiff, Math.abs(r.scores[i][j] - s)))));
      expect(maxDiff, `${block} block, positions ${positions}, ${b} vs PyTorch`).toBeLessThan(1e-4);
    }
  }
});
