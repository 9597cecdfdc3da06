/**
 * A synthetic shop of any size, for speed benchmarks where no public log has the shape asked for
 * (50,000 users, a catalog of tens of thousands of items). Not for accuracy claims: the structure is
 * ours, so only timings and "the model learns something" are meaningful on it.
 *
 * How it is made (seeded, mulberry32): items fall into `clusters` groups (item i in cluster
 * i mod clusters) and are Zipf-popular (weight 1/(rank+1)^0.8 in a seeded random order). Each user
 * has a history length 3 + a geometric draw with mean `meanLength - 3`, capped at `maxLength`; the
 * first item is drawn by popularity, and each next item with probability `stay` from the current
 * item's cluster (by popularity within it), else from the whole catalog: a sequential signal that a
 * next-item model can pick up and that popularity cannot.
 */
import { mulberry32 } from '../src/random.js';
import type { CatalogItem, Interaction } from '../src/data/types.js';

export interface SyntheticLogSpec {
  users: number;
  items: number;
  meanLength?: number;
  maxLength?: number;
  clusters?: number;
  stay?: number;
  seed?: number;
}

export function syntheticLog(spec: SyntheticLogSpec): { interactions: Interaction[]; catalog: CatalogItem[] } {
  const { users, items, meanLength = 9, maxLength = 200, clusters = Math.max(1, Math.round(items / 100)), stay = 0.7, seed = 1 } = spec;
  const rand = mulberry32(seed);
  const order = Array.from({ length: items }, (_, i) => i);
  for (let i = items - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const weight = new Float64Array(items);
  order.forEach((item, rank) => (weight[item] = 1 / Math.pow(rank + 1, 0.8)));
  const global = sampler(Array.from({ length: items }, (_, i) => i), weight, rand);
  const members: number[][] = Array.from({ length: clusters }, () => []);
  for (let i = 0; i < items; i++) members[i % clusters].push(i);
  const inCluster = members.map((m) => sampler(m, weight, rand));
  const pGeo = 1 / Math.max(1, meanLength - 3 + 1);
  const interactions: Interaction[] = [];
  for (let u = 0; u < users; u++) {
    let len = 3;
    while (len < maxLength && rand() > pGeo) len++;
    let cur = global();
    let ts = 1_600_000_000 + u;
    for (let t = 0; t < len; t++) {
      interactions.push({ user: `u${u}`, item: `i${cur}`, ts: ts++ });
      cur = rand() < stay ? inCluster[cur % clusters]() : global();
    }
  }
  const catalog: CatalogItem[] = Array.from({ length: items }, (_, i) => ({ id: `i${i}`, title: `Item ${i}`, attributes: { cluster: `c${i % clusters}` } }));
  return { interactions, catalog };
}

/** Draws from `ids` with probability ∝ weight[id] (cumulative table + binary search). */
function sampler(ids: number[], weight: Float64Array, rand: () => number): () => number {
  const cum = new Float64Array(ids.length);
  let s = 0;
  ids.forEach((id, i) => (cum[i] = s += weight[id]));
  return () => {
    const x = rand() * s;
    let lo = 0;
    let hi = ids.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cum[mid] < x) lo = mid + 1;
      else hi = mid;
    }
    return ids[lo];
  };
}
