/**
 * mulberry32: small, fast, seedable; the same stream on every platform, so training runs and the
 * demo data generator are reproducible (Math.random cannot be seeded).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Seeded Fisher–Yates shuffle of `a` in place (and returned): one draw of `rnd` per position, from
 * the end, so a seed gives the same order on every platform.
 */
export function shuffleInPlace<A extends { length: number; [i: number]: unknown }>(a: A, rnd: () => number): A {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}
