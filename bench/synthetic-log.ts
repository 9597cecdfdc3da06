/**
 * A seeded synthetic click log for any catalog size (issue 24's catalog-scale training), generated,
 * never committed. What it is, so figures on it can be read:
 * - items 1..N in topics of TOPIC consecutive ids; popularity Zipf(ZIPF) over a seeded shuffle of
 *   the ids (a few items get most clicks, as in shops; most of a 1M catalog is rarely seen);
 * - each user's history: 5 + a geometric count (mean `meanLength` in all), capped at 200;
 * - each next click: with probability STAY an item of the previous click's topic (uniform within
 *   it: the sequential signal a model can learn), else a popularity draw.
 * One seed, one log: the same arguments give the same sequences on every machine.
 */
import type { CatalogItem, Interaction } from '../src/data/types.js';
import { mulberry32, shuffleInPlace } from '../src/random.js';

export const TOPIC = 50;
export const ZIPF = 1.05;
export const STAY = 0.6;

export interface SyntheticLogOptions {
  items: number;
  users: number;
  /** mean events per user (≥ 6) */
  meanLength?: number;
  seed?: number;
}

/** Users' histories as internal item ids (1..items), oldest first. */
export function syntheticLog({ items, users, meanLength = 20, seed = 24 }: SyntheticLogOptions): Int32Array[] {
  const rnd = mulberry32(seed);
  // popularity rank r → item id: a seeded shuffle, so popular items are spread over the topics
  const byRank = shuffleInPlace(Int32Array.from({ length: items }, (_, i) => i + 1), rnd);
  const cdf = new Float64Array(items);
  let total = 0;
  for (let r = 0; r < items; r++) cdf[r] = total += 1 / (r + 1) ** ZIPF;
  const popular = () => {
    const x = rnd() * total;
    let lo = 0;
    let hi = items - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cdf[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return byRank[lo];
  };
  const extra = Math.max(1, meanLength - 5);
  return Array.from({ length: users }, () => {
    let n = 5;
    while (n < 200 && rnd() > 1 / extra) n++;
    const seq = new Int32Array(n);
    let item = popular();
    for (let t = 0; t < n; t++) {
      if (t > 0) {
        const topic = Math.floor((item - 1) / TOPIC);
        item = rnd() < STAY ? Math.min(items, topic * TOPIC + 1 + Math.floor(rnd() * TOPIC)) : popular();
      }
      seq[t] = item;
    }
    return seq;
  });
}

/**
 * The same log as a shop's files would hold it (for benches that run the CLI as a user would):
 * users `u<n>`, items `i<id>` with a catalog row each (title, topic attribute), one event per click
 * with increasing timestamps.
 */
export function syntheticShop(o: SyntheticLogOptions): { interactions: Interaction[]; catalog: CatalogItem[] } {
  const seqs = syntheticLog(o);
  const interactions: Interaction[] = [];
  let ts = 1_600_000_000;
  seqs.forEach((seq, u) => seq.forEach((item) => interactions.push({ user: `u${u}`, item: `i${item}`, ts: ts++ })));
  const catalog = Array.from({ length: o.items }, (_, i) => ({ id: `i${i + 1}`, title: `Item ${i + 1}`, attributes: { topic: `t${Math.floor(i / TOPIC)}` } }));
  return { interactions, catalog };
}
