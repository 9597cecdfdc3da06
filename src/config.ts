import { MolarError, type MolarErrorCode } from './errors.js';

/**
 * Defaults of the browser-side stages, each written once. Every stage takes its slice; nothing else
 * in the code carries a tuning number. Model hyperparameters live beside each model
 * (models/<kind>/config.ts), RecBole-style, because the CLI and the bundle carry them per model.
 */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export interface RuntimeConfig {
  /** order `auto` tries; the first that initialises wins */
  fallbackOrder: BackendName[];
  /** URL prefix (with trailing slash) where tfjs-backend-wasm *.wasm files are served */
  tfjsWasmPath: string;
  /** URL prefix where onnxruntime-web *.wasm / *.mjs files are served (transformers.js) */
  ortWasmPath: string;
}

export interface HistoryConfig {
  /** IndexedDB database name; every namespace (site / bundle) shares its stores, each row tagged with its namespace */
  dbName: string;
  /**
   * Events kept per namespace. When a write goes past it the oldest events are dropped first
   * (sequence models read only the most recent maxLen items anyway).
   */
  maxEvents: number;
}

export interface ScoreConfig {
  /** items scored per matmul tile; bounds GPU memory for large catalogs */
  tileSize: number;
}

export interface BaselineConfig {
  /** weight of the i-th most recent history item is decay^i */
  recencyDecay: number;
  /** history items considered by the co-occurrence scorer */
  maxHistory: number;
  /** popularity is mixed in at this weight so ties and cold users still rank sensibly */
  popularityWeight: number;
}

/**
 * transformers.js weight files of hf-text:/hf-image: encoders: fp32 = onnx/<file>.onnx,
 * q8 = <file>_quantized.onnx, fp16 = <file>_fp16.onnx, q4 = <file>_q4.onnx.
 */
export const HF_DTYPES = ['fp32', 'fp16', 'q8', 'q4'] as const;
export type HfDtype = (typeof HF_DTYPES)[number];
/** transformers.js devices hf.ts supports (Node: cpu, webgpu where onnxruntime-node has it; browser: wasm, webgpu) */
export const HF_DEVICES = ['webgpu', 'wasm', 'cpu'] as const;
export type HfDevice = (typeof HF_DEVICES)[number];

export interface EncoderConfig {
  /**
   * URL prefix (with trailing slash) the browser loads encoder models from: `<base><encoder id>/` for
   * the built-ins (use-lite, mobilenetv2), `<base><model>/` for hf-text:<model> / hf-image:<model>
   * (it is transformers.js' localModelPath there). Node builds take a folder instead (`molar build --model-dir`).
   */
  modelBaseUrl: string;
  /**
   * Weights of hf-* encoders. A bundle whose item-vectors entry records the dtype it was built with
   * (`encoder.hf.dtype`) overrides this, because cold-start vectors must come from the same weights.
   */
  dtype: HfDtype;
  /** device of hf-* encoders; undefined = transformers.js' own choice (browser wasm, Node cpu) */
  device?: HfDevice;
  /** let transformers.js download missing model files from huggingface.co (off: everything comes from our origin) */
  allowRemoteModels: boolean;
}

export interface MolarConfig {
  runtime: RuntimeConfig;
  history: HistoryConfig;
  score: ScoreConfig;
  baseline: BaselineConfig;
  /** item encoders of cold start (Recommender.addItems); tfjs encoders run on the runtime's backend */
  encoders: EncoderConfig;
}

export const DEFAULT_CONFIG: Readonly<MolarConfig> = Object.freeze({
  runtime: { fallbackOrder: ['webgpu', 'webgl', 'wasm', 'cpu'] as BackendName[], tfjsWasmPath: '/wasm/tfjs/', ortWasmPath: '/wasm/ort/' },
  history: { dbName: 'molar-history', maxEvents: 500 },
  score: { tileSize: 8192 },
  baseline: { recencyDecay: 0.8, maxHistory: 20, popularityWeight: 1e-3 },
  // fp32 by default: transformers.js alone would pick q8 on wasm, and then page-side vectors would
  // not come from the weights the bundle (built in Node, fp32) was encoded with
  encoders: { modelBaseUrl: '/models/', dtype: 'fp32' as HfDtype, allowRemoteModels: false },
});

/**
 * Deep-merge a partial config over the defaults (one level of sections is all we have). The
 * encoders section is checked, since its values go on to file names and URLs: a bad one is a
 * BAD_CONFIG naming `encoders.<field>`.
 */
export function resolveConfig(partial: DeepPartial<MolarConfig> = {}): MolarConfig {
  const out = structuredClone(DEFAULT_CONFIG) as MolarConfig;
  for (const key of Object.keys(partial) as (keyof MolarConfig)[]) {
    Object.assign(out[key], partial[key]);
  }
  const e = out.encoders;
  if (typeof e.modelBaseUrl !== 'string' || e.modelBaseUrl === '') {
    throw new MolarError('BAD_CONFIG', `expected a non-empty URL prefix, got ${JSON.stringify(e.modelBaseUrl)}`, { field: 'encoders.modelBaseUrl' });
  }
  oneOf(e.dtype, HF_DTYPES, 'encoders.dtype');
  if (e.device !== undefined) oneOf(e.device, HF_DEVICES, 'encoders.device');
  if (typeof e.allowRemoteModels !== 'boolean') {
    throw new MolarError('BAD_CONFIG', `expected true or false, got ${JSON.stringify(e.allowRemoteModels)}`, { field: 'encoders.allowRemoteModels' });
  }
  return out;
}

/**
 * `value` if it is one of `allowed`, else a MolarError naming `field` and the allowed values. Shared
 * by the config, the CLI flags (`--dtype`, code BAD_INPUT) and bundle manifests (BUNDLE_INVALID).
 */
export function oneOf<T extends string>(value: unknown, allowed: readonly T[], field: string, code: MolarErrorCode = 'BAD_CONFIG'): T {
  if (typeof value === 'string' && (allowed as readonly string[]).includes(value)) return value as T;
  throw new MolarError(code, `expected one of ${allowed.join(', ')}, got ${JSON.stringify(value)}`, { field });
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };
