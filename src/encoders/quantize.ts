import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import { weightBytes } from './sources.js';

/**
 * Affine uint8 quantization of tfjs weights, in the form tfjs already reads at load time:
 * each float32 spec gets `quantization: {dtype: 'uint8', min, scale}` and its bytes become
 * q = round((v - min) / scale), decoded as q * scale + min. `min` is nudged onto the grid so 0.0
 * stays exact when the range holds it (zero padding and masked biases do not drift).
 * int32 tensors (shapes, indices) and already-quantized specs are copied unchanged.
 */
export function quantizeArtifactsUint8(art: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const specs = art.weightSpecs ?? [];
  const data = new Uint8Array(asArrayBuffer(art.weightData));
  const outSpecs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  let off = 0;
  for (const s of specs) {
    const n = s.shape.reduce((a, b) => a * b, 1);
    const bytes = weightBytes([s]);
    const src = data.subarray(off, off + bytes);
    off += bytes;
    if (s.dtype !== 'float32' || s.quantization) {
      outSpecs.push(s);
      chunks.push(src);
      continue;
    }
    const v = new Float32Array(src.slice().buffer, 0, n);
    let min = Infinity, max = -Infinity;
    for (let i = 0; i < n; i++) {
      if (v[i] < min) min = v[i];
      if (v[i] > max) max = v[i];
    }
    if (n === 0) min = max = 0;
    const scale = max > min ? (max - min) / 255 : 1;
    // nudge only when 0 lies inside the range: forcing 0 into an all-positive range (BN variances)
    // would waste the grid where the values are
    const qmin = min < 0 && max > 0 ? -Math.round(-min / scale) * scale : min;
    const q = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      const x = Math.round((v[i] - qmin) / scale);
      q[i] = x < 0 ? 0 : x > 255 ? 255 : x;
    }
    outSpecs.push({ ...s, quantization: { dtype: 'uint8', min: qmin, scale } });
    chunks.push(q);
  }
  if (off !== data.byteLength) throw new MolarError('BAD_INPUT', `weight specs cover ${off} bytes but the weight data has ${data.byteLength}`);
  return { ...art, weightSpecs: outSpecs, weightData: concat(chunks) };
}

/** Expands quantized specs back to float32 (tfjs's own decoder does the dequantization). */
export function dequantizeArtifacts(art: tf.io.ModelArtifacts): tf.io.ModelArtifacts {
  const named = tf.io.decodeWeights(asArrayBuffer(art.weightData), art.weightSpecs ?? []);
  const specs: tf.io.WeightsManifestEntry[] = [];
  const chunks: Uint8Array[] = [];
  for (const s of art.weightSpecs ?? []) {
    const t = named[s.name];
    const vals = t.dataSync();
    specs.push({ name: s.name, shape: s.shape, dtype: s.dtype });
    chunks.push(new Uint8Array(vals.buffer.slice(vals.byteOffset, vals.byteOffset + vals.byteLength)));
  }
  Object.values(named).forEach((t) => t.dispose());
  return { ...art, weightSpecs: specs, weightData: concat(chunks) };
}

function asArrayBuffer(d: tf.io.ModelArtifacts['weightData']): ArrayBuffer {
  if (!d) throw new MolarError('BAD_INPUT', 'model artifacts carry no weight data');
  if (d instanceof ArrayBuffer) return d;
  return concat((d as ArrayBuffer[]).map((b) => new Uint8Array(b)));
}

function concat(chunks: Uint8Array[]): ArrayBuffer {
  const out = new Uint8Array(chunks.reduce((s, c) => s + c.byteLength, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.byteLength;
  }
  return out.buffer;
}
