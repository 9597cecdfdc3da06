import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { dequantizeArtifacts, quantizeArtifactsUint8 } from './quantize.js';
import { weightBytes } from './sources.js';

function artifacts(values: Record<string, number[]>, ints: Record<string, number[]> = {}): tf.io.ModelArtifacts {
  const specs: tf.io.WeightsManifestEntry[] = [];
  const parts: ArrayBuffer[] = [];
  for (const [name, v] of Object.entries(values)) {
    specs.push({ name, shape: [v.length], dtype: 'float32' });
    parts.push(new Float32Array(v).buffer);
  }
  for (const [name, v] of Object.entries(ints)) {
    specs.push({ name, shape: [v.length], dtype: 'int32' });
    parts.push(new Int32Array(v).buffer);
  }
  const bytes = new Uint8Array(parts.reduce((s, p) => s + p.byteLength, 0));
  let o = 0;
  for (const p of parts) (bytes.set(new Uint8Array(p), o), (o += p.byteLength));
  return { modelTopology: {}, weightSpecs: specs, weightData: bytes.buffer };
}

describe('uint8 weight quantization', () => {
  it('is 4x smaller on float weights, keeps int32 exact, keeps 0 exact, errors within scale/2', () => {
    const w = Array.from({ length: 1000 }, (_, i) => Math.sin(i) * 3 - 0.5);
    w[10] = 0;
    const art = artifacts({ w, pos: [0.5, 2, 30], flat: [0.25, 0.25] }, { shape: [7, -1, 3] });
    const q = quantizeArtifactsUint8(art);
    expect(weightBytes(q.weightSpecs!)).toBe(1000 + 3 + 2 + 12);
    expect(q.weightSpecs![0].quantization?.dtype).toBe('uint8');
    expect(q.weightSpecs![3].quantization).toBeUndefined();
    const back = tf.io.decodeWeights(q.weightData as ArrayBuffer, q.weightSpecs!);
    const wb = back.w.dataSync();
    const scale = q.weightSpecs![0].quantization!.scale!;
    expect(scale).toBeCloseTo(6 / 255, 3);
    expect(wb[10]).toBe(0);
    for (let i = 0; i < w.length; i++) expect(Math.abs(wb[i] - w[i])).toBeLessThanOrEqual(scale / 2 + 1e-6);
    // an all-positive tensor keeps its own range (not forced down to 0) and its end points
    const pb = back.pos.dataSync();
    expect(pb[0]).toBeCloseTo(0.5, 5);
    expect(pb[2]).toBeCloseTo(30, 4);
    expect(Array.from(back.flat.dataSync())).toEqual([0.25, 0.25]);
    expect(Array.from(back.shape.dataSync())).toEqual([7, -1, 3]);
    Object.values(back).forEach((t) => t.dispose());
  });

  it('dequantize expands uint8 specs back to float32 that re-quantize to the same bytes', () => {
    const q = quantizeArtifactsUint8(artifacts({ w: [-1, -0.2, 0, 0.7, 2] }));
    const f = dequantizeArtifacts(q);
    expect(f.weightSpecs![0].quantization).toBeUndefined();
    expect((f.weightData as ArrayBuffer).byteLength).toBe(20);
    const q2 = quantizeArtifactsUint8(f);
    expect(Array.from(new Uint8Array(q2.weightData as ArrayBuffer))).toEqual(Array.from(new Uint8Array(q.weightData as ArrayBuffer)));
  });
});
