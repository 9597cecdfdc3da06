/**
 * MLLM-MSR's generative providers as `config.summary` chooses them (config.ts): the LM of stage 2
 * (GenerativeSummarizer, its text kept beside the history by GenerativeMemory) and stage 3
 * (YesNoReranker), and the captioner of stage 1 for items added with addItems(). In a page both
 * models run in module workers (worker-client.ts), so the main thread never runs them; where there
 * is no Worker (Node) they run in this thread. What `Recommender.load` calls; the parts stay
 * exported for a page that wires them itself.
 */
import type { GenModelConfig, MolarConfig } from '../config.js';
import type { TransformersOptions } from '../encoders/hf.js';
import { browserImageDecoder } from '../encoders/image-decode.js';
import { MolarError } from '../errors.js';
import type { ItemRecord } from '../bundle/manifest.js';
import { CAPTION_DEFAULTS, captionerName, loadCaptioner, type ImageSummaryProvider } from './gen-caption.js';
import { lmName, loadCausalLm, type TextLm } from './gen-lm.js';
import { GEN_MEMORY_DEFAULTS, GenerativeMemory } from './gen-memory.js';
import type { GenItem } from './gen-prompts.js';
import { YesNoReranker } from './gen-rerank.js';
import { GenerativeSummarizer } from './gen-summary.js';
import type { ItemTexts } from './item-texts.js';
import type { SummaryStorage } from './memory.js';
import { createWorkerCaptioner, createWorkerLm, summaryWorker } from './worker-client.js';

export interface Generative {
  /** usable at once: `kept()` reads the stored summary; `read()` waits for the LM */
  memory: GenerativeMemory;
  /** present when `summary.reranker` is 'generative' (it waits for the LM too: serve it once `ready`) */
  reranker?: YesNoReranker;
  /** the LM, loaded; rejects with the load's error (IO naming the model), DISPOSED when disposed first */
  ready: Promise<TextLm>;
  /** frees the LM, or ends its load (the worker is terminated at once) */
  dispose(): void;
}

/** transformers.js options of one configured model: offline from our origin unless the shop allowed remote models. */
export function genOptions(m: GenModelConfig, config: MolarConfig): TransformersOptions {
  return {
    localModelPath: m.localModelPath ?? config.encoders.modelBaseUrl,
    allowRemoteModels: config.encoders.allowRemoteModels,
    ortWasmPath: config.runtime.ortWasmPath,
    dtype: m.dtype ?? 'fp32',
    ...(m.device ? { device: m.device } : {}),
  };
}

const hasWorker = () => typeof Worker !== 'undefined';

/**
 * The LM as the config names it, in a module worker when there is one (or when `make` hands one
 * in), else in this thread. `signal` ends a load in flight (a worker is terminated at once).
 */
export async function loadConfiguredLm(m: GenModelConfig, config: MolarConfig, make?: () => Worker, signal?: AbortSignal): Promise<TextLm> {
  if (make || hasWorker()) return createWorkerLm(m.model, { ...genOptions(m, config), signal }, make ?? summaryWorker);
  const lm = await loadCausalLm(m.model, genOptions(m, config));
  // in this thread a load cannot be stopped halfway; what it loaded is freed as soon as it is there
  if (signal?.aborted) {
    lm.dispose();
    throw new MolarError('DISPOSED', `${lm.name} was disposed before it loaded`);
  }
  return lm;
}

/** The generative captioner's model, when `summary.captioner` chose it. */
const captionModelOf = (config: MolarConfig): GenModelConfig | undefined => (config.summary.captioner === 'generative' ? config.summary.captionModel : undefined);

/** What the configured captioner is, as its kept captions are keyed (item-texts.ts): another model, dtype or length captions again. */
export function captionSource(config: MolarConfig): string | undefined {
  const m = captionModelOf(config);
  return m && `${captionerName(m.model)} ${m.dtype ?? 'fp32'} ${m.maxNewTokens ?? CAPTION_DEFAULTS.maxNewTokens} tokens`;
}

/** The captioner as the config names it (loaded when first used: pass this as ItemTexts' `captioner`). */
export function configuredCaptioner(config: MolarConfig, make?: () => Worker): (() => Promise<ImageSummaryProvider>) | undefined {
  const m = captionModelOf(config);
  if (!m) return undefined;
  const o = { ...genOptions(m, config), ...(m.maxNewTokens ? { maxNewTokens: m.maxNewTokens } : {}) };
  return () => (make || hasWorker() ? createWorkerCaptioner(m.model, o, browserImageDecoder, make ?? summaryWorker) : loadCaptioner(m.model, browserImageDecoder, o));
}

/**
 * Stage 2 (and 3) generative, or undefined when `summary.summarizer` is 'default'. Returns at once:
 * the LM loads in the background (`ready`), so a Recommender serves its default providers
 * meanwhile; the memory is there from the start (its store key is the LM's name, known before it
 * loads), so the kept summary can be read while the LM is still on its way. `texts` gives each
 * history item's stage-1 text.
 */
export function startGenerative(config: MolarConfig, o: { storage: SummaryStorage; texts?: ItemTexts; makeWorker?: () => Worker }): Generative | undefined {
  const s = config.summary;
  if (s.summarizer !== 'generative') return undefined;
  const g = s.generator!; // resolveConfig refused a generative summarizer without one
  const stop = new AbortController();
  const ready = loadConfiguredLm(g, config, o.makeWorker, stop.signal);
  ready.catch(() => {}); // the caller hears of a failed load through `ready`; nothing else may reject unhandled
  const lm = afterLoad(lmName(g.model), ready);
  const itemOf = async (id: number, items: readonly ItemRecord[]): Promise<GenItem> => {
    const it = items[id - 1];
    const image = await o.texts?.text(id);
    return { title: it?.title ?? it?.text ?? it?.id ?? String(id), ...(image ? { image } : {}) };
  };
  const summarizer = new GenerativeSummarizer(lm, { blockSize: g.blockSize, maxNewTokens: g.maxNewTokens });
  const memory = new GenerativeMemory(summarizer, o.storage, itemOf, g.maxBlocks ?? GEN_MEMORY_DEFAULTS.maxBlocks);
  const reranker =
    s.reranker === 'generative' && s.rerank
      ? new YesNoReranker(lm, {
          // a what-if history (explanations) reads the kept summary: generating one per what-if would cost an LM call per block each
          summary: async (ctx) => (await (ctx.scratch ? memory.kept(ctx.history, ctx.items) : memory.read(ctx.history, ctx.items))).summary,
          imageSummary: o.texts && ((id) => o.texts!.text(id)),
          n: g.n,
          weight: s.weight,
        })
      : undefined;
  return {
    memory,
    reranker,
    ready,
    dispose: () => {
      stop.abort();
      lm.dispose();
    },
  };
}

/** A TextLm by its name at once, whose calls wait for the loading one (and fail as its load did). */
function afterLoad(name: string, loading: Promise<TextLm>): TextLm {
  let loaded: TextLm | undefined;
  loading.then((lm) => (loaded = lm), () => {});
  return {
    name,
    generate: async (prompt, maxNewTokens) => (await loading).generate(prompt, maxNewTokens),
    yesNo: async (prompts, words) => (await loading).yesNo(prompts, words),
    // a loaded LM is freed now (its worker terminated), one still loading as soon as it is there
    dispose: () => (loaded ? loaded.dispose() : void loading.then((lm) => lm.dispose(), () => {})),
  };
}
