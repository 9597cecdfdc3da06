import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../../errors.js';
import { layerNorm, mm } from '../nn/ops.js';
import type { WeightSpec } from '../nn/weights.js';

/** Shapes of the fusion head: what the catalog's encoders and attributes give, and the output width. */
export interface FusionShape {
  /** text vector width (0: the bundle has no text vectors) */
  textDim: number;
  /** image vector width (0: no image vectors) */
  imageDim: number;
  /** size of the attribute vocabulary (genres, brands, …; 0: none) */
  numAttributes: number;
  /** output width D, the content user model's width */
  hidden: number;
}

/**
 * What the head reads for R items, as tensors (row r = one item):
 * - `text` [R, textDim], `image` [R, imageDim]: the encoders' L2-normalised vectors;
 * - `hasText`, `hasImage` [R, 1]: 1 where the modality is really there (an image that did not
 *   decode is a zero row in the bundle, and must not read as "an image of nothing");
 * - `attributes` [R, numAttributes]: each row's attribute set, normalised to sum 1 (or all 0).
 */
export interface FusionInputs {
  text?: tf.Tensor2D;
  image?: tf.Tensor2D;
  hasText?: tf.Tensor2D;
  hasImage?: tf.Tensor2D;
  attributes?: tf.Tensor2D;
}

/** The head's output and the parts the item-model tasks (IT, SA) train on. */
export interface FusionOutput {
  /** [R, D] item vectors: LN(text part + image part + attribute part) */
  items: tf.Tensor2D;
  /** [R, D] projected text, before the missing embedding stands in (IT aligns it with `image`) */
  text?: tf.Tensor2D;
  /** [R, D] projected image, likewise */
  image?: tf.Tensor2D;
  /** [R, numAttributes] attribute logits from text + image only (SA: no attribute leaks into its own prediction) */
  attributeLogits?: tf.Tensor2D;
}

/**
 * Molar's item model, sized for a browser (arXiv 2412.18176 fine-tunes Qwen2-VL for this; we keep
 * the frozen encoders' vectors and learn a head over them): one D-dim vector per item from its text
 * vector, image vector and categorical attributes.
 *
 * A missing modality is modelled, never a silent zero: where `hasText` / `hasImage` is 0 a learned
 * "missing" embedding stands in for the projection, and in training `modalityDropout` hides each
 * present modality at that rate so the model learns to rank items that lack one (cold-start items
 * without a picture, a catalog without text). Attributes enter as the mean of their embeddings.
 * Weights are named `${prefix}text.*`, `image.*`, `attr.*`, `missing.*`, `ln.*`, `sa.*`.
 */
export class FusionHead {
  readonly specs: WeightSpec[];

  constructor(readonly shape: FusionShape, readonly prefix = 'fusion.') {
    const { textDim, imageDim, numAttributes, hidden: D } = shape;
    if (textDim + imageDim === 0) throw new MolarError('BAD_CONFIG', 'the fusion head needs text or image vectors (build with --encode)', { field: 'encode' });
    const spec = (name: string, s: number[]): WeightSpec => ({ name: prefix + name, shape: s, dtype: 'float32' });
    this.specs = [];
    if (textDim) this.specs.push(spec('text.weight', [textDim, D]), spec('text.bias', [D]), spec('missing.text', [D]));
    if (imageDim) this.specs.push(spec('image.weight', [imageDim, D]), spec('image.bias', [D]), spec('missing.image', [D]));
    if (numAttributes) this.specs.push(spec('attr.embedding', [numAttributes, D]), spec('sa.weight', [D, numAttributes]), spec('sa.bias', [numAttributes]));
    this.specs.push(spec('ln.gamma', [D]), spec('ln.beta', [D]));
  }

  /**
   * inputs → item vectors. `hide` (training only) is [R, 2] of 0/1 per item: column 0 hides its
   * text, column 1 its image (modality dropout drawn by the caller, so runs repeat under a seed).
   */
  apply(inputs: FusionInputs, w: (name: string) => tf.Tensor, hide?: tf.Tensor2D): FusionOutput {
    const p = this.prefix;
    const { textDim, imageDim, numAttributes } = this.shape;
    return tf.tidy(() => {
      const parts: tf.Tensor2D[] = [];
      const out: Omit<FusionOutput, 'items'> = {};
      const modality = (x: tf.Tensor2D | undefined, has: tf.Tensor2D | undefined, name: 'text' | 'image', col: number) => {
        if (!x || !has) throw new MolarError('BAD_INPUT', `the fusion head was built with ${name} vectors; give them (and has${name === 'text' ? 'Text' : 'Image'})`, { field: name });
        const proj = mm(x, w(`${p}${name}.weight`) as tf.Tensor2D).add(w(`${p}${name}.bias`)) as tf.Tensor2D;
        const present = hide ? has.mul(tf.scalar(1).sub(hide.slice([0, col], [-1, 1]))) : has;
        out[name] = proj;
        parts.push(proj.mul(present).add(tf.scalar(1).sub(present).mul(w(`${p}missing.${name}`))) as tf.Tensor2D);
      };
      if (textDim) modality(inputs.text, inputs.hasText, 'text', 0);
      if (imageDim) modality(inputs.image, inputs.hasImage, 'image', 1);
      const content = parts.length === 1 ? parts[0] : (tf.addN(parts) as tf.Tensor2D);
      let fused = content;
      if (numAttributes) {
        if (!inputs.attributes) throw new MolarError('BAD_INPUT', 'the fusion head was built with attributes; give them', { field: 'attributes' });
        fused = content.add(mm(inputs.attributes, w(`${p}attr.embedding`) as tf.Tensor2D)) as tf.Tensor2D;
        out.attributeLogits = mm(content, w(`${p}sa.weight`) as tf.Tensor2D).add(w(`${p}sa.bias`)) as tf.Tensor2D;
      }
      const items = layerNorm(fused.expandDims(0) as tf.Tensor3D, w(`${p}ln.gamma`), w(`${p}ln.beta`)).squeeze([0]) as tf.Tensor2D;
      return { items, ...out };
    });
  }
}
