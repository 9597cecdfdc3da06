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
import type { ItemRecord } from '../bundle/manifest.js';
import { loadCaptioner, type ImageSummaryProvider } from './gen-caption.js';
import { loadCausalLm, type TextLm } from './gen-lm.js';
import { GEN_MEMORY_DEFAULTS, GenerativeMemory } from './gen-memory.js';
import type { GenItem } from './gen-prompts.js';
import { YesNoReranker } from './gen-rerank.js';
import { GenerativeSummarizer } from './gen-summary.js';
import type { ItemTexts } from './item-texts.js';
import type { SummaryStorage } from './memory.js';
import { createWorkerCaptioner, createWorkerLm, summaryWorker } from './worker-client.js';

export interface Generative {
  lm: TextLm;
  memory: GenerativeMemory;
  /** present when `summary.reranker` is 'generative' */
  reranker?: YesNoReranker;
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

/** The LM as the config names it, in a module worker when there is one. */
export function loadConfiguredLm(m: GenModelConfig, config: MolarConfig, make: () => Worker = summaryWorker): Promise<TextLm> {
  return hasWorker() ? createWorkerLm(m.model, genOptions(m, config), make) : loadCausalLm(m.model, genOptions(m, config));
}

/** The captioner as the config names it (loaded when first used: pass this as ItemTexts' `captioner`). */
export function configuredCaptioner(config: MolarConfig, make: () => Worker = summaryWorker): (() => Promise<ImageSummaryProvider>) | undefined {
  const m = config.summary.captioner === 'generative' ? config.summary.captionModel : undefined;
  if (!m) return undefined;
  const o = { ...genOptions(m, config), ...(m.maxNewTokens ? { maxNewTokens: m.maxNewTokens } : {}) };
  return () => (hasWorker() ? createWorkerCaptioner(m.model, o, browserImageDecoder, make) : loadCaptioner(m.model, browserImageDecoder, o));
}

/**
 * Stage 2 (and 3) generative, loaded now (a missing model is an IO error naming it, at load), or
 * undefined when `summary.summarizer` is 'default'. `texts` gives each history item's stage-1 text.
 */
export async function loadGenerative(config: MolarConfig, o: { storage: SummaryStorage; texts?: ItemTexts; makeWorker?: () => Worker }): Promise<Generative | undefined> {
  const s = config.summary;
  if (s.summarizer !== 'generative') return undefined;
  const g = s.generator!; // resolveConfig refused a generative summarizer without one
  const lm = await loadConfiguredLm(g, config, o.makeWorker);
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
  return { lm, memory, reranker, dispose: () => lm.dispose() };
}
