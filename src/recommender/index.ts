export { Recommender, type AddItemInput, type GeneratorState, type LoadOptions, type RecordInput, type RecommendOptions, type Recommendation } from './recommender.js';
export type { LoadProgress } from '../bundle/read.js';
export type { Contribution, Explanation } from './explain.js';
