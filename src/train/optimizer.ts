import * as tf from '@tensorflow/tfjs';

type NamedTensor = { name: string; tensor: tf.Tensor };

/**
 * Adam whose listed variables step a given factor times the learning rate (one Adam state per
 * factor). Why: Adam moves a weight by about the learning rate per step whatever its gradient, so
 * - a single scalar that must travel several units (the repeat bias: -3 or so where users never
 *   come back to what they saw) would need thousands of steps at 1e-3 and ends training short of
 *   where the data put it;
 * - a table the model reads through a fixed scale (the content model's ID residual, scored at
 *   1/√D) moves its scores √D times slower than the same table read unscaled (SASRec's).
 * Everything else is plain Adam (β2 0.98, as SASRec's reference training).
 */
export class GroupedAdam extends tf.Optimizer {
  private readonly main: tf.AdamOptimizer;
  /** factor → its Adam, and variable name → factor */
  private readonly groups = new Map<number, tf.AdamOptimizer>();
  private readonly factorOf: Map<string, number>;
  private lr: number;

  constructor(learningRate: number, factors: ReadonlyMap<string, number> = new Map()) {
    super();
    this.lr = learningRate;
    this.main = adam(learningRate);
    this.factorOf = new Map([...factors].filter(([, f]) => f !== 1));
    for (const f of new Set(this.factorOf.values())) {
      if (!(f > 0 && Number.isFinite(f))) throw new RangeError(`a learning-rate factor must be positive and finite, got ${f}`);
      this.groups.set(f, adam(learningRate * f));
    }
  }

  /** The schedule sets this every step; each group follows at its factor. */
  get learningRate(): number {
    return this.lr;
  }
  set learningRate(lr: number) {
    this.lr = lr;
    setRate(this.main, lr);
    for (const [f, o] of this.groups) setRate(o, lr * f);
  }

  applyGradients(grads: tf.NamedTensorMap | NamedTensor[]): void {
    const all: NamedTensor[] = Array.isArray(grads) ? grads : Object.entries(grads).map(([name, tensor]) => ({ name, tensor }));
    const mine = all.filter((g) => !this.factorOf.has(g.name));
    if (mine.length) this.main.applyGradients(mine);
    for (const [f, o] of this.groups) {
      const part = all.filter((g) => this.factorOf.get(g.name) === f);
      if (part.length) o.applyGradients(part);
    }
  }

  getConfig(): tf.serialization.ConfigDict {
    return { learningRate: this.lr, factors: Object.fromEntries(this.factorOf) };
  }

  override dispose(): void {
    this.main.dispose();
    for (const o of this.groups.values()) o.dispose();
    super.dispose();
  }
}

const adam = (lr: number) => tf.train.adam(lr, 0.9, 0.98);

/** tfjs' Adam reads its (protected) learningRate on every applyGradients, so a schedule can set it. */
export function setRate(optimizer: tf.Optimizer, lr: number): void {
  (optimizer as unknown as { learningRate: number }).learningRate = lr;
}
