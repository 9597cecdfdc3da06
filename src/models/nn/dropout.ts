import * as tf from '@tensorflow/tfjs';

/**
 * Dropout whose masks are a function of (seed, call number), so a seeded training run repeats
 * exactly: every call in a forward pass takes the next number, and `seed()` restarts the count.
 * Off (identity) outside training or at rate 0.
 */
export class SeededDropout {
  private calls = 0;
  private base = 0;

  constructor(readonly rate: number) {}

  seed(seed: number): void {
    this.base = seed;
    this.calls = 0;
  }

  apply<T extends tf.Tensor>(x: T, training: boolean): T {
    if (!training || this.rate === 0) return x;
    return tf.dropout(x, this.rate, undefined, this.base * 1_000_003 + this.calls++) as T;
  }
}
