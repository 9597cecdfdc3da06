/** What the in-page benches report per timed call: the first call, then the median of the warm ones. */
export interface Timing {
  first_ms: number;
  warm_ms: number;
}

/** The first call's ms, then the median of `warm` more. */
export async function time(fn: () => Promise<unknown>, warm: number): Promise<Timing> {
  let t = performance.now();
  await fn();
  const first = performance.now() - t;
  const runs: number[] = [];
  for (let i = 0; i < warm; i++) {
    t = performance.now();
    await fn();
    runs.push(performance.now() - t);
  }
  runs.sort((a, b) => a - b);
  return { first_ms: first, warm_ms: runs[Math.floor(runs.length / 2)] ?? first };
}
