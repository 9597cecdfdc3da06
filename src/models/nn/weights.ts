import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../../errors.js';
import { mulberry32 } from '../../random.js';

/**
 * One named float32 tensor of a checkpoint. Structurally the bundle manifest's WeightSpec
 * (bundle/manifest.ts), written again here so models never import the format (STYLE: the on-disk
 * form apart from the runtime classes); TypeScript's structural typing makes the two one type.
 */
export interface WeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32';
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

/** How matrices and embeddings start: Xavier-normal (SASRec.pytorch) or N(0, 0.02²) (RecBole, SASRec+, GPT-2). */
export type WeightInit = 'xavier' | 'normal';

/**
 * Seeded initial values in spec order: 2-D weights from `init`, layer-norm gammas 1, everything
 * else 0, and row 0 (padding) of each table in `paddingRows` zero. One stream over the specs in
 * order, so a seed gives the same weights whatever model lists them.
 */
export function initialWeights(specs: WeightSpec[], seed: number, init: WeightInit, paddingRows: ReadonlySet<string> = new Set()): Map<string, Float32Array> {
  const rnd = mulberry32(seed);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
  const out = new Map<string, Float32Array>();
  for (const s of specs) {
    const v = new Float32Array(specSize(s));
    if (s.name.endsWith('gamma')) v.fill(1);
    else if (s.shape.length === 2) {
      const std = init === 'normal' ? 0.02 : Math.sqrt(2 / (s.shape[0] + s.shape[1]));
      for (let i = 0; i < v.length; i++) v[i] = gauss() * std;
      if (paddingRows.has(s.name)) v.fill(0, 0, s.shape[1]);
    }
    out.set(s.name, v);
  }
  return out;
}

let uid = 0;

/**
 * A model's weights as tf.variables, one per spec, looked up by name. Every model holds one, so
 * bundle I/O (get/setWeights), training access (trainable) and dispose are written once.
 */
export class Params {
  private readonly vars = new Map<string, tf.Variable>();
  private disposed = false;

  /** `scope` prefixes the variable names (unique per instance: tfjs keys gradients by them). */
  constructor(readonly specs: WeightSpec[], values: Map<string, Float32Array>, scope: string) {
    for (const s of specs) {
      const v = values.get(s.name);
      if (!v || v.length !== specSize(s)) throw new MolarError('BAD_INPUT', `initial weight missing or mis-sized`, { field: s.name });
      // the variable takes the tensor's data; the tensor handle itself must go, or it counts as live
      const t = tf.tensor(v, s.shape, 'float32');
      this.vars.set(s.name, tf.variable(t, true, `${scope}/${s.name}/${uid++}`));
      t.dispose();
    }
  }

  /** The weight called `name`; after dispose() a DISPOSED error. */
  get(name: string): tf.Variable {
    const v = this.vars.get(name);
    if (!v) throw new MolarError(this.disposed ? 'DISPOSED' : 'BAD_INPUT', this.disposed ? 'model was disposed' : `no weight ${name}`);
    return v;
  }

  /** trainable variables, in spec order */
  get trainable(): tf.Variable[] {
    return this.specs.map((s) => this.get(s.name));
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  /** Current weights in bundle form (one Float32 blob, spec order). */
  async getWeights(): Promise<WeightBlob> {
    const values = new Map<string, Float32Array>();
    for (const s of this.specs) values.set(s.name, (await this.get(s.name).data()) as Float32Array);
    return packWeights(this.specs, values);
  }

  /** Overwrites weights from bundle form; strict about names and shapes. */
  setWeights(specs: WeightSpec[], data: Float32Array | ArrayBuffer): void {
    const m = unpackWeights(this.specs, specs, data);
    for (const s of this.specs) {
      const t = tf.tensor(m.get(s.name)!, s.shape, 'float32');
      this.get(s.name).assign(t);
      t.dispose();
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const v of this.vars.values()) v.dispose();
    this.vars.clear();
  }
}
