import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../config.js';
import type { Manifest, SasrecEntry } from '../../bundle/manifest.js';
import { architectureOf } from '../../models/sasrec/config.js';
import { SasrecModel } from '../../models/sasrec/model.js';
import { itemTable, tableKind, INT8_ABOVE_BYTES } from '../item-table.js';
import { selectTopK } from '../select.js';
import { SASREC_SCORER, servingScorer } from './sasrec.js';

const N = 40;
const HISTORIES = [Int32Array.from([3, 7, 3, 12, 40]), Int32Array.from([9]), Int32Array.from({ length: 12 }, (_, i) => 1 + ((i * 13) % N))];

/** A trained-looking checkpoint: seeded weights, a non-zero repeat bias, and its bundle entry. */
async function checkpoint(repeatBias: boolean) {
  const m = new SasrecModel({ numItems: N, maxLen: 8, hidden: 16, blocks: 2, heads: 2, loss: 'ce', excludeHistory: !repeatBias, repeatBias, positions: 'from-oldest', seed: 5 });
  const w = await m.getWeights();
  if (repeatBias) w.data[w.data.length - 1] = -2.5;
  m.setWeights(w.specs, w.data);
  const entry: SasrecEntry = { kind: 'sasrec', files: ['sasrec.bin'], config: architectureOf(m.config), weights: m.specs };
  return { model: m, entry, data: w.data };
}

/** What fullSortPredict (the training model's own path) gives, left-padded as the scorer pads. */
function reference(m: SasrecModel, h: Int32Array): Float32Array {
  const L = Math.min(8, h.length);
  const seq = tf.tensor2d(h.subarray(h.length - L), [1, L], 'int32');
  const s = m.fullSortPredict(seq);
  const out = s.dataSync() as Float32Array;
  tf.dispose([seq, s]);
  return out;
}

const context = (entry: SasrecEntry, data: Float32Array, itemTableChoice: 'float32' | 'int8', released: string[]) => ({
  manifest: {} as Manifest,
  entry,
  readFile: async () => data.slice().buffer,
  release: (name: string) => released.push(name),
  config: resolveConfig({ score: { itemTable: itemTableChoice } }),
});

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('SASRec serving scorer: last position only, item table laid out for the product', () => {
  it.each([false, true])('float32 scores as fullSortPredict does (1e-5), repeat bias %s; topK streams the same list; nothing leaks', async (repeatBias) => {
    const { model, entry, data } = await checkpoint(repeatBias);
    const released: string[] = [];
    const scorer = await SASREC_SCORER.create(context(entry, data, 'float32', released));
    expect(released).toEqual([]); // the fp32 table reads its rows from the checkpoint
    const rows = await scorer.score(HISTORIES);
    HISTORIES.forEach((h, i) => {
      const want = reference(model, h);
      expect(rows[i][0]).toBe(-Infinity);
      for (let j = 1; j <= N; j++) expect(Math.abs(rows[i][j] - want[j]), `history ${i} item ${j}`).toBeLessThan(1e-5);
    });
    const before = tf.memory().numTensors;
    for (const [i, h] of HISTORIES.entries()) {
      const ex = new Set([0, ...h]);
      const top = await scorer.topK!(h, 10, ex);
      expect(Array.from(top.ids)).toEqual(Array.from(selectTopK(rows[i], 10, ex).ids));
    }
    await scorer.score(HISTORIES);
    expect(tf.memory().numTensors).toBe(before);
    scorer.dispose();
    scorer.dispose();
    model.dispose();
  });

  it('int8 scores within the rounding of the table, releases the checkpoint, and streams top-K across shards as the full row ranks', async () => {
    const { model, entry, data } = await checkpoint(true);
    const released: string[] = [];
    const scorer = await SASREC_SCORER.create(context(entry, data, 'int8', released));
    expect(released).toEqual(['sasrec.bin']);
    const rows = await scorer.score(HISTORIES);
    HISTORIES.forEach((h, i) => {
      const want = reference(model, h);
      for (let j = 1; j <= N; j++) expect(Math.abs(rows[i][j] - want[j])).toBeLessThan(0.02 * Math.max(1, Math.abs(want[j])));
    });
    scorer.dispose();
    // shards of 7 items: every top-K crosses shard edges; it must equal the full row's selection
    const { model: served, itemRows } = SasrecModel.forServing(entry, data);
    for (const kind of ['int8', 'float32'] as const) {
      const sharded = servingScorer(SasrecModel.forServing(entry, data).model, itemTable(kind, itemRows, N + 1, 16, 7));
      const full = await sharded.score(HISTORIES);
      for (const [i, h] of HISTORIES.entries()) {
        for (const k of [1, 5, 30, 50]) {
          const ex = new Set([0, 7, 8, 14]);
          const top = await sharded.topK!(h, k, ex);
          const want = selectTopK(full[i], k, ex);
          expect(Array.from(top.ids), `${kind} history ${i} k ${k}`).toEqual(Array.from(want.ids));
          top.scores.forEach((s, r) => expect(s).toBeCloseTo(want.scores[r], 5));
        }
      }
      sharded.dispose();
    }
    served.dispose();
    model.dispose();
  });

  it("'auto' picks int8 once the fp32 table passes 64 MiB", () => {
    expect(INT8_ABOVE_BYTES).toBe(64 * 2 ** 20);
    expect(tableKind('auto', 262_144, 64)).toBe('float32');
    expect(tableKind('auto', 262_145, 64)).toBe('int8');
    expect(tableKind('float32', 10_000_000, 64)).toBe('float32');
    expect(tableKind('int8', 10, 64)).toBe('int8');
  });
});
