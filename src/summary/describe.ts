/**
 * Stage 2 made readable: the learned preference state is a vector, so it is read through stage 1's
 * tags. "Prefers …" = the tags the state's next-item distribution puts most mass on (Σ_i p(i) ·
 * tag scores of i, p from stage 2's next-item head over every item); "lately …" = the tags of the
 * newest block's items themselves. Without tags (a catalog with no attributes) the titles of the
 * three items the state predicts most stand in. Text only, never markup.
 */
import * as tf from '@tensorflow/tfjs';
import type { ItemRecord } from '../bundle/manifest.js';
import { mm } from '../models/nn/ops.js';
import type { MsrModel } from '../models/msr/model.js';
import { tagValue, type Tag, type TagTable } from './tags.js';

export interface PreferenceSummary {
  /** "Prefers Sci-Fi, Thriller; lately Animation" */
  text: string;
  /** the tags behind "Prefers", best first (empty without tags) */
  prefers: Tag[];
  /** the tags behind "lately" */
  lately: Tag[];
  /**
   * who wrote `text` (set by Recommender.preferenceSummary): the bundle's learned state, or the
   * generative LM (also its kept text while the LM loads, which may be a block or more behind)
   */
  source?: 'learned' | 'generative';
}

export interface TagSource {
  table: TagTable;
  vocab: readonly string[];
}

/** The next-item probabilities of stage 2's state after `history` over ids 0..N (index 0: 0). */
export async function nextItemProbs(model: MsrModel, history: Int32Array, state?: Float32Array): Promise<Float32Array> {
  const p = tf.tidy(() => {
    // a state kept between calls (summary/memory.ts) is the one summaryStates computes
    const q = model.query(state ? tf.tensor2d(state, [1, model.config.hidden]) : model.summaryStates([history]));
    const all = model.project(tf.range(0, model.numItems + 1, 1, 'int32') as tf.Tensor1D);
    const logits = mm(q, all, false, true).reshape([model.numItems + 1]);
    // padding takes no mass
    return tf.softmax(logits.add(tf.oneHot(0, model.numItems + 1).mul(-1e9)));
  });
  const out = (await p.data()) as Float32Array;
  p.dispose();
  return out;
}

/** Tag mass Σ_r w_r · score(r, tag) over rows r with weight w_r, the `count` best. */
function tagMass(t: TagSource, weights: Iterable<[number, number]>, count: number): Tag[] {
  const mass = new Map<number, number>();
  for (const [r, w] of weights) {
    if (r >= t.table.rows || !(w > 0)) continue;
    for (let j = 0; j < t.table.perItem; j++) {
      const id = t.table.ids[r * t.table.perItem + j];
      const s = t.table.scores[r * t.table.perItem + j];
      if (id >= 0 && s > 0) mass.set(id, (mass.get(id) ?? 0) + w * s);
    }
  }
  return [...mass].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(0, count).map(([id, score]) => ({ token: t.vocab[id], score }));
}

const values = (tags: Tag[]) => tags.map((g) => tagValue(g.token)).join(', ');

export async function describePreference(model: MsrModel, history: Int32Array, o: { tags?: TagSource; items: readonly ItemRecord[]; blockSize: number; state?: (known: Int32Array) => Promise<Float32Array> }): Promise<PreferenceSummary> {
  const known = history.filter((i) => i > 0 && i <= model.numItems);
  if (known.length === 0) return { text: '', prefers: [], lately: [] };
  const p = await nextItemProbs(model, known, await o.state?.(known));
  if (!o.tags) {
    const top = Array.from(p.keys()).filter((i) => i > 0).sort((a, b) => p[b] - p[a]).slice(0, 3);
    const names = top.map((i) => o.items[i - 1]?.title ?? o.items[i - 1]?.id).filter(Boolean);
    return { text: names.length ? `Prefers items like ${names.join(', ')}` : '', prefers: [], lately: [] };
  }
  const prefers = tagMass(o.tags, Array.from(p, (w, i) => [i, w] as [number, number]), 3);
  // the newest block, counted from the history's start as the state's blocks are
  const from = Math.floor((known.length - 1) / o.blockSize) * o.blockSize;
  const lately = tagMass(o.tags, Array.from(known.subarray(from), (i) => [i, 1] as [number, number]), 2);
  const shown = lately.filter((g) => !prefers.slice(0, 1).some((q) => q.token === g.token));
  const text = [prefers.length ? `Prefers ${values(prefers)}` : '', shown.length ? `lately ${values(shown)}` : ''].filter(Boolean).join('; ');
  return { text, prefers, lately };
}
