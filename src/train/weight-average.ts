import * as tf from '@tensorflow/tfjs';

/**
 * Exponential moving average of a model's weights over optimizer steps (Polyak averaging). Why:
 * the 30-minute ML-1M budget ends while Adam's steps still jitter the weights; the average of the
 * last ~1/(1-decay) steps sits nearer the middle of where they wander. Bias-corrected (as Adam's
 * moments), so the average after t steps weighs those t steps only, never the initialisation.
 */
export class WeightAverage {
  private readonly sums: tf.Variable[];
  private steps = 0;

  constructor(private readonly vars: tf.Variable[], private readonly decay: number) {
    if (!(decay > 0 && decay < 1)) throw new RangeError(`weight-average decay must be in (0, 1), got ${decay}`);
    this.sums = vars.map((v) => tf.tidy(() => tf.variable(tf.zerosLike(v), false)));
  }

  /** Folds the variables' current values into the average; call after every optimizer step. */
  update(): void {
    this.steps++;
    tf.tidy(() => this.sums.forEach((s, i) => s.assign(s.mul(this.decay).add(this.vars[i].mul(1 - this.decay)))));
  }

  /** Runs `fn` with the averaged weights in the variables, then puts the trained ones back. */
  async with<T>(fn: () => Promise<T>): Promise<T> {
    if (this.steps === 0) return fn();
    const saved = this.vars.map((v) => v.clone());
    const correction = 1 / (1 - this.decay ** this.steps);
    tf.tidy(() => this.vars.forEach((v, i) => v.assign(this.sums[i].mul(correction))));
    try {
      return await fn();
    } finally {
      this.vars.forEach((v, i) => v.assign(saved[i]));
      tf.dispose(saved);
    }
  }

  dispose(): void {
    tf.dispose(this.sums);
  }
}
