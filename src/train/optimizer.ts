import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * Adam whose listed variables step `fastFactor` times the learning rate (their own Adam state).
 * Why: Adam moves a weight by about the learning rate per step whatever its gradient, so a single
 * scalar that must travel several units (the repeat bias: -3 or so where users never come back to
 * what they saw) would need thousands of steps at 1e-3 and ends training short of where the data
 * put it. Everything else is plain Adam (β2 0.98, as SASRec's reference training).
 */
export class GroupedAdam extends tf.Optimizer {
  private readonly main: tf.AdamOptimizer;
  private readonly fast: tf.AdamOptimizer;
  private lr: number;

  constructor(learningRate: number, private readonly fastNames: Set<string>, private readonly fastFactor: number) {
    super();
    this.lr = learningRate;
    this.main = tf.train.adam(learningRate, 0.9, 0.98);
    this.fast = tf.train.adam(learningRate * fastFactor, 0.9, 0.98);
  }

  /** The schedule sets this every step; the fast group follows at fastFactor times. */
  get learningRate(): number {
    return this.lr;
  }
  set learningRate(lr: number) {
    this.lr = lr;
    setRate(this.main, lr);
    setRate(this.fast, lr * this.fastFactor);
  }

  applyGradients(grads: tf.NamedTensorMap | NamedTensor[]): void {
    const all: NamedTensor[] = Array.isArray(grads) ? grads : Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
    const mine = all.filter((g) => !this.fastNames.has(g.name));
    const fast = all.filter((g) => this.fastNames.has(g.name));
    if (mine.length) this.main.applyGradients(mine);
    if (fast.length) this.fast.applyGradients(fast);
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.lr, fastFactor: this.fastFactor };
  }

  override dispose(): void {
    this.main.dispose();
    this.fast.dispose();
    super.dispose();
  }
}

/** tfjs' Adam reads its (protected) learningRate on every applyGradients, so a schedule can set it. */
export function setRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}
