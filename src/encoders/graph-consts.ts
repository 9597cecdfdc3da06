import * as tf from '@tensorflow/tfjs';
import { concatBuffers, weightBytes } from './sources.js';

interface NodeDef {
  name: string;
  op: string;
  input?: string[];
}

/** small int consts are axes, shapes and sizes: what ops read on the CPU as parameters */
const MAX_PARAM_CONST = 64;

/**
 * Gives every consumer of a small int32 Const its own copy of it, in the artifacts of a TF.js graph
 * model (weights appended, nothing else changed).
 *
 * Why: the graph executor reads parameter inputs (an ExpandDims axis, a Reshape shape) with
 * dataSync(), while tfjs-backend-webgpu drops a tensor's CPU copy once a GPU kernel has used it. In
 * USE-lite one Const is both the axis of ExpandDims and an operand of Maximum, so after Maximum
 * runs on the GPU, the axis read becomes a synchronous GPU readback, which WebGPU cannot do (tfjs
 * falls back to a canvas trick that lost the device in Chromium: "A valid external Instance
 * reference no longer exists"). With one copy per consumer, a copy read as a parameter is never
 * uploaded, so it stays on the CPU. Harmless on other backends.
 */
export function unshareSmallConsts(art: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const topo = art.modelTopology as { node?: NodeDef[] } | undefined;
  const specs = art.weightSpecs;
  if (!topo?.node || !specs || !art.weightData) return art;
  const data = new Uint8Array(Array.isArray(art.weightData) ? concatBuffers(art.weightData) : art.weightData);
  const offsets = new Map<string, { spec: tf.io.WeightsManifestEntry; offset: number; bytes: number }>();
  let offset = 0;
  for (const spec of specs) {
    const bytes = weightBytes([spec]);
    offsets.set(spec.name, { spec, offset, bytes });
    offset += bytes;
  }
  // copies: the caller's artifacts stay as they were
  const nodes = topo.node.map((n) => ({ ...n, ...(n.input ? { input: [...n.input] } : {}) }));
  const consumers = new Map<string, { node: NodeDef; slot: number }[]>();
  for (const node of nodes) {
    (node.input ?? []).forEach((inp, slot) => {
      if (inp.startsWith('^')) return; // control dependency: no value flows
      const src = inp.split(':')[0];
      if (!consumers.has(src)) consumers.set(src, []);
      consumers.get(src)!.push({ node, slot });
    });
  }
  const extraNodes: NodeDef[] = [];
  const extraSpecs: tf.io.WeightsManifestEntry[] = [];
  const extraData: Uint8Array[] = [];
  for (const node of nodes) {
    const w = offsets.get(node.name);
    const uses = consumers.get(node.name) ?? [];
    if (node.op !== 'Const' || !w || w.spec.dtype !== 'int32' || tf.util.sizeFromShape(w.spec.shape) > MAX_PARAM_CONST || uses.length < 2) continue;
    uses.slice(1).forEach(({ node: user, slot }, i) => {
      const name = `${node.name}/molar_copy_${i + 1}`;
      extraNodes.push({ ...node, name });
      extraSpecs.push({ ...w.spec, name });
      extraData.push(data.subarray(w.offset, w.offset + w.bytes));
      user.input![slot] = name;
    });
  }
  if (!extraNodes.length) return art;
  const weightData = concatBuffers([data, ...extraData].map((d) => d.slice().buffer));
  return { ...art, modelTopology: { ...topo, node: [...nodes, ...extraNodes] }, weightSpecs: [...specs, ...extraSpecs], weightData };
}
