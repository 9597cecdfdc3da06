/**
 * Served by Vite to faults.spec.ts and gpu-crash.spec.ts: one Recommender per page on the demo
 * bundle, a recommend() the spec starts and finishes in separate steps (so the device can be lost,
 * or the GPU process crashed from the DevTools protocol, while it is in flight), and what happened.
 */
import type { BackendName } from '../../src/config.js';
import { Recommender } from '../../src/recommender/index.js';
import { loseDeviceForTesting } from '../../src/runtime/backend.js';
import type { MolarWarning } from '../../src/warnings.js';

interface Outcome {
  ok?: { id: string; score: number }[];
  error?: { name: string; code?: string; message: string };
}

let rec: Recommender | undefined;
let inFlight: Promise<Outcome> | undefined;
const changes: { backend: string; lost: unknown }[] = [];
const warnings: MolarWarning[] = [];

const top = (): Promise<Outcome> =>
  rec!.recommend({ k: 10 }).then(
    (r) => ({ ok: r.map((x) => ({ id: x.item.id, score: x.score })) }),
    (e: { name?: string; code?: string; message?: string }) => ({ error: { name: String(e?.name), code: e?.code, message: String(e?.message ?? e) } }),
  );

/** Loads on the first of `order` that starts, with `history` recorded; returns the ranking there. */
export async function setUp(order: BackendName[], history: string[], namespace: string, model?: string) {
  rec = await Recommender.load({ bundleUrl: '/bundles/demo/', backend: 'auto', model, namespace, config: { runtime: { fallbackOrder: order, pick: 'first' } }, onWarning: (w) => warnings.push(w) });
  rec.addEventListener('backendchange', (e) => changes.push((e as CustomEvent).detail));
  await rec.clearHistory();
  for (const [i, itemId] of history.entries()) await rec.record({ itemId, ts: 1_000 + i });
  return { backend: rec.backend, reference: await top() };
}

/** Starts a recommend() and, `loseAfterMs` later (-1: never), loses the device from the page (WEBGL_lose_context / GPUDevice.destroy). */
export async function startRecommend(loseAfterMs = -1): Promise<boolean> {
  inFlight = top();
  if (loseAfterMs < 0) return false;
  if (loseAfterMs > 0) await new Promise((r) => setTimeout(r, loseAfterMs));
  return loseDeviceForTesting();
}

/** Waits for the recommend() in flight, then runs one more; reports both, the backend changes and the history. */
export async function finish() {
  const inflight = await inFlight!;
  const next = await top();
  const out = { inflight, next, backend: rec!.backend, changes: changes.map((c) => ({ backend: c.backend, lost: c.lost })), events: (await rec!.events()).map((e) => e.itemId), warnings: warnings.map((w) => w.code) };
  rec!.dispose();
  return out;
}

/** Records `n` events through the Recommender under whatever quota the spec set; what came back. */
export async function recordMany(namespace: string, n: number) {
  rec = await Recommender.load({ bundleUrl: '/bundles/demo/', backend: 'cpu', namespace, config: { history: { maxEvents: 10_000 } }, onWarning: (w) => warnings.push(w) });
  await rec.clearHistory();
  const ids = rec.items.slice(0, 50).map((it) => it.id);
  const rejected: string[] = [];
  for (let i = 0; i < n; i++) await rec.record({ itemId: ids[i % ids.length], ts: 1_000 + i }).catch((e: Error) => rejected.push(`${e.name}: ${e.message}`));
  const kept = (await rec.events()).map((e) => e.ts - 1_000);
  const out = { kept, rejected, persistent: rec.persistent, warnings: warnings.map((w) => ({ code: w.code, message: w.message })) };
  rec.dispose();
  return out;
}
