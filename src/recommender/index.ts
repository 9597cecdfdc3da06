export { Recommender, type LoadOptions, type RecordInput, type RecommendOptions, type Recommendation } from './recommender.js';
