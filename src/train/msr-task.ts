/**
 * MLLM-MSR's default stages 2 + 3 as the training loop sees them (the counterpart of sasrec-task.ts):
 * one example per user and epoch (UserExample: a history, a target, and whether it trains stage 3).
 * Stage 2 learns from every block of the history (the state after block k predicts block k+1's
 * items, the last block's predicts the target); stage 3 from the target against `negatives` drawn
 * from the first stage's top items and from unseen items, with the first stage's log-probabilities,
 * computed once before training (FirstStagePools). Which examples those are: msrExamples.
 */
import * as tf from '@tensorflow/tfjs';
import type { MsrTrainConfig, RerankExamples } from '../models/msr/config.js';
import type { LeaveOneOutSplit } from '../data/types.js';
import { blockGrid, MsrModel, type MsrBatch } from '../models/msr/model.js';
import { MolarError } from '../errors.js';
import { mulberry32, shuffleInPlace } from '../random.js';
import { dealUsers } from './batches.js';
import type { BatchSource, Trainable } from './trainable.js';

/** Host-side shard: ids local to `ids` (0 = padding) so a step projects each distinct item once. */
export interface MsrShard {
  ids: Int32Array;
  grid: Int32Array;
  B: number;
  K: number;
  blockSize: number;
  sample: Int32Array;
  nextTargets: Float32Array;
  nextRows: number;
  candidates: Int32Array;
  C: number;
  firstStage: Float32Array;
  firstStageZ: Float32Array;
  /** [B] 1 where the example trains stage 3 */
  rerankMask: Float32Array;
}

/**
 * Per trainable user, what stage 3's examples are drawn from: the target's first-stage
 * log-probability, the first stage's top `hardDepth` other items and `uniform` random unseen ones,
 * each with its log-probability and its standardised score (the `*Z` arrays). Flat arrays, `hardDepth` / `uniform` slots per user (id 0 = none).
 */
export interface FirstStagePools {
  users: number[];
  /** each user's example, in `users`' order */
  examples: UserExample[];
  target: Float32Array;
  targetZ: Float32Array;
  hardDepth: number;
  hard: Int32Array;
  hardLp: Float32Array;
  hardZ: Float32Array;
  uniform: number;
  rand: Int32Array;
  randLp: Float32Array;
  randZ: Float32Array;
}

export function shardTensors(s: MsrShard): MsrBatch {
  return {
    ids: tf.tensor1d(s.ids, 'int32'),
    grid: tf.tensor3d(s.grid, [s.B, s.K, s.blockSize], 'int32'),
    sample: tf.tensor1d(s.sample, 'int32'),
    nextTargets: tf.tensor2d(s.nextTargets, [s.B * s.K, s.sample.length]),
    nextRows: s.nextRows,
    candidates: tf.tensor2d(s.candidates, [s.B, s.C], 'int32'),
    firstStage: tf.tensor2d(s.firstStage, [s.B, s.C]),
    firstStageZ: tf.tensor2d(s.firstStageZ, [s.B, s.C]),
    rerankMask: tf.tensor2d(s.rerankMask, [s.B, 1]),
    rerankRows: s.rerankMask.reduce((n, m) => n + m, 0),
  };
}

export function msrTrainable(model: MsrModel): Trainable<MsrShard> {
  return {
    specs: model.specs,
    get trainable() {
      return model.trainable;
    },
    loss: (s) => model.calculateLoss(shardTensors(s)),
    targetCount: (s) => s.B,
    getWeights: () => model.getWeights(),
    setWeights: (specs, data) => model.setWeights(specs, data),
    dispose: () => model.dispose(),
  };
}

/** One user's example: stage 2 learns from its history's blocks and target; stage 3 from its target too where `rerank`. */
export interface UserExample {
  history: Int32Array;
  target: number;
  rerank: boolean;
}

/** The history and target of user u's training example: the training prefix less its last item, and that item. */
export const exampleOf = (train: Int32Array): { history: Int32Array; target: number } => ({ history: train.subarray(0, train.length - 1), target: train[train.length - 1] });

/**
 * The users whose validation example trains stage 3 (`fold`, a seeded `share` of those with a valid
 * target) and the others (`heldOut`), whose validation early-stops and chooses the mix weight:
 * disjoint, together every user with a valid target, each list ascending.
 */
export function rerankFold(valid: Int32Array, share: number, seed: number): { fold: number[]; heldOut: number[] } {
  const users: number[] = [];
  for (let u = 0; u < valid.length; u++) if (valid[u] !== 0) users.push(u);
  shuffleInPlace(users, mulberry32(seed ^ 0xf01d));
  const cut = Math.min(users.length - 1, Math.max(1, Math.round(share * users.length)));
  const asc = (a: number, b: number) => a - b;
  return { fold: users.slice(0, cut).sort(asc), heldOut: users.slice(cut).sort(asc) };
}

/**
 * Every trainable user's example. 'train-prefix': the training prefix less its last item, that item
 * the target, for both stages. 'valid-fold': a `fold` user's is its validation example (the whole
 * training prefix, the valid item), which the first stage never trained on, for both stages (stage
 * 2's last block then predicts the valid item: those users' validation is no longer held out, so
 * early stopping reads the other users only); any other user's is its training-prefix example for
 * stage 2 alone, so stage 3 never sees a first-stage score on a target the first stage trained on.
 */
export function msrExamples(split: LeaveOneOutSplit, mode: RerankExamples, fold: ReadonlySet<number>): { users: number[]; examples: UserExample[] } {
  const users: number[] = [];
  const examples: UserExample[] = [];
  split.train.forEach((train, u) => {
    if (mode === 'valid-fold' && fold.has(u) && train.length >= 1 && split.valid[u] !== 0) {
      users.push(u);
      examples.push({ history: train, target: split.valid[u], rerank: true });
    } else if (train.length >= 2) {
      users.push(u);
      examples.push({ ...exampleOf(train), rerank: mode === 'train-prefix' });
    }
  });
  return { users, examples };
}

/** Epochs of shuffled users (those in `pools`), each batch cut into shards with fresh negatives. */
export function msrBatches(pools: FirstStagePools, numItems: number, o: { blockSize: number; maxBlocks: number; seed: number } & Pick<MsrTrainConfig, 'batchSize' | 'negatives' | 'hardShare' | 'sampleSize'>): BatchSource<MsrShard> {
  const rnd = mulberry32(o.seed ^ 0x5eed);
  const slot = new Map(pools.users.map((u, i) => [u, i]));
  return {
    epoch() {
      const u = shuffleInPlace(pools.users.slice(), rnd);
      const out: number[][] = [];
      for (let i = 0; i < u.length; i += o.batchSize) out.push(u.slice(i, i + o.batchSize));
      return out;
    },
    shards: (users, count) => dealUsers(users, count).map((us) => makeShard(us.map((u) => ({ ...pools.examples[slot.get(u)!], slot: slot.get(u)! })), pools, numItems, o, rnd)),
    meanTargetsPerUser: 1,
  };
}

function makeShard(ex: (UserExample & { slot: number })[], pools: FirstStagePools, numItems: number, o: { blockSize: number; maxBlocks: number } & Pick<MsrTrainConfig, 'negatives' | 'hardShare' | 'sampleSize'>, rnd: () => number): MsrShard {
  const g = blockGrid(ex.map((e) => e.history), o.blockSize, o.maxBlocks);
  const { B, K, blockSize: S } = g;
  const index = new Map<number, number>([[0, 0]]);
  const local = (id: number) => {
    let l = index.get(id);
    if (l === undefined) index.set(id, (l = index.size));
    return l;
  };
  // stage 3: the target, then negatives from the hard pool (hardShare of them) and the uniform one
  const C = 1 + o.negatives;
  const candidates = new Int32Array(B * C);
  const firstStage = new Float32Array(B * C);
  const firstStageZ = new Float32Array(B * C);
  ex.forEach((e, b) => {
    candidates[b * C] = e.target;
    // a stage-2-only row (no pool): its candidates are padding the loss masks out
    if (!e.rerank) return;
    firstStage[b * C] = pools.target[e.slot];
    firstStageZ[b * C] = pools.targetZ[e.slot];
    const hard = Math.round(o.hardShare * o.negatives);
    const taken = new Set<number>([e.target]);
    // 8 random tries in a pool for an id not yet taken, then a scan; a tiny catalog may then repeat one
    const draw = (ids: Int32Array, lps: Float32Array, zs: Float32Array, width: number, distinct: boolean): [number, number, number] | undefined => {
      const ok = (p: number) => ids[p] !== 0 && !(distinct && taken.has(ids[p]));
      for (let t = 0; t < 8; t++) {
        const p = e.slot * width + Math.floor(rnd() * width);
        if (ok(p)) return [ids[p], lps[p], zs[p]];
      }
      // a sparse pool (a small catalog leaves most slots empty): the first usable slot
      for (let p = e.slot * width; p < (e.slot + 1) * width; p++) if (ok(p)) return [ids[p], lps[p], zs[p]];
      return undefined;
    };
    const hardPool = (distinct: boolean) => draw(pools.hard, pools.hardLp, pools.hardZ, pools.hardDepth, distinct);
    const randPool = (distinct: boolean) => draw(pools.rand, pools.randLp, pools.randZ, pools.uniform, distinct);
    for (let j = 1; j < C; j++) {
      const got = (j <= hard ? hardPool(true) : undefined) ?? randPool(true) ?? randPool(false) ?? hardPool(false);
      if (!got) throw new MolarError('BAD_INPUT', 'no item is left to sample as a negative: the catalog is too small for the re-ranker', { field: 'negatives' });
      taken.add(got[0]);
      candidates[b * C + j] = got[0];
      firstStage[b * C + j] = got[1];
      firstStageZ[b * C + j] = got[2];
    }
  });
  // stage 2: every block's next items (the last block's: the target) go into the shared softmax
  const nextOf: number[][] = [];
  for (let b = 0; b < B; b++) {
    for (let k = 0; k < K; k++) {
      const at = (b * K + k) * S;
      const empty = g.grid[at] === 0;
      const next = empty ? [] : k === K - 1 ? [ex[b].target] : Array.from(g.grid.subarray(at + S, at + 2 * S)).filter((i) => i > 0);
      nextOf.push(next);
    }
  }
  const sampleIds = new Set<number>();
  for (const n of nextOf) for (const i of n) if (sampleIds.size < o.sampleSize) sampleIds.add(i);
  for (let t = 0; sampleIds.size < Math.min(o.sampleSize, numItems) && t < 4 * o.sampleSize; t++) sampleIds.add(1 + Math.floor(rnd() * numItems));
  const sample = Array.from(sampleIds);
  const sampleCol = new Map(sample.map((id, c) => [id, c]));
  const M = sample.length;
  const nextTargets = new Float32Array(B * K * M);
  let nextRows = 0;
  nextOf.forEach((n, row) => {
    const cols = n.map((i) => sampleCol.get(i)).filter((c): c is number => c !== undefined);
    if (!cols.length) return;
    nextRows++;
    for (const c of cols) nextTargets[row * M + c] += 1 / cols.length;
  });
  const grid = Int32Array.from(g.grid, local);
  const cand = Int32Array.from(candidates, local);
  const sampleLocal = Int32Array.from(sample, local);
  const rerankMask = Float32Array.from(ex, (e) => (e.rerank ? 1 : 0));
  return { ids: Int32Array.from(index.keys()), grid, B, K, blockSize: S, sample: sampleLocal, nextTargets, nextRows, candidates: cand, C, firstStage, firstStageZ, rerankMask };
}
