import * as tf from '@tensorflow/tfjs';
import type { SasrecEntry } from '../../bundle/manifest.js';
import { checkFinite } from '../../bundle/validate.js';
import { SasrecModel } from '../../models/sasrec/model.js';
import { itemTable, tableKind, type ItemTable } from '../item-table.js';
import { entryFile, padBatch, type Scorer, type ScorerSpec } from '../scorer.js';

/**
 * SASRec from a bundle entry, on the active tfjs backend. In Node the CLI picks that backend
 * (wasm) before it asks for a scorer; nothing here reaches for Node-only code, so the browser
 * build never pulls training in.
 *
 * Served as the transformer (on the backend, last position only) plus the tied item table laid
 * out for the product (score/item-table.ts: fp32 [D, S] shards, or int8 rows for large catalogs,
 * `score.itemTable`). With an int8 table the fp32 checkpoint is released once copied, so the page
 * holds a quarter of it.
 */
export const SASREC_SCORER: ScorerSpec<SasrecEntry> = {
  priority: 100,
  async create({ entry, readFile, release, config }) {
    const name = entryFile(entry, 0);
    const data = await readFile(name);
    checkFinite(new Float32Array(data, 0, data.byteLength >> 2), name, 'the weight blob');
    const { model, itemRows } = SasrecModel.forServing(entry, data, name);
    const { numItems, hidden } = model.config;
    const kind = tableKind(config.score.itemTable, numItems + 1, hidden);
    let table: ItemTable;
    try {
      table = itemTable(kind, itemRows, numItems + 1, hidden);
    } catch (e) {
      model.dispose();
      throw e;
    }
    if (kind === 'int8') release?.(name);
    return servingScorer(model, table);
  },
};

/** The scorer over a table-less model and its item table; owns (and disposes) both. */
export function servingScorer(model: SasrecModel, table: ItemTable): Scorer {
  const D = model.config.hidden;
  const bias = model.repeatBiasValue();
  let disposed = false;
  /** user vectors [B * D] of the histories, read back from the backend */
  const users = async (histories: Int32Array[]): Promise<Float32Array> => {
    const { flat, L } = padBatch(histories, model.maxLen);
    const B = histories.length;
    const u = tf.tidy(() => model.userVectorOf(tf.tensor2d(flat, [B, L], 'int32'), tf.tensor3d(table.gather(flat), [B, L, D])));
    try {
      return (await u.data()) as Float32Array;
    } finally {
      u.dispose();
    }
  };
  // the repeat bias: the learned scalar on every item the window the model read holds (once per item)
  const seen = (h: Int32Array) => new Map([...new Set(h.subarray(Math.max(0, h.length - model.maxLen)))].filter((id) => id > 0).map((id) => [id, bias]));
  return {
    async score(histories) {
      if (histories.length === 0) return [];
      const rows = await table.score(await users(histories), histories.length);
      rows.forEach((row, i) => {
        if (bias !== 0) for (const id of seen(histories[i]).keys()) row[id] += bias;
        row[0] = -Infinity;
      });
      return rows;
    },
    async topK(history, k, excluded) {
      return table.topK(await users([history]), k, excluded, bias !== 0 ? seen(history) : undefined);
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      model.dispose();
      table.dispose();
    },
  };
}
