import type { WeightSpec } from '../../bundle/manifest.js';
import { MolarError } from '../../errors.js';

/** Architecture fields that fix the weight shapes. */
export interface SasrecShapeConfig {
  numItems: number;
  maxLen: number;
  hidden: number;
  /** FFN inner width; `hidden` when absent (bundles written before the field existed) */
  ffnInner?: number;
  blocks: number;
  /** adds the scalar `repeat_bias` (absent: false, as in bundles written before the field existed) */
  repeatBias?: boolean;
}

/**
 * The checkpoint contract, in bundle order. Names follow RecBole's state-dict spirit (item_embedding,
 * position_embedding, blocks.N.*) so the PyTorch reference exports by name. Linear weights are stored
 * [in, out] (x · W), i.e. the transpose of torch's nn.Linear.weight.
 */
export function sasrecWeightSpecs(cfg: SasrecShapeConfig): WeightSpec[] {
  const D = cfg.hidden;
  const F = cfg.ffnInner ?? D;
  const specs: WeightSpec[] = [
    { name: 'item_embedding', shape: [cfg.numItems + 1, D], dtype: 'float32' },
    { name: 'position_embedding', shape: [cfg.maxLen, D], dtype: 'float32' },
  ];
  for (let b = 0; b < cfg.blocks; b++) {
    const p = `blocks.${b}.`;
    specs.push(
      { name: `${p}attn_ln.gamma`, shape: [D], dtype: 'float32' },
      { name: `${p}attn_ln.beta`, shape: [D], dtype: 'float32' },
      { name: `${p}attn.qkv.weight`, shape: [D, 3 * D], dtype: 'float32' },
      { name: `${p}attn.qkv.bias`, shape: [3 * D], dtype: 'float32' },
      { name: `${p}attn.out.weight`, shape: [D, D], dtype: 'float32' },
      { name: `${p}attn.out.bias`, shape: [D], dtype: 'float32' },
      { name: `${p}ffn_ln.gamma`, shape: [D], dtype: 'float32' },
      { name: `${p}ffn_ln.beta`, shape: [D], dtype: 'float32' },
      { name: `${p}ffn.w1`, shape: [D, F], dtype: 'float32' },
      { name: `${p}ffn.b1`, shape: [F], dtype: 'float32' },
      { name: `${p}ffn.w2`, shape: [F, D], dtype: 'float32' },
      { name: `${p}ffn.b2`, shape: [D], dtype: 'float32' },
    );
  }
  specs.push({ name: 'final_ln.gamma', shape: [D], dtype: 'float32' }, { name: 'final_ln.beta', shape: [D], dtype: 'float32' });
  if (cfg.repeatBias) specs.push({ name: 'repeat_bias', shape: [1], dtype: 'float32' });
  return specs;
}

export const specSize = (s: WeightSpec): number => s.shape.reduce((a, b) => a * b, 1);

/** Weights in bundle form: specs plus one little-endian Float32 blob, tensors in spec order. */
export interface WeightBlob {
  specs: WeightSpec[];
  data: Float32Array;
}

/** Packs named arrays in `expected` order into one blob (all platforms we target are little-endian). */
export function packWeights(expected: WeightSpec[], values: Map<string, Float32Array>): WeightBlob {
  const total = expected.reduce((n, s) => n + specSize(s), 0);
  const data = new Float32Array(total);
  let off = 0;
  for (const s of expected) {
    const v = values.get(s.name);
    if (!v) throw new MolarError('BAD_INPUT', `weight missing`, { field: s.name });
    if (v.length !== specSize(s)) throw new MolarError('BAD_INPUT', `weight has ${v.length} values, expected ${specSize(s)} for shape [${s.shape}]`, { field: s.name });
    data.set(v, off);
    off += v.length;
  }
  return { specs: expected.map((s) => ({ ...s, shape: [...s.shape] })), data };
}

/**
 * Splits a blob by its specs after checking them strictly against what the architecture needs:
 * a missing, extra, mis-shaped or wrongly typed weight, or a blob of the wrong length, is an error
 * naming the weight (tfjs's loadLayersModel is strict by default for the same reason).
 */
export function unpackWeights(expected: WeightSpec[], given: WeightSpec[], data: Float32Array | ArrayBuffer, file?: string): Map<string, Float32Array> {
  const f32 = data instanceof Float32Array ? data : new Float32Array(data);
  const want = new Map(expected.map((s) => [s.name, s]));
  const seen = new Set<string>();
  for (const s of given) {
    const w = want.get(s.name);
    if (!w) throw new MolarError('BUNDLE_INVALID', `unexpected weight "${s.name}"; expected only ${expected.map((e) => e.name).join(', ')}`, { file, field: s.name });
    if (seen.has(s.name)) throw new MolarError('BUNDLE_INVALID', `weight "${s.name}" listed twice`, { file, field: s.name });
    seen.add(s.name);
    if (s.dtype !== 'float32') throw new MolarError('BUNDLE_INVALID', `weight dtype ${s.dtype}, expected float32`, { file, field: s.name });
    if (s.shape.length !== w.shape.length || s.shape.some((d, i) => d !== w.shape[i])) {
      throw new MolarError('BUNDLE_INVALID', `weight shape [${s.shape}], expected [${w.shape}]`, { file, field: s.name });
    }
  }
  const missing = expected.filter((s) => !seen.has(s.name)).map((s) => s.name);
  if (missing.length) throw new MolarError('BUNDLE_INVALID', `missing weights: ${missing.join(', ')}`, { file, field: missing[0] });
  const total = given.reduce((n, s) => n + specSize(s), 0);
  if (f32.length !== total) throw new MolarError('BUNDLE_INVALID', `weight blob holds ${f32.length} floats, specs need ${total}`, { file });
  const out = new Map<string, Float32Array>();
  let off = 0;
  for (const s of given) {
    out.set(s.name, f32.subarray(off, off + specSize(s)));
    off += specSize(s);
  }
  return out;
}
