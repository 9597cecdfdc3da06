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
import { msrBatches, msrExamples, msrTrainable, rerankFold, type FirstStagePools, type UserExample } from './msr-task.js';

export interface TrainMsrOptions {
  split: LeaveOneOutSplit;
  sequences: Int32Array[];
  numItems: number;
  /** item-vector rows 0..numItems (row 0 padding), `itemDim` wide: what the page reads (int8, dequantised) */
  vectors: Float32Array;
  itemDim: number;
  /** the first stage it re-ranks (its scores on stage 3's examples are stage 3's input: MsrTrainConfig.rerankExamples) */
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

/** How well the first stage ranks a set of targets (over the catalog, seen items out where the protocol filters them). */
export interface FirstStageFit {
  users: number;
  'ndcg@10': number;
  /** mean rank of the target among those it could rank (a seen target under filterSeen cannot) */
  meanRank: number;
}

export interface TrainMsrResult extends Omit<TrainLoopResult, 'weights'> {
  config: MsrConfig;
  train: MsrTrainConfig;
  weights: WeightBlob;
  /** the mix weight chosen on validation, and the validation figures at each weight tried */
  weight: number;
  valid: Record<string, WeightValid>;
  /** the same figures on the held-out users only (in both modes: the examples' comparison on validation) */
  validHeldOut: Record<string, WeightValid>;
  /** users of the weight choice, and of validHeldOut */
  validUsers: { chosen: number; heldOut: number };
  /**
   * the first stage on stage 3's training examples and on the held-out users' validation: far
   * better on the former when it trained on those targets (the leak 'valid-fold' removes)
   */
  firstStageFit: { examples: FirstStageFit; heldOut: FirstStageFit };
  /** time spent scoring stage 3's examples with the first stage */
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
 * With rerankExamples 'valid-fold' both the early stopping and the weight read the held-out users'
 * validation only (the fold's trained stage 3); the test split is read by neither mode.
 */
export async function trainMsr(opts: TrainMsrOptions): Promise<TrainMsrResult> {
  const config = resolveMsrConfig({ ...opts.config, numItems: opts.numItems, itemDim: opts.itemDim });
  const train = resolveMsrTrainConfig(opts.train);
  const folds = rerankFold(opts.split.valid, train.rerankFold, config.seed);
  const fold = new Set(folds.fold);
  const { users, examples } = msrExamples(opts.split, train.rerankExamples, fold);
  if (!examples.some((e) => e.rerank)) throw new MolarError('BAD_INPUT', 'no user has an example for the re-ranker (two or more training events, or a validation target)', { field: 'interactions' });
  const t0 = Date.now();
  const { pools, fit } = await firstStagePools(opts, users, examples, train, config.seed);
  const firstStageMs = Date.now() - t0;
  // what validation reads: 'valid-fold' the held-out users only (the fold's valid items are training targets now)
  const heldOutValid = Int32Array.from(opts.split.valid, (t, u) => (fold.has(u) ? 0 : t));
  const validSplit = train.rerankExamples === 'valid-fold' ? { ...opts.split, valid: heldOutValid } : opts.split;
  const model = new MsrModel(config, opts.vectors);
  model.setLossWeights({ next: train.nextWeight, rerank: train.rerankWeight });
  const optimizer = tf.train.adam(train.learningRate);
  try {
    const budget = opts.timeBudgetMs !== undefined ? Math.max(1, opts.timeBudgetMs - firstStageMs) : undefined;
    const r = await trainLoop({
      model: msrTrainable(model),
      data: msrBatches(pools, opts.numItems, { ...train, blockSize: config.blockSize, maxBlocks: config.maxBlocks, seed: config.seed }),
      optimizer,
      schedule: { learningRate: train.learningRate, lrSchedule: 'constant' },
      maxEpochs: train.maxEpochs,
      patience: train.patience,
      seed: config.seed,
      validation: { model, split: validSplit, sequences: opts.sequences, filterSeen: opts.filterSeen, maxUsers: opts.validUsers },
      maxStepsPerEpoch: opts.maxStepsPerEpoch,
      timeBudgetMs: budget,
      progress: opts.progress,
      onEpoch: opts.onEpoch,
    });
    model.setWeights(r.weights.specs, r.weights.data);
    const grid = opts.weightGrid ?? DEFAULT_WEIGHT_GRID;
    const chosenUsers = evalUsers(validSplit.valid, opts.validUsers);
    // 'train-prefix' chooses on every user, as before; its held-out part is reported beside it
    const parts = [chosenUsers.filter((u) => !fold.has(u)), chosenUsers.filter((u) => fold.has(u))];
    const [heldOut, inFold] = [await validateWeights(model, opts, parts[0], grid, train.negatives, config.seed), await validateWeights(model, opts, parts[1], grid, train.negatives, config.seed)];
    const valid = meanValid(mergeValid(heldOut, inFold));
    return { ...r, config, train, weight: chooseWeight(valid), valid, validHeldOut: meanValid(heldOut), validUsers: { chosen: chosenUsers.length, heldOut: parts[0].length }, firstStageFit: { examples: fit, heldOut: heldOut.fit }, firstStageMs };
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
 * The first stage's view of every example that trains stage 3: the target's log-probability, its
 * top `hardDepth` other items and UNIFORM_POOL random unseen ones, each with its log-probability;
 * and how well it ranks those targets (FirstStageFit). Stage-2-only examples get empty pools.
 */
async function firstStagePools(o: TrainMsrOptions, users: number[], examples: UserExample[], t: MsrTrainConfig, seed: number): Promise<{ pools: FirstStagePools; fit: FirstStageFit }> {
  const n = users.length;
  const [H, U] = [t.hardDepth, UNIFORM_POOL];
  const pools: FirstStagePools = { users, examples, target: new Float32Array(n), targetZ: new Float32Array(n), hardDepth: H, hard: new Int32Array(n * H), hardLp: new Float32Array(n * H), hardZ: new Float32Array(n * H), uniform: U, rand: new Int32Array(n * U), randLp: new Float32Array(n * U), randZ: new Float32Array(n * U) };
  const rnd = mulberry32(seed ^ 0xf1257);
  const fit = newFit();
  const slots = examples.map((e, i) => (e.rerank ? i : -1)).filter((i) => i >= 0);
  for (let start = 0; start < slots.length; start += 256) {
    const batch = slots.slice(start, start + 256);
    const rows = await o.firstStage.score(batch.map((i) => examples[i].history));
    batch.forEach((slot, i) => {
      const { history, target } = examples[slot];
      const [lp, z] = [firstStageLogProbs(rows[i]), firstStageZ(rows[i])];
      addFit(fit, targetRank(rows[i], target, o.filterSeen === false ? null : new Set(history)));
      // negatives: neither the target nor anything in the history
      const seen = new Set(history).add(target);
      pools.target[slot] = lp[target];
      pools.targetZ[slot] = z[target];
      topCandidates(rows[i], H, seen).forEach((c, j) => ((pools.hard[slot * H + j] = c.id), (pools.hardLp[slot * H + j] = lp[c.id]), (pools.hardZ[slot * H + j] = z[c.id])));
      sampleNegatives(o.numItems, seen, U, rnd).forEach((id, j) => ((pools.rand[slot * U + j] = id), (pools.randLp[slot * U + j] = lp[id]), (pools.randZ[slot * U + j] = z[id])));
    });
  }
  return { pools, fit: meanFit(fit) };
}

const newFit = () => ({ users: 0, ndcg: 0, rankSum: 0, ranked: 0 });
/** The target's full-catalog rank (Infinity: a seen target the protocol cannot rank). */
const targetRank = (row: Float32Array, target: number, seen: ReadonlySet<number> | null) => (seen?.has(target) ? Infinity : rankOf(row, target, seen));
function addFit(f: ReturnType<typeof newFit>, rank: number): void {
  f.users++;
  f.ndcg += ndcgAt(rank, 10);
  if (Number.isFinite(rank)) ((f.rankSum += rank), f.ranked++);
}
const meanFit = (f: ReturnType<typeof newFit>): FirstStageFit => ({ users: f.users, 'ndcg@10': f.ndcg / Math.max(1, f.users), meanRank: f.rankSum / Math.max(1, f.ranked) });

/** Validation sums at each weight of `grid` over `users` users, and the first stage's fit on them. */
interface ValidSums {
  grid: number[];
  users: number;
  sums: { auc: number; 'ndcg@5': number; 'ndcg@10': number }[];
  fit: FirstStageFit;
}
const meanValid = (v: ValidSums): Record<string, WeightValid> => Object.fromEntries(v.grid.map((w, g) => [String(w), { auc: v.sums[g].auc / Math.max(1, v.users), 'ndcg@5': v.sums[g]['ndcg@5'] / Math.max(1, v.users), 'ndcg@10': v.sums[g]['ndcg@10'] / Math.max(1, v.users) }]));
const mergeValid = (a: ValidSums, b: ValidSums): ValidSums => ({ grid: a.grid, users: a.users + b.users, sums: a.sums.map((s, g) => ({ auc: s.auc + b.sums[g].auc, 'ndcg@5': s['ndcg@5'] + b.sums[g]['ndcg@5'], 'ndcg@10': s['ndcg@10'] + b.sums[g]['ndcg@10'] })), fit: a.fit });

/**
 * Validation of `users` at each mix weight, from one pass: the sampled protocol (target +
 * `negatives` unseen items, seeded as molar eval's) and full ranking with the first stage's top
 * `rerankDepth` re-ranked; and the first stage's own fit on those targets.
 */
async function validateWeights(model: MsrModel, o: TrainMsrOptions, users: number[], grid: number[], negatives: number, seed: number): Promise<ValidSums> {
  const depth = o.rerankDepth ?? 50;
  const sums = grid.map(() => ({ auc: 0, 'ndcg@5': 0, 'ndcg@10': 0 }));
  const fit = newFit();
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
      // one catalog pass for the first stage's fit and for a target outside the re-ranked top
      const rank = targetRank(rows[i], target, seen);
      addFit(fit, rank);
      const outside = at < 0 ? rank : 0;
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
  return { grid, users: users.length, sums, fit: meanFit(fit) };
}
