import type { LeaveOneOutSplit } from '../data/types.js';

/**
 * The users a leave-one-out split evaluates (a target on that split), or `maxUsers` of them spread
 * evenly over the user list: not the first n, as logs list users in an order (sign-up, id) that
 * can go with how active they are, so the first n need not be typical.
 */
export function evalUsers(targets: Int32Array, maxUsers?: number): number[] {
  const users: number[] = [];
  for (let u = 0; u < targets.length; u++) if (targets[u] !== 0) users.push(u);
  if (maxUsers === undefined || maxUsers >= users.length) return users;
  return Array.from({ length: maxUsers }, (_, i) => users[Math.floor((i * users.length) / maxUsers)]);
}

/** What the model reads for user u: the train prefix ('valid'), or everything before the test target ('test': train prefix + the valid item). */
export function historyOf(which: 'valid' | 'test', split: LeaveOneOutSplit, sequences: Int32Array[], u: number): Int32Array {
  if (which === 'valid') return split.train[u];
  const full = sequences[u];
  return full.subarray(0, full.length - 1);
}
