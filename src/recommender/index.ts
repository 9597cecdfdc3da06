export { Recommender, type AddItemInput, type LoadOptions, type RecordInput, type RecommendOptions, type Recommendation } from './recommender.js';
export type { LoadProgress } from '../bundle/read.js';
export type { Contribution, Explanation } from './explain.js';
