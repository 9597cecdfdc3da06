/**
 * "Why these?": which history items a recommendation owes most to, measured by leave-one-out on
 * the served score. For each of the newest EXPLAIN_MAX_HISTORY distinct items in the history, the
 * history is scored again without it (every occurrence), through the whole serving path (model,
 * added-item fusion, re-ranker), and the item's contribution to a recommendation is
 * served score with it − served score without it. The EXPLAIN_TOP largest positive ones are shown.
 * It needs no gradient and no attention map, so it explains any model kind the same way; it costs
 * one extra scoring pass per history item tried (batched, EXPLAIN_BATCH histories per pass).
 */
import type { ItemRecord } from '../bundle/manifest.js';

/** distinct history items tried, newest first: older ones are not considered */
export const EXPLAIN_MAX_HISTORY = 20;
/** contributions shown per recommendation */
export const EXPLAIN_TOP = 3;
/** histories scored per pass: a pass holds one catalog-wide score row per history */
export const EXPLAIN_BATCH = 8;

/** a score change this small is float rounding between two passes, not a contribution */
const NOISE = 1e-6;

export interface Contribution {
  /** the history item */
  item: ItemRecord;
  /** the served score with it in the history minus the served score without it (> 0) */
  delta: number;
}

export interface Explanation {
  /** the recommended (or asked-about) item */
  item: ItemRecord;
  /** its served score for the full history */
  score: number;
  /** the shopper's preference summary ("Prefers …; lately …"); null when the bundle has no MLLM-MSR summary */
  summary: string | null;
  /** the history items that raise its score most, largest first; empty when none does (or the history is empty) */
  contributions: Contribution[];
  /** how `contributions` were measured */
  method: 'leave-one-out';
}

/** The full history, then one copy without each of its newest `max` distinct items; `dropped[i]` is the item left out of `histories[i + 1]`. */
export function leaveOneOut(history: Int32Array, max = EXPLAIN_MAX_HISTORY): { dropped: number[]; histories: Int32Array[] } {
  const dropped: number[] = [];
  for (let i = history.length - 1; i >= 0 && dropped.length < max; i--) if (!dropped.includes(history[i])) dropped.push(history[i]);
  return { dropped, histories: [history, ...dropped.map((d) => history.filter((x) => x !== d))] };
}

/**
 * Each target's served score and its top contributors (internal ids). `served(histories, targets)`
 * gives, per history, the served scores of `targets` in their order.
 */
export async function contributions(history: Int32Array, targets: number[], served: (histories: Int32Array[], targets: number[]) => Promise<Float32Array[]>, top = EXPLAIN_TOP): Promise<{ score: number; top: { id: number; delta: number }[] }[]> {
  const { dropped, histories } = leaveOneOut(history);
  const rows: Float32Array[] = [];
  for (let i = 0; i < histories.length; i += EXPLAIN_BATCH) rows.push(...(await served(histories.slice(i, i + EXPLAIN_BATCH), targets)));
  return targets.map((_, t) => {
    const full = rows[0][t];
    const deltas = dropped.map((id, j) => ({ id, delta: full - rows[j + 1][t] })).filter((c) => c.delta > NOISE);
    // ties (a model that reads only the newest items scores older ones alike) go to the newer item, as `dropped` is newest first
    deltas.sort((a, b) => b.delta - a.delta);
    return { score: full, top: deltas.slice(0, top) };
  });
}
