import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { unshareSmallConsts } from './graph-consts.js';
import { useNodeBackend } from './node.js';
import { loadArtifacts } from './sources.js';
import { dirFiles, useLiteDir } from './sources-node.js';

type Node = { name: string; op: string; input?: string[] };
const nodesOf = (a: tf.io.ModelArtifacts) => (a.modelTopology as { node: Node[] }).node;

/** Const names with an int32 weight of ≤ 64 values that feed more than one input slot */
function sharedSmallConsts(a: tf.io.ModelArtifacts): string[] {
  const small = new Set(a.weightSpecs!.filter((w) => w.dtype === 'int32' && w.shape.reduce((x, y) => x * y, 1) <= 64).map((w) => w.name));
  const uses = new Map<string, number>();
  for (const n of nodesOf(a)) for (const i of n.input ?? []) if (!i.startsWith('^')) uses.set(i.split(':')[0], (uses.get(i.split(':')[0]) ?? 0) + 1);
  return [...small].filter((n) => (uses.get(n) ?? 0) > 1);
}

describe('unshareSmallConsts (USE-lite graph)', () => {
  let art: tf.io.ModelArtifacts;
  beforeAll(async () => {
    await useNodeBackend('wasm');
    art = await loadArtifacts(dirFiles(useLiteDir()));
  });

  it('gives each consumer of a small int32 Const its own copy, leaves the input artifacts alone, and computes the same vectors', async () => {
    const before = JSON.stringify(art.modelTopology);
    const shared = sharedSmallConsts(art);
    expect(shared.length).toBeGreaterThan(0); // the case that broke WebGPU exists in this graph
    const out = unshareSmallConsts(art);
    expect(sharedSmallConsts(out)).toEqual([]);
    expect(JSON.stringify(art.modelTopology)).toBe(before);
    expect(out.weightSpecs!.length).toBeGreaterThan(art.weightSpecs!.length);

    const inputs = () => ({ indices: tf.tensor2d([0, 0, 0, 1, 1, 0], [3, 2], 'int32'), values: tf.tensor1d([120, 453, 77], 'int32') });
    const run = async (a: tf.io.ModelArtifacts) => {
      const m = await tf.loadGraphModel(tf.io.fromMemory(a));
      const x = inputs();
      const y = (await m.executeAsync(x)) as tf.Tensor;
      const v = await y.data();
      tf.dispose([y, x.indices, x.values]);
      m.dispose();
      return v;
    };
    const [a, b] = [await run(art), await run(out)];
    expect(b.length).toBe(2 * 512);
    for (let i = 0; i < a.length; i++) expect(b[i]).toBeCloseTo(a[i], 6);
  }, 60_000);
});
