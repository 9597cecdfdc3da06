/** The public surface of molar-web: everything a storefront or an ML engineer imports. */
export { Recommender, type GeneratorState, type LoadOptions, type RecordInput, type RecommendOptions, type Recommendation, type Explanation, type Contribution } from './recommender/index.js';
export { MolarError, ERROR_CODES, isMolarError, type MolarErrorCode } from './errors.js';
export { DEFAULT_CONFIG, resolveConfig, type MolarConfig, type BackendChoice, type BackendName } from './config.js';
export { selectBackend, type BackendReport } from './runtime/backend.js';
export type { LoadProgress } from './bundle/read.js';
export type { Manifest, ItemRecord } from './bundle/manifest.js';
export { KEEP_ORDER, type Reranker, type Candidate, type RerankContext } from './score/rerank.js';
export type { PreferenceSummary } from './summary/describe.js';
export { WARNING_CODES, type MolarWarning, type WarningCode, type WarningHandler } from './warnings.js';
// MLLM-MSR's generative providers (transformers.js, by model id or path). Recommender.load picks
// them from config.summary (summarizer / reranker / captioner: 'generative', generator, captionModel);
// the parts stay exported for a page that wires them itself: the LM in a module worker for the page
// (createWorkerLm) or in this thread (loadCausalLm), stage 2's recurrent summary and the memory
// that keeps it beside the history, stage 3's yes/no re-ranker, stage 1's captioner (in a worker too)
export { createWorkerLm, createWorkerCaptioner } from './summary/worker-client.js';
export { GenerativeMemory } from './summary/gen-memory.js';
export type { GenModelConfig, GeneratorConfig, MsrProvider } from './config.js';
export { loadCausalLm, type TextLm } from './summary/gen-lm.js';
export { GenerativeSummarizer, type SummaryState } from './summary/gen-summary.js';
export { YesNoReranker, type YesNoRerankOptions } from './summary/gen-rerank.js';
export { loadCaptioner, type ImageSummaryProvider } from './summary/gen-caption.js';
export { loadImageSummaries } from './summary/image-summaries.js';
export type { GenItem } from './summary/gen-prompts.js';
