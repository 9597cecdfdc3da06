import type { LeaveOneOutSplit } from './types.js';

/**
 * Leave-one-out per user: last item = test, second-to-last = validation, the rest trains.
 * Users with fewer than 3 events keep everything in train and get target 0 (skipped by eval).
 */
export function leaveOneOut(sequences: Int32Array[]): LeaveOneOutSplit {
  const n = sequences.length;
  const train: Int32Array[] = new Array(n);
  const valid = new Int32Array(n);
  const test = new Int32Array(n);
  for (let u = 0; u < n; u++) {
    const s = sequences[u];
    if (s.length < 3) {
      train[u] = s;
      continue;
    }
    train[u] = s.subarray(0, s.length - 2);
    valid[u] = s[s.length - 2];
    test[u] = s[s.length - 1];
  }
  return { train, valid, test };
}

/** History the model sees when predicting the test target: train prefix plus the valid item. */
export function testHistory(split: LeaveOneOutSplit, u: number, full: Int32Array): Int32Array {
  return split.valid[u] === 0 ? split.train[u] : full.subarray(0, full.length - 1);
}
