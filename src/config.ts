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

export interface MolarConfig {
  runtime: RuntimeConfig;
  history: HistoryConfig;
  score: ScoreConfig;
  baseline: BaselineConfig;
}

export const DEFAULT_CONFIG: Readonly<MolarConfig> = Object.freeze({
  runtime: { fallbackOrder: ['webgpu', 'webgl', 'wasm', 'cpu'] as BackendName[], tfjsWasmPath: '/wasm/tfjs/', ortWasmPath: '/wasm/ort/' },
  history: { dbName: 'molar-history', maxEvents: 500 },
  score: { tileSize: 8192 },
  baseline: { recencyDecay: 0.8, maxHistory: 20, popularityWeight: 1e-3 },
});

/** Deep-merge a partial config over the defaults (one level of sections is all we have). */
export function resolveConfig(partial: DeepPartial<MolarConfig> = {}): MolarConfig {
  const out = structuredClone(DEFAULT_CONFIG) as MolarConfig;
  for (const key of Object.keys(partial) as (keyof MolarConfig)[]) {
    Object.assign(out[key], partial[key]);
  }
  return out;
}

export type DeepPartial<T> = { [K in keyof T]?: T[K] extends object ? Partial<T[K]> : T[K] };
