import * as tf from '@tensorflow/tfjs';
import type { WeightSpec } from './weights.js';
import { dense, layerNorm, mm } from './ops.js';

/**
 * Block wirings. 'pre-ln': LN → sublayer → residual on x (GPT-2 style). 'sasrec': the SASRec paper's
 * own (TF original, SASRec.pytorch, SASRec+): query = LN(x), keys and values from x itself, the
 * residual onto LN(x), and the FFN reads and adds to LN(x).
 */
export const BLOCK_WIRINGS = ['pre-ln', 'sasrec'] as const;
export type BlockWiring = (typeof BLOCK_WIRINGS)[number];

/** What fixes a block stack's shapes and wiring. */
export interface TransformerConfig {
  /** model width D */
  hidden: number;
  /** FFN inner width; `hidden` when absent */
  ffnInner?: number;
  blocks: number;
  /** attention heads; must divide hidden */
  heads: number;
  block: BlockWiring;
}

/** Additive value that takes a logit out of a softmax; finite, so fully masked (padding) rows stay NaN-free. */
export const MASKED = -1e9;

/** Causal + key-padding mask as an additive [B, L, L] tensor (0 where allowed, MASKED elsewhere). */
export function attentionMask(valid: tf.Tensor2D, L: number): tf.Tensor3D {
  // lower triangle incl. diagonal (key ≤ query), written in JS: tf.linalg.bandPart took 13 ms at
  // L = 200 on wasm and a broadcast tf.greaterEqual of two ranges 4-6 ms (measured in Node, tf.profile),
  // most of a 200-event serving call; 40k floats from JS cost well under 0.1 ms
  const tri = new Float32Array(L * L);
  for (let q = 0; q < L; q++) tri.fill(1, q * L, q * L + q + 1);
  const causal = tf.tensor2d(tri, [L, L]);
  const allowed = causal.expandDims(0).mul(valid.expandDims(1)); // [B, L(query), L(key)]
  return tf.scalar(1).sub(allowed).mul(MASKED) as tf.Tensor3D;
}

/** Reads a weight by its full name (the owning model's Params.get). */
export type WeightLookup = (name: string) => tf.Tensor;
/** Dropout as the owning model applies it (its seeded counter; identity outside training). */
export type Drop = <T extends tf.Tensor>(x: T) => T;

/**
 * A stack of causal self-attention blocks and a final layer norm over [B, L, D] inputs, for any
 * model that reads a left-padded sequence: SASRec feeds it item + position embeddings, a content
 * model can feed it projected item vectors. Weights are named `${prefix}blocks.N.*` and
 * `${prefix}final_ln.*` (SASRec's prefix is '', the names every bundle holds). Q, K and V come from
 * one fused [D, 3D] weight; the FFN uses dense layers (RecBole), not Conv1d; both wirings have an
 * output projection after attention.
 */
export class CausalTransformer {
  readonly specs: WeightSpec[];

  constructor(readonly config: TransformerConfig, readonly prefix = '') {
    const D = config.hidden;
    const F = config.ffnInner ?? D;
    const spec = (name: string, shape: number[]): WeightSpec => ({ name: prefix + name, shape, dtype: 'float32' });
    this.specs = [];
    for (let b = 0; b < config.blocks; b++) {
      const p = `blocks.${b}.`;
      this.specs.push(
        spec(`${p}attn_ln.gamma`, [D]),
        spec(`${p}attn_ln.beta`, [D]),
        spec(`${p}attn.qkv.weight`, [D, 3 * D]),
        spec(`${p}attn.qkv.bias`, [3 * D]),
        spec(`${p}attn.out.weight`, [D, D]),
        spec(`${p}attn.out.bias`, [D]),
        spec(`${p}ffn_ln.gamma`, [D]),
        spec(`${p}ffn_ln.beta`, [D]),
        spec(`${p}ffn.w1`, [D, F]),
        spec(`${p}ffn.b1`, [F]),
        spec(`${p}ffn.w2`, [F, D]),
        spec(`${p}ffn.b2`, [D]),
      );
    }
    this.specs.push(spec('final_ln.gamma', [D]), spec('final_ln.beta', [D]));
  }

  /**
   * x [B, L, D] (padding positions already zero), valid [B, L] 1 at real items → [B, L, D].
   * Padding positions stay zero after every block, so left padding of any length changes nothing.
   * `lastOnly` → [B, 1, D], the last position alone: attention is causal, so the last block's
   * queries, FFN and the final LN at every other position feed nothing the last one reads
   * (serving scores only the newest state; the earlier blocks still run at every position,
   * since the last block's keys and values come from them).
   */
  apply(x: tf.Tensor3D, valid: tf.Tensor2D, w: WeightLookup, drop: Drop, { lastOnly = false }: { lastOnly?: boolean } = {}): tf.Tensor3D {
    const [B, L] = valid.shape;
    const { hidden: D, heads: H, blocks } = this.config;
    const original = this.config.block === 'sasrec';
    const at = (name: string) => w(this.prefix + name);
    const lastRow = <T extends tf.Tensor3D>(t: T): T => t.slice([0, L - 1, 0], [-1, 1, -1]) as T;
    return tf.tidy(() => {
      let timeline = valid.expandDims(2) as tf.Tensor3D; // [B, L, 1]
      let mask = attentionMask(valid, L);
      for (let b = 0; b < blocks; b++) {
        const p = `blocks.${b}.`;
        const last = lastOnly && b === blocks - 1;
        const h = layerNorm(x, at(`${p}attn_ln.gamma`), at(`${p}attn_ln.beta`));
        // queries (and all that follows in the block) at Lq positions: every one, or the last
        const hq = last ? lastRow(h) : h;
        const xq = last ? lastRow(x) : x;
        if (last) {
          mask = lastRow(mask);
          timeline = lastRow(timeline);
        }
        const Lq = last ? 1 : L;
        // Q, K, V from column slices of one [D, 3D] weight: three fast 2-D products, no split of [B, L, 3D]
        const wqkv = at(`${p}attn.qkv.weight`);
        const bqkv = at(`${p}attn.qkv.bias`);
        const [q, k, v] = [0, 1, 2].map((i) => dense(i === 0 ? hq : original ? x : h, wqkv.slice([0, i * D], [D, D]), bqkv.slice([i * D], [D])));
        let att: tf.Tensor3D;
        if (H === 1) {
          const scores = mm(q, k, false, true).mul(1 / Math.sqrt(D)).add(mask);
          att = mm(drop(tf.softmax(scores)) as tf.Tensor3D, v);
        } else {
          const dh = D / H;
          // heads folded into the batch: [B*H, len, dh]
          const heads = (t: tf.Tensor3D, len: number) => t.reshape([B, len, H, dh]).transpose([0, 2, 1, 3]).reshape([B * H, len, dh]) as tf.Tensor3D;
          const m = mask.expandDims(1).tile([1, H, 1, 1]).reshape([B * H, Lq, L]);
          const scores = mm(heads(q, Lq), heads(k, L), false, true).mul(1 / Math.sqrt(dh)).add(m);
          const o = mm(drop(tf.softmax(scores)) as tf.Tensor3D, heads(v, L));
          att = o.reshape([B, H, Lq, dh]).transpose([0, 2, 1, 3]).reshape([B, Lq, D]);
        }
        const o = dense(att, at(`${p}attn.out.weight`), at(`${p}attn.out.bias`));
        // the original block adds to the normalised query and drops only attention weights there
        x = original ? hq.add(o) : xq.add(drop(o));
        const g = layerNorm(x, at(`${p}ffn_ln.gamma`), at(`${p}ffn_ln.beta`));
        const f = dense(drop(tf.relu(dense(g, at(`${p}ffn.w1`), at(`${p}ffn.b1`)))), at(`${p}ffn.w2`), at(`${p}ffn.b2`));
        x = (original ? g : x).add(drop(f)).mul(timeline);
      }
      return layerNorm(x, at('final_ln.gamma'), at('final_ln.beta'));
    });
  }
}
