import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { historyMask, MASKED, seenAtPositions } from './batches.js';
import { bceLoss, fullCeLoss, gbceBeta, gbceLoss, sasrecObjective, softmaxCeLoss } from './losses.js';

const v = (t: tf.Scalar) => t.dataSync()[0];
const LN2 = Math.log(2);

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('losses on hand-computed values', () => {
  it('bce: softplus(-pos) + softplus(neg), mean over positives', () => {
    // (2 ln2 + softplus(-2) + softplus(-1)) / 2 = (1.386294 + 0.126928 + 0.313262) / 2
    expect(v(bceLoss(tf.tensor1d([0, 2]), tf.tensor1d([0, -1])))).toBeCloseTo(0.913242, 5);
  });
  it('gbce: β from α = k/(N-1); t = 0 is plain BCE over k+1 logits', () => {
    expect(gbceBeta(2, 5, 0.5)).toBeCloseTo(0.75, 12); // α = 0.5, β = 0.5·(0.5·(1-2) + 2)
    expect(gbceBeta(2, 5, 1)).toBeCloseTo(0.5, 12); // t = 1 → β = α
    expect(v(gbceLoss(tf.tensor1d([0]), tf.tensor2d([[0, 0]]), 5, 0.5))).toBeCloseTo((2.75 * LN2) / 3, 6);
    expect(v(gbceLoss(tf.tensor1d([0]), tf.tensor2d([[0, 0]]), 5, 0))).toBeCloseTo(LN2, 6);
  });
  it('sampled softmax CE: log(e^pos + Σ e^neg) - pos', () => {
    expect(v(softmaxCeLoss(tf.tensor1d([1]), tf.tensor2d([[0, 0]])))).toBeCloseTo(Math.log(Math.E + 2) - 1, 6);
    // large logits stay finite
    expect(v(softmaxCeLoss(tf.tensor1d([100]), tf.tensor2d([[100, -1e9]])))).toBeCloseTo(LN2, 5);
  });
  it('full CE ignores the padding column', () => {
    expect(v(fullCeLoss(tf.tensor2d([[5, 1, 0, 0]]), tf.tensor1d([1], 'int32')))).toBeCloseTo(Math.log(Math.E + 2) - 1, 6);
  });
  it('objectives: full ce and sampled ce agree when the negatives are every other item', () => {
    // user · item scores: user [1, 0]; items 1..3 = [1,0], [0,0], [2,0]; target 1
    const user = tf.tensor2d([[1, 0]]);
    const itemEmb = tf.tensor2d([[9, 9], [1, 0], [0, 0], [2, 0]]);
    const targets = tf.tensor1d([1], 'int32');
    const rows = tf.tensor1d([0], 'int32');
    const rowUsers = rows;
    const expected = Math.log(Math.E + 1 + Math.exp(2)) - 1;
    const ce = v(sasrecObjective({ loss: 'ce', numItems: 3, gbceT: 0 })({ user, targets, itemEmb, rows, rowUsers }));
    expect(ce).toBeCloseTo(expected, 5);
    // negatives include the target itself (an accidental hit): it must be masked, not counted twice
    const neg = tf.tensor1d([1, 2, 3], 'int32');
    const sce = v(sasrecObjective({ loss: 'sampled-ce', numItems: 3, gbceT: 0 })({ user, targets, itemEmb, rows, rowUsers, negatives: neg }));
    expect(sce).toBeCloseTo(expected, 5);
    const bce = v(sasrecObjective({ loss: 'bce', numItems: 3, gbceT: 0 })({ user, targets, itemEmb, rows, rowUsers, negatives: tf.tensor1d([3], 'int32') }));
    expect(bce).toBeCloseTo(Math.log1p(Math.exp(-1)) + Math.log1p(Math.exp(2)), 5);
  });
  it('history mask: the softmax leaves out the row\'s own window items but keeps the target', () => {
    // batch of 2 users, L = 2; row 0 window = items {1 (input), 3 (target)}; row 1 window = {2, 1}
    const b = { B: 2, L: 2, seq: Int32Array.from([0, 1, 0, 2]), targets: Int32Array.from([0, 3, 0, 1]) };
    const full = historyMask(b, 3);
    expect(Array.from(full)).toEqual([MASKED, MASKED, 0, MASKED, MASKED, MASKED, MASKED, 0]);
    const shared = historyMask(b, 3, Int32Array.from([3, 2]));
    expect(Array.from(shared)).toEqual([MASKED, 0, 0, MASKED]);
    // user vectors [1,0] (row 0, target 3) and [0,1] (row 1, target 1); items 1..3 = [1,0], [0,1], [2,0]
    const user = tf.tensor2d([[1, 0], [0, 1]]);
    const itemEmb = tf.tensor2d([[9, 9], [1, 0], [0, 1], [2, 0]]);
    const targets = tf.tensor1d([3, 1], 'int32');
    const rows = tf.tensor1d([1, 3], 'int32');
    const rowUsers = tf.tensor1d([0, 1], 'int32');
    // row 0: negatives left = {2} (score 0), pos 2 → log(e² + 1) - 2; row 1: left = {3} (score 0), pos 0 → ln 2
    const expected = (Math.log(Math.exp(2) + 1) - 2 + LN2) / 2;
    const input = { user, targets, itemEmb, rows, rowUsers };
    const ce = v(sasrecObjective({ loss: 'ce', numItems: 3, gbceT: 0 })({ ...input, historyMask: tf.tensor2d(full, [2, 4]) }));
    expect(ce).toBeCloseTo(expected, 5);
    const sce = v(sasrecObjective({ loss: 'sampled-ce', numItems: 3, gbceT: 0 })({ ...input, negatives: tf.tensor1d([3, 2], 'int32'), historyMask: tf.tensor2d(shared, [2, 2]) }));
    expect(sce).toBeCloseTo(expected, 5);
  });
  it('repeat bias: seen indicators per position (inputs up to it), added to those scores in ce and sampled ce', () => {
    // one user, L = 4: inputs [0, 1, 2, 1], targets [0, 2, 1, 3]; items 1..4
    const seen = seenAtPositions([0, 1, 2, 1], 4, [0, 2, 1, 3], undefined, 4);
    expect(Array.from(seen.pos.dataSync())).toEqual([0, 1, 0]); // 2 unseen at t=1, 1 seen at t=2, 3 unseen at t=3
    expect(seen.cols.arraySync()).toEqual([[0, 1, 0, 0, 0], [0, 1, 1, 0, 0], [0, 1, 1, 0, 0]]);
    const shared = seenAtPositions([0, 1, 2, 1], 4, [0, 2, 1, 3], [2, 4], 4);
    expect(shared.cols.arraySync()).toEqual([[0, 0], [1, 0], [1, 0]]);
    // user vector [1, 0] at every position; items 1..4 scores 1, 0, 2, 0.5; bias b = -1
    const user = tf.tensor2d([[1, 0], [1, 0], [1, 0]]);
    const itemEmb = tf.tensor2d([[9, 9], [1, 0], [0, 0], [2, 0], [0.5, 0]]);
    const targets = tf.tensor1d([2, 1, 3], 'int32');
    const rows = tf.tensor1d([1, 2, 3], 'int32');
    const b = -1;
    const lse = (xs: number[]) => Math.log(xs.reduce((a, x) => a + Math.exp(x), 0));
    // row scores over items 1..4 after the bias: t1 [0, 0, 2, .5]; t2 [0, -1, 2, .5]; t3 same as t2
    const expected = (lse([0, 0, 2, 0.5]) - 0 + lse([0, -1, 2, 0.5]) - 0 + lse([0, -1, 2, 0.5]) - 2) / 3;
    const input = { user, targets, itemEmb, rows, rowUsers: tf.tensor1d([0, 0, 0], 'int32'), repeat: { bias: tf.scalar(b), ...seen } };
    expect(v(sasrecObjective({ loss: 'ce', numItems: 4, gbceT: 0 })(input))).toBeCloseTo(expected, 5);
    // sampled: negatives {2, 4} (item 2 is row 0's target: an accidental hit, masked)
    const sExpected = (lse([0, 0.5]) - 0 + lse([0, -1, 0.5]) - 0 + lse([2, -1, 0.5]) - 2) / 3;
    const sInput = { ...input, negatives: tf.tensor1d([2, 4], 'int32'), repeat: { bias: tf.scalar(b), ...shared } };
    expect(v(sasrecObjective({ loss: 'sampled-ce', numItems: 4, gbceT: 0 })(sInput))).toBeCloseTo(sExpected, 5);
  });
  it('gradients flow and match finite differences for sampled CE', () => {
    const f = (x: tf.Tensor) => softmaxCeLoss(x.slice([0], [1]) as tf.Tensor1D, x.slice([1], [2]).reshape([1, 2]) as tf.Tensor2D);
    const x = tf.tensor1d([0.3, -0.2, 0.5]);
    const g = tf.grad(f)(x).dataSync();
    const eps = 1e-3;
    for (let i = 0; i < 3; i++) {
      const d = Array.from(x.dataSync());
      d[i] += eps;
      const up = v(f(tf.tensor1d(d)));
      d[i] -= 2 * eps;
      const down = v(f(tf.tensor1d(d)));
      expect(g[i]).toBeCloseTo((up - down) / (2 * eps), 3);
    }
  });
});
