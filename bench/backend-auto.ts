/**
 * `npm run bench:backend-auto`: what `backend: 'auto'` costs and gives on this machine's headless
 * Chromium (the e2e launch options; WebGPU and WebGL run on SwiftShader here). For each choice, a
 * fresh browser context loads the demo bundle (e2e/pages/auto.ts: Recommender.load, then the median
 * of 5 warm recommend() calls); `auto` is loaded twice in its context, the second time on the
 * timings cached in IndexedDB. → bench/results/backend-auto.json, rows "backend-auto".
 */
import { pageModule } from '../e2e/helpers.js';
import type { BackendChoice } from '../src/config.js';
import { startBenchBrowser } from './browser-harness.js';
import { BENCH_DATE, BENCH_MACHINE, recordBench, type BenchRow } from './record.js';

type Auto = typeof import('../e2e/pages/auto.js');

const harness = await startBenchBrowser();
const { origin, browser } = harness;
const rows: BenchRow[] = [];
try {
  for (const choice of ['auto', 'wasm', 'webgpu', 'webgl'] as BackendChoice[]) {
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${origin}/e2e/pages/blank.html`);
    const call = pageModule<Auto>(page, '/e2e/pages/auto.ts');
    const runs = choice === 'auto' ? ['first visit', 'cached'] : ['first visit'];
    for (const visit of runs) {
      const r = await call('load', choice, `bench-${choice}`);
      const c = r.report.choice;
      process.stderr.write(`${choice} (${visit}): ${r.report.backend}, load ${r.loadMs.toFixed(0)} ms, recommend ${r.recommendMs.toFixed(1)} ms${c ? `; ${c.why}` : ''}\n`);
      rows.push({
        benchmark: 'backend-auto',
        dataset: 'demo bundle (demo-data/bundle)',
        model: `backend ${choice} → ${r.report.backend} (${visit})`,
        metrics: { load_ms: Math.round(r.loadMs), recommend_ms: +r.recommendMs.toFixed(1), ...Object.fromEntries(Object.entries(c?.timings ?? {}).map(([b, ms]) => [`op_ms_${b}`, +ms!.toFixed(2)])) },
        command: 'npm run bench:backend-auto',
        date: BENCH_DATE,
        machine: `${BENCH_MACHINE}, headless Chromium (SwiftShader WebGPU/WebGL)`,
        ...(c && { why: c.why, op: c.op }),
      });
    }
    await context.close();
  }
} finally {
  await harness.close();
}
await recordBench('backend-auto', rows, (r) => {
  const m = r.metrics as Record<string, number>;
  const ops = Object.entries(m).filter(([k]) => k.startsWith('op_ms_')).map(([k, v]) => `${k.slice(6)} ${v} ms`);
  return `Recommender.load ${m.load_ms} ms, recommend() median ${m.recommend_ms} ms${ops.length ? `; scoring op measured: ${ops.join(', ')}` : ''}`;
});
