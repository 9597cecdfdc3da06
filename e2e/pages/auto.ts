/** Page side of auto-backend.spec.ts: how `auto` chooses on this browser's (software) GPUs. */
import { Recommender } from '../../src/recommender/index.js';
import type { BackendChoice, DeepPartial, MolarConfig } from '../../src/config.js';

/** Loads the demo bundle and times a few warm recommend() calls (logged by the spec, asserted nowhere). */
export async function load(backend: BackendChoice, namespace: string, config: DeepPartial<MolarConfig> = {}) {
  const t0 = performance.now();
  const rec = await Recommender.load({ bundleUrl: '/bundles/demo/', backend, namespace, config });
  const loadMs = performance.now() - t0;
  await rec.clearHistory();
  for (const [i, itemId] of ['st-1f600', 'st-1f923', 'st-1f602'].entries()) await rec.record({ itemId, ts: 1_000 + i });
  await rec.recommend({ k: 8 });
  const times: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t = performance.now();
    await rec.recommend({ k: 8 });
    times.push(performance.now() - t);
  }
  const report = rec.backendReport;
  rec.dispose();
  return { report, loadMs, recommendMs: times.sort((a, b) => a - b)[2] };
}
