/** The public surface of molar-web: everything a storefront or an ML engineer imports. */
export { Recommender, type LoadOptions, type RecordInput, type RecommendOptions, type Recommendation, type Explanation, type Contribution } from './recommender/index.js';
export { MolarError, ERROR_CODES, isMolarError, type MolarErrorCode } from './errors.js';
export { DEFAULT_CONFIG, resolveConfig, type MolarConfig, type BackendChoice, type BackendName } from './config.js';
export { selectBackend, type BackendReport } from './runtime/backend.js';
export type { LoadProgress } from './bundle/read.js';
export type { Manifest, ItemRecord } from './bundle/manifest.js';
export { KEEP_ORDER, type Reranker, type Candidate, type RerankContext } from './score/rerank.js';
export type { PreferenceSummary } from './summary/describe.js';
export { WARNING_CODES, type MolarWarning, type WarningCode, type WarningHandler } from './warnings.js';
