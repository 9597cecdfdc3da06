/** Served by Vite to tabs.spec.ts: one tab's share of a shopper clicking in several tabs at once. */
import { Recommender } from '../../src/recommender/index.js';

// the popularity model: record() and the history are the same whatever the bundle serves, and five
// loads of its served Molar blend on the cpu backend were half of this test's time on a loaded machine
const load = (namespace: string, maxEvents = 10_000) => Recommender.load({ bundleUrl: '/bundles/demo/', backend: 'cpu', model: 'popularity', namespace, config: { history: { maxEvents } } });

export async function clear(namespace: string): Promise<void> {
  const rec = await load(namespace);
  await rec.clearHistory();
  rec.dispose();
}

/** Records `n` clicks stamped `ts = i * tabs + tab`, so the tabs' clicks interleave in time; returns the rejections. */
export async function clicks(namespace: string, tab: number, tabs: number, n: number, maxEvents?: number): Promise<string[]> {
  const rec = await load(namespace, maxEvents);
  const ids = rec.items.map((it) => it.id);
  const rejected: string[] = [];
  for (let i = 0; i < n; i++) {
    await rec.record({ itemId: ids[(i * tabs + tab) % ids.length], type: 'click', ts: i * tabs + tab }).catch((e: Error) => rejected.push(`${e.name}: ${e.message}`));
    // let the other tabs' transactions in between ours
    if (i % 25 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  rec.dispose();
  return rejected;
}

export async function stored(namespace: string, maxEvents?: number): Promise<number[]> {
  const rec = await load(namespace, maxEvents);
  const ts = (await rec.events()).map((e) => e.ts);
  rec.dispose();
  return ts;
}
