import * as tf from '@tensorflow/tfjs';
import type { LeaveOneOutSplit } from '../data/types.js';
import { ndcgAt, rankOf } from '../eval/metrics.js';
import { topCandidates } from '../eval/reranked.js';
import { candidateRank, sampledCandidates, sampleNegatives } from '../eval/sampled.js';
import { evalUsers } from '../eval/users.js';
import { MolarError } from '../errors.js';
import { resolveMsrConfig, resolveMsrTrainConfig, type MsrConfig, type MsrTrainConfig } from '../models/msr/config.js';
import { MsrModel } from '../models/msr/model.js';
import type { WeightBlob } from '../models/nn/weights.js';
import { mulberry32 } from '../random.js';
import type { Scorer } from '../score/scorer.js';
import { firstStageLogProbs, firstStageZ, mixRerank } from '../summary/rerank.js';
import { trainLoop, type EpochReport, type TrainLoopResult } from './loop.js';
import { exampleOf, msrBatches, msrTrainable, type FirstStagePools } from './msr-task.js';

export interface TrainMsrOptions {
  split: LeaveOneOutSplit;
  sequences: Int32Array[];
  numItems: number;
  /** item-vector rows 0..numItems (row 0 padding), `itemDim` wide: what the page reads (int8, dequantised) */
  vectors: Float32Array;
  itemDim: number;
  /** the first stage it re-ranks (its scores on the training prefixes are stage 3's input) */
  firstStage: Pick<Scorer, 'score'>;
  config?: Partial<MsrConfig>;
  train?: Partial<MsrTrainConfig>;
  /** the ML-1M protocol (default): seen items out of stage 2's validation and of the full-ranking check */
  filterSeen?: boolean;
  /** users of each validation (stage 2's early stopping, the weight choice) */
  validUsers?: number;
  /** candidates re-ranked in the full-ranking check (recommend()'s score.rerankDepth) */
  rerankDepth?: number;
  weightGrid?: number[];
  timeBudgetMs?: number;
  maxStepsPerEpoch?: number;
  progress?: boolean;
  onEpoch?: (e: EpochReport) => void;
}

/** Valid figures at one mix weight: the sampled protocol's and full ranking's. */
export interface WeightValid {
  auc: number;
  'ndcg@5': number;
  'ndcg@10': number;
}

export interface TrainMsrResult extends Omit<TrainLoopResult, 'weights'> {
  config: MsrConfig;
  train: MsrTrainConfig;
  weights: WeightBlob;
  /** the mix weight chosen on validation, and the validation figures at each weight tried */
  weight: number;
  valid: Record<string, WeightValid>;
  /** time spent scoring the training prefixes with the first stage */
  firstStageMs: number;
}

export const DEFAULT_WEIGHT_GRID = [0, 0.25, 0.5, 0.75, 1];
/** random unseen items kept per user for stage 3's uniform negatives */
const UNIFORM_POOL = 100;

/**
 * Trains stages 2 + 3 with the shared loop (early stopping on stage 2's own valid NDCG@10 as a
 * next-item model), then chooses the mix weight on validation: the best sampled-protocol NDCG@5
 * among the weights whose full-ranking NDCG@10 (top `rerankDepth` re-ranked) is no worse than the
 * first stage's alone (w = 0), so the re-ranker ships only where validation says it does not hurt.
 */
export async function trainMsr(opts: TrainMsrOptions): Promise<TrainMsrResult> {
  const config = resolveMsrConfig({ ...opts.config, numItems: opts.numItems, itemDim: opts.itemDim });
  const train = resolveMsrTrainConfig(opts.train);
  const t0 = Date.now();
  const pools = await firstStagePools(opts, train, config.seed);
  const firstStageMs = Date.now() - t0;
  if (pools.users.length === 0) throw new MolarError('BAD_INPUT', 'no user has two or more training events', { field: 'interactions' });
  const model = new MsrModel(config, opts.vectors);
  model.setLossWeights({ next: train.nextWeight, rerank: train.rerankWeight });
  const optimizer = tf.train.adam(train.learningRate);
  try {
    const budget = opts.timeBudgetMs !== undefined ? Math.max(1, opts.timeBudgetMs - firstStageMs) : undefined;
    const r = await trainLoop({
      model: msrTrainable(model),
      data: msrBatches(opts.split.train, pools, opts.numItems, { ...train, blockSize: config.blockSize, maxBlocks: config.maxBlocks, seed: config.seed }),
      optimizer,
      schedule: { learningRate: train.learningRate, lrSchedule: 'constant' },
      maxEpochs: train.maxEpochs,
      patience: train.patience,
      seed: config.seed,
      validation: { model, split: opts.split, sequences: opts.sequences, filterSeen: opts.filterSeen, maxUsers: opts.validUsers },
      maxStepsPerEpoch: opts.maxStepsPerEpoch,
      timeBudgetMs: budget,
      progress: opts.progress,
      onEpoch: opts.onEpoch,
    });
    model.setWeights(r.weights.specs, r.weights.data);
    const valid = await validateWeights(model, opts, opts.weightGrid ?? DEFAULT_WEIGHT_GRID, train.negatives, config.seed);
    return { ...r, config, train, weight: chooseWeight(valid), valid, firstStageMs };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** The chosen weight: best valid sampled NDCG@5 among those no worse than w = 0 on full-ranking NDCG@10 (ties: the smaller weight). */
export function chooseWeight(valid: Record<string, WeightValid>): number {
  const base = valid['0']?.['ndcg@10'] ?? -Infinity;
  let best = 0;
  for (const [w, v] of Object.entries(valid).sort((a, b) => Number(a[0]) - Number(b[0]))) {
    const cur = valid[String(best)];
    if (v['ndcg@10'] >= base && (cur === undefined || v['ndcg@5'] > cur['ndcg@5'])) best = Number(w);
  }
  return best;
}

/**
 * The first stage's view of every trainable user's example (history = training prefix less its last
 * item): the target's log-probability, its top `hardDepth` other items and UNIFORM_POOL random
 * unseen ones, each with its log-probability.
 */
async function firstStagePools(o: TrainMsrOptions, t: MsrTrainConfig, seed: number): Promise<FirstStagePools> {
  const users = o.split.train.map((s, u) => (s.length >= 2 ? u : -1)).filter((u) => u >= 0);
  const n = users.length;
  const [H, U] = [t.hardDepth, UNIFORM_POOL];
  const pools: FirstStagePools = { users, target: new Float32Array(n), targetZ: new Float32Array(n), hardDepth: H, hard: new Int32Array(n * H), hardLp: new Float32Array(n * H), hardZ: new Float32Array(n * H), uniform: U, rand: new Int32Array(n * U), randLp: new Float32Array(n * U), randZ: new Float32Array(n * U) };
  const rnd = mulberry32(seed ^ 0xf1257);
  for (let start = 0; start < n; start += 256) {
    const batch = users.slice(start, start + 256);
    const ex = batch.map((u) => exampleOf(o.split.train[u]));
    const rows = await o.firstStage.score(ex.map((e) => e.history));
    batch.forEach((u, i) => {
      const slot = start + i;
      const [lp, z] = [firstStageLogProbs(rows[i]), firstStageZ(rows[i])];
      const seen = new Set(o.split.train[u]);
      pools.target[slot] = lp[ex[i].target];
      pools.targetZ[slot] = z[ex[i].target];
      topCandidates(rows[i], H, seen).forEach((c, j) => ((pools.hard[slot * H + j] = c.id), (pools.hardLp[slot * H + j] = lp[c.id]), (pools.hardZ[slot * H + j] = z[c.id])));
      sampleNegatives(o.numItems, seen, U, rnd).forEach((id, j) => ((pools.rand[slot * U + j] = id), (pools.randLp[slot * U + j] = lp[id]), (pools.randZ[slot * U + j] = z[id])));
    });
  }
  return pools;
}

/**
 * Validation at each mix weight, from one pass: the sampled protocol (target + `negatives` unseen
 * items, seeded as molar eval's) and full ranking with the first stage's top `rerankDepth` re-ranked.
 */
async function validateWeights(model: MsrModel, o: TrainMsrOptions, grid: number[], negatives: number, seed: number): Promise<Record<string, WeightValid>> {
  const users = evalUsers(o.split.valid, o.validUsers);
  const depth = o.rerankDepth ?? 50;
  const sums = grid.map(() => ({ auc: 0, 'ndcg@5': 0, 'ndcg@10': 0 }));
  for (let start = 0; start < users.length; start += 128) {
    const batch = users.slice(start, start + 128);
    const hist = batch.map((u) => o.split.train[u]);
    const rows = await o.firstStage.score(hist);
    const lps = rows.map(firstStageLogProbs);
    const zs = rows.map(firstStageZ);
    const sampled = batch.map((u) => sampledCandidates(u, o.split.valid[u], o.sequences[u], o.numItems, negatives, seed));
    const tops = batch.map((u, i) => Int32Array.from(topCandidates(rows[i], depth, o.filterSeen === false ? null : new Set(hist[i])), (c) => c.id));
    const of = (ids: Int32Array[], from: Float32Array[]) => ids.map((c, i) => Float32Array.from(c, (id) => from[i][id]));
    const [sLp, tLp] = [of(sampled, lps), of(tops, lps)];
    const [sRr, tRr] = [await model.rerankScores(hist, sampled, sLp, of(sampled, zs)), await model.rerankScores(hist, tops, tLp, of(tops, zs))];
    batch.forEach((u, i) => {
      const target = o.split.valid[u];
      const at = tops[i].indexOf(target);
      const seen = o.filterSeen === false ? null : new Set(hist[i]);
      const outside = at < 0 ? (seen?.has(target) ? Infinity : rankOf(rows[i], target, seen)) : 0;
      grid.forEach((w, g) => {
        const r = candidateRank(mixRerank(sRr[i], sLp[i], w));
        sums[g].auc += r.auc;
        sums[g]['ndcg@5'] += ndcgAt(r.rank, 5);
        if (at >= 0) {
          const s = mixRerank(tRr[i], tLp[i], w);
          let above = 0;
          for (let j = 0; j < s.length; j++) if (j !== at && s[j] > s[at]) above++;
          sums[g]['ndcg@10'] += ndcgAt(above + 1, 10);
        } else sums[g]['ndcg@10'] += ndcgAt(outside, 10);
      });
    });
  }
  const n = Math.max(1, users.length);
  return Object.fromEntries(grid.map((w, g) => [String(w), { auc: sums[g].auc / n, 'ndcg@5': sums[g]['ndcg@5'] / n, 'ndcg@10': sums[g]['ndcg@10'] / n }]));
}
