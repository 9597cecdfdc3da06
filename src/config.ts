import { MolarError, type MolarErrorCode } from './errors.js';

/**
 * Defaults of the browser-side stages, each written once. Every stage takes its slice; nothing else
 * in the code carries a tuning number. Model hyperparameters live beside each model
 * (models/<kind>/config.ts), RecBole-style, because the CLI and the bundle carry them per model.
 */
export type BackendName = 'webgpu' | 'webgl' | 'wasm' | 'cpu';
export type BackendChoice = 'auto' | BackendName;

export interface RuntimeConfig {
  /** order `auto` tries (and breaks timing ties by) */
  fallbackOrder: BackendName[];
  /**
   * how `auto` chooses among the backends that run: 'fastest' times the scoring op at the bundle's
   * shape on each and serves on the fastest (runtime/backend.ts; cached per browser version),
   * 'first' keeps the first in fallbackOrder that passes its smoke test
   */
  pick: 'fastest' | 'first';
  /**
   * software adapters (SwiftShader, llvmpipe, a WebGPU fallback adapter) and cpu: 'last-resort'
   * starts them only when no hardware backend runs; 'compete' lets them be chosen like the rest
   * (tests that drill GPU-device loss on a machine with no GPU)
   */
  software: 'last-resort' | 'compete';
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
  /**
   * candidates the re-ranker sees: recommend({ k }) takes the top max(k, rerankDepth) of the
   * fused scores, re-ranks them and keeps k (score/rerank.ts). The default re-ranker keeps the order.
   */
  rerankDepth: number;
  /**
   * items added with addItems() that the served model cannot score itself get a content score from
   * a recency-weighted mean of the history's item vectors: each earlier item weighs this times the
   * next one (score/fuse.ts)
   */
  contentRecencyDecay: number;
  /**
   * how a dot-product model's item table (SASRec's) is held for serving (score/item-table.ts):
   * 'float32' as [D, S] shards on the backend, 'int8' rows with a per-row scale scored in JS (a
   * quarter of the memory), 'auto' int8 once the fp32 table passes INT8_ABOVE_BYTES (64 MiB,
   * 262,144 items at D 64), where a page would hold hundreds of MiB for one table
   */
  itemTable: ItemTableChoice;
}

export const ITEM_TABLE_CHOICES = ['auto', 'float32', 'int8'] as const;
export type ItemTableChoice = (typeof ITEM_TABLE_CHOICES)[number];

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

/** MLLM-MSR's providers per stage: 'default' needs no generative model (the bundle's), 'generative' a transformers.js one */
export const MSR_PROVIDERS = ['default', 'generative'] as const;
export type MsrProvider = (typeof MSR_PROVIDERS)[number];

/** A transformers.js model by id or path, as the generative providers load it (offline, encoders/hf.ts). */
export interface GenModelConfig {
  /** model id (a folder under localModelPath) or path */
  model: string;
  /** URL prefix (page) or folder (Node) holding `<model>/`; default encoders.modelBaseUrl */
  localModelPath?: string;
  /** default: transformers.js' own (page: wasm, Node: cpu) */
  device?: HfDevice;
  /** weights file (HF_DTYPES); default fp32 */
  dtype?: HfDtype;
  /** tokens generated per summary step (LM) or caption (captioner); default 48 / 32 */
  maxNewTokens?: number;
}

/** The LM of the generative summarizer and re-ranker, and their knobs. */
export interface GeneratorConfig extends GenModelConfig {
  /** items per summary step (the paper: 3); default 3 */
  blockSize?: number;
  /** with no kept summary that fits the history, only its newest this many blocks are summarised (LM calls); default 8 */
  maxBlocks?: number;
  /** the first stage's candidates the LM re-ranks by P(yes) (the paper: 1 + 20); default 20 */
  n?: number;
}

export interface SummaryConfig {
  /**
   * run the re-ranker over the first stage's top candidates: the bundle's MLLM-MSR re-ranker (an
   * `msr` entry, summary/) when it has one trained over the served model, or the generative one
   * (`reranker: 'generative'`); a reranker passed to Recommender.load wins over both
   */
  rerank: boolean;
  /** the re-ranker's mix weight w in [0, 1] (w · re-ranker + (1 - w) · first stage); undefined: the bundle's (default), 1 (generative: P(yes) alone) */
  weight?: number;
  /** stage 2, the preference summary: the bundle's learned state read through its tags, or the LM's recurrent text */
  summarizer: MsrProvider;
  /** stage 3: the bundle's learned scorer, or the LM's P(yes) under the generative summary */
  reranker: MsrProvider;
  /** stage 1 of items added with addItems(): the bundle's tagger, or an image-to-text model on the item's image */
  captioner: MsrProvider;
  /** the LM (required when summarizer or reranker is 'generative'); it runs in a module worker in the page */
  generator?: GeneratorConfig;
  /** the image-to-text model (required when captioner is 'generative') */
  captionModel?: GenModelConfig;
}

export interface ItemsConfig {
  /**
   * show catalog images whose absolute URL is on another origin than the page's or the bundle's (a
   * CDN). Off by default: each such picture is a request telling that origin which products this
   * shopper is recommended. Off, they are dropped at load with an UNSAFE_URL warning naming the item
   * (items/urls.ts); `molar build --allow-remote-images` is the build's side of the same choice.
   */
  allowRemoteImages: boolean;
}

export interface MolarConfig {
  runtime: RuntimeConfig;
  history: HistoryConfig;
  score: ScoreConfig;
  baseline: BaselineConfig;
  /** item encoders of cold start (Recommender.addItems); tfjs encoders run on the runtime's backend */
  encoders: EncoderConfig;
  /** MLLM-MSR's preference summary and re-ranker (summary/) */
  summary: SummaryConfig;
  /** what of the catalog's items the page shows */
  items: ItemsConfig;
}

export const DEFAULT_CONFIG: Readonly<MolarConfig> = Object.freeze({
  runtime: { fallbackOrder: ['webgpu', 'webgl', 'wasm', 'cpu'] as BackendName[], pick: 'fastest' as const, software: 'last-resort' as const, tfjsWasmPath: '/wasm/tfjs/', ortWasmPath: '/wasm/ort/' },
  history: { dbName: 'molar-history', maxEvents: 500 },
  score: { tileSize: 8192, rerankDepth: 50, contentRecencyDecay: 0.8, itemTable: 'auto' as ItemTableChoice },
  baseline: { recencyDecay: 0.8, maxHistory: 20, popularityWeight: 1e-3 },
  // fp32 by default: transformers.js alone would pick q8 on wasm, and then page-side vectors would
  // not come from the weights the bundle (built in Node, fp32) was encoded with
  encoders: { modelBaseUrl: '/models/', dtype: 'fp32' as HfDtype, allowRemoteModels: false },
  summary: { rerank: true, summarizer: 'default' as MsrProvider, reranker: 'default' as MsrProvider, captioner: 'default' as MsrProvider },
  items: { allowRemoteImages: false },
});

/** The backends `runtime.fallbackOrder` may name. */
export const BACKEND_NAMES: readonly BackendName[] = Object.freeze(['webgpu', 'webgl', 'wasm', 'cpu']);

type Check = (value: unknown, field: string) => void;
const bad = (field: string, expected: string, value: unknown): never => {
  throw new MolarError('BAD_CONFIG', `expected ${expected}, got ${JSON.stringify(value)}`, { field });
};
const int = (lo: number, hi: number): Check => (v, f) => {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) bad(f, `an integer in [${lo}, ${hi}]`, v);
};
const num = (lo: number, hi: number, { openLo = false } = {}): Check => (v, f) => {
  if (typeof v !== 'number' || !Number.isFinite(v) || v > hi || (openLo ? v <= lo : v < lo)) bad(f, `a number in ${openLo ? '(' : '['}${lo}, ${hi}]`, v);
};
const optional = (check: Check): Check => (v, f) => {
  if (v !== undefined) check(v, f);
};
const bool: Check = (v, f) => {
  if (typeof v !== 'boolean') bad(f, 'true or false', v);
};
const nonEmpty = (what: string): Check => (v, f) => {
  if (typeof v !== 'string' || v === '') bad(f, what, v);
};
const urlPrefix: Check = (v, f) => {
  if (typeof v !== 'string' || v === '' || !v.endsWith('/')) bad(f, 'a non-empty URL prefix ending in "/"', v);
};
const enumOf = (allowed: readonly string[], { optional = false } = {}): Check => (v, f) => {
  if (optional && v === undefined) return;
  oneOf(v, allowed, f);
};
const backendList: Check = (v, f) => {
  if (!Array.isArray(v) || v.length === 0) bad(f, `a non-empty list of ${BACKEND_NAMES.join(', ')}`, v);
  const list = v as unknown[];
  list.forEach((b, i) => oneOf(b, BACKEND_NAMES, `${f}[${i}]`));
  if (new Set(list).size !== list.length) bad(f, 'each backend at most once', v);
};

/** A GenModelConfig object (plus `extra` fields), each field checked and named `<field>.<name>`; unknown names refused. */
const genModel = (extra: Record<string, Check>): Check => {
  const fields: Record<string, Check> = {
    model: nonEmpty('a model id or path'),
    localModelPath: optional(nonEmpty('a URL prefix or folder')),
    device: enumOf(HF_DEVICES, { optional: true }),
    dtype: enumOf(HF_DTYPES, { optional: true }),
    maxNewTokens: optional(int(1, 4096)),
    ...Object.fromEntries(Object.entries(extra).map(([k, c]) => [k, optional(c)])),
  };
  return (v, f) => {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(f, 'an object with a "model"', v);
    for (const [k, x] of Object.entries(v as object)) {
      if (!(k in fields)) bad(`${f}.${k}`, `a known field of "${f}" (${Object.keys(fields).join(', ')})`, x);
    }
    for (const [k, check] of Object.entries(fields)) check((v as Record<string, unknown>)[k], `${f}.${k}`);
  };
};

/** The rules between summary's fields: a generative stage needs its model, and the LM's re-ranker reads the LM's summary. */
function checkSummary(s: SummaryConfig): void {
  if ((s.summarizer === 'generative' || s.reranker === 'generative') && !s.generator) {
    bad('summary.generator', `a generator ({ model, … }) since summary.${s.summarizer === 'generative' ? 'summarizer' : 'reranker'} is "generative"`, s.generator);
  }
  if (s.reranker === 'generative' && s.summarizer !== 'generative') bad('summary.summarizer', '"generative": the generative re-ranker reads the generative summary', s.summarizer);
  if (s.captioner === 'generative' && !s.captionModel) bad('summary.captionModel', 'an image-to-text model ({ model, … }) since summary.captioner is "generative"', s.captionModel);
}

/**
 * Every field of every section and how it is checked: the table resolveConfig walks. A section
 * or field missing here is refused, so a new config field cannot be added without its check.
 */
const SCHEMA: { [S in keyof MolarConfig]: { [F in keyof MolarConfig[S]]-?: Check } } = {
  runtime: { fallbackOrder: backendList, pick: enumOf(['fastest', 'first']), software: enumOf(['last-resort', 'compete']), tfjsWasmPath: urlPrefix, ortWasmPath: urlPrefix },
  history: { dbName: nonEmpty('a non-empty database name'), maxEvents: int(1, 10_000_000) },
  score: { tileSize: int(1, 1 << 24), rerankDepth: int(1, 100_000), contentRecencyDecay: num(0, 1, { openLo: true }), itemTable: enumOf(ITEM_TABLE_CHOICES) },
  baseline: { recencyDecay: num(0, 1, { openLo: true }), maxHistory: int(1, 100_000), popularityWeight: num(0, 1e6) },
  encoders: {
    // `<base><encoder id>/` is joined by concatenation: without the slash "/models" + "use-lite" is a wrong URL
    modelBaseUrl: urlPrefix,
    dtype: enumOf(HF_DTYPES),
    device: enumOf(HF_DEVICES, { optional: true }),
    allowRemoteModels: bool,
  },
  summary: {
    rerank: bool,
    weight: optional(num(0, 1)),
    summarizer: enumOf(MSR_PROVIDERS),
    reranker: enumOf(MSR_PROVIDERS),
    captioner: enumOf(MSR_PROVIDERS),
    generator: optional(genModel({ blockSize: int(1, 64), maxBlocks: int(1, 1000), n: int(1, 1000) })),
    captionModel: optional(genModel({})),
  },
  items: { allowRemoteImages: bool },
};

/**
 * Merges a partial config over the defaults (one level of sections) and checks every value:
 * an unknown section or field, or a value out of range or of the wrong type, is a BAD_CONFIG
 * naming `<section>.<field>` and what was expected. Values go on to loops, file names and URLs,
 * so nothing is clamped or passed through unchecked.
 */
export function resolveConfig(partial: DeepPartial<MolarConfig> = {}): MolarConfig {
  if (typeof partial !== 'object' || partial === null || Array.isArray(partial)) bad('config', 'an object of config sections', partial);
  const out = structuredClone(DEFAULT_CONFIG) as MolarConfig;
  const sections = Object.keys(SCHEMA) as (keyof MolarConfig)[];
  for (const [key, value] of Object.entries(partial)) {
    if (value === undefined) continue;
    if (!(sections as string[]).includes(key)) bad(key, `a known config section (${sections.join(', ')})`, value);
    const section = key as keyof MolarConfig;
    if (typeof value !== 'object' || value === null || Array.isArray(value)) bad(section, 'an object', value);
    const fields = Object.keys(SCHEMA[section]);
    for (const [field, v] of Object.entries(value as object)) {
      if (!fields.includes(field)) bad(`${section}.${field}`, `a known field of "${section}" (${fields.join(', ')})`, v);
      if (v !== undefined) (out[section] as unknown as Record<string, unknown>)[field] = Array.isArray(v) ? [...v] : typeof v === 'object' && v !== null ? { ...v } : v;
    }
  }
  for (const section of sections) {
    for (const [field, check] of Object.entries(SCHEMA[section]) as [string, Check][]) {
      check((out[section] as unknown as Record<string, unknown>)[field], `${section}.${field}`);
    }
  }
  checkSummary(out.summary);
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
