import type { LeaveOneOutSplit } from '../data/types.js';
import { MolarError } from '../errors.js';
import { blendRow } from '../score/kinds/blend.js';
import type { Scorer } from '../score/scorer.js';
import { evaluateVariants, type EvalResult } from './evaluate.js';

/** One fitted model the build could serve. */
export interface ServeCandidate {
  kind: string;
  scorer: Pick<Scorer, 'score'>;
}

/** The model each learned one is blended with. */
const BLEND_PARTNER = 'cooccurrence';

/** Weights of the blend's second part (co-occurrence) tried on validation; the first part gets 1 − w. */
export const BLEND_WEIGHTS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9];

/** What the validation pass found. */
export interface ServeChoice {
  /** the winner: a candidate's kind, or 'blend' */
  kind: string;
  reason: string;
  /** validation figures per kind; `blend` holds the best blend's */
  valid: Record<string, EvalResult>;
  /** set when a blend was tried: the parts of the best one and their weights */
  blend?: { parts: { kind: string; weight: number }[] };
  users: number;
}

/**
 * Chooses the model to serve on the validation split: every candidate ranks the full catalog
 * for every validation user (molar eval's protocol), and the highest NDCG@10 wins. When the
 * candidates include co-occurrence and a learned model, blends of each learned model with it
 * (score/kinds/blend.ts, weights BLEND_WEIGHTS) are candidates too: a sequence model and item
 * co-occurrence often err on different users. Everything is scored in one pass, so every
 * candidate sees the same users. On an exact tie the candidate listed first (pass the simplest
 * first) keeps the place: it is as good and cheaper to serve.
 */
export async function chooseServed(candidates: readonly ServeCandidate[], split: LeaveOneOutSplit, sequences: Int32Array[], opts: { filterSeen: boolean; onProgress?: (done: number, total: number) => void }): Promise<ServeChoice> {
  if (candidates.length === 0) throw new MolarError('BAD_CONFIG', 'no model to choose from: the build fitted none', { field: 'steps' });
  const base = BLEND_PARTNER;
  const partner = candidates.find((c) => c.kind === base);
  const learned = partner ? candidates.filter((c) => c.kind !== base && c.kind !== 'popularity') : [];
  const blendName = (kind: string, w: number) => `blend:${kind}@${w}`;
  const names = [...candidates.map((c) => c.kind), ...learned.flatMap((c) => BLEND_WEIGHTS.map((w) => blendName(c.kind, w)))];
  const results = await evaluateVariants(
    {
      names,
      async score(histories) {
        const rows = new Map<string, Float32Array[]>();
        for (const c of candidates) rows.set(c.kind, await c.scorer.score(histories));
        const out: Record<string, Float32Array[]> = Object.fromEntries(rows);
        for (const c of learned) {
          for (const w of BLEND_WEIGHTS) out[blendName(c.kind, w)] = histories.map((_, b) => blendRow([rows.get(c.kind)![b], rows.get(base)![b]], [1 - w, w]));
        }
        return out;
      },
    },
    split,
    sequences,
    { split: 'valid', ks: [10, 20], filterSeen: opts.filterSeen, onProgress: opts.onProgress },
  );
  const ndcg = (r: EvalResult) => r.metrics['ndcg@10'] ?? 0;
  const valid: Record<string, EvalResult> = {};
  for (const c of candidates) valid[c.kind] = results[c.kind];
  let blend: ServeChoice['blend'];
  let bestBlend: EvalResult | undefined;
  for (const c of learned) {
    for (const w of BLEND_WEIGHTS) {
      const r = results[blendName(c.kind, w)];
      if (!bestBlend || ndcg(r) > ndcg(bestBlend)) {
        bestBlend = r;
        blend = { parts: [{ kind: c.kind, weight: round(1 - w) }, { kind: base, weight: w }] };
      }
    }
  }
  if (bestBlend) valid.blend = bestBlend;
  const order = Object.keys(valid);
  const kind = order.reduce((a, b) => (ndcg(valid[b]) > ndcg(valid[a]) ? b : a));
  const runnerUp = order.filter((k) => k !== kind).reduce<string | undefined>((a, b) => (a === undefined || ndcg(valid[b]) > ndcg(valid[a]) ? b : a), undefined);
  const users = valid[kind].users;
  const what = kind === 'blend' && blend ? `blend of ${blend.parts.map((p) => `${p.kind} ${p.weight}`).join(' + ')}` : kind;
  const reason =
    `highest validation NDCG@10 (${ndcg(valid[kind]).toFixed(4)}, ${users} users): ${what}` +
    (runnerUp ? `; next best ${runnerUp} ${ndcg(valid[runnerUp]).toFixed(4)}` : '');
  return { kind, reason, valid, ...(blend ? { blend } : {}), users };
}

/** 1 − 0.7 is 0.30000000000000004: weights are written to the manifest, keep them readable. */
const round = (x: number) => Math.round(x * 1e6) / 1e6;
