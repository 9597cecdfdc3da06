import * as tf from '@tensorflow/tfjs';
import { MolarError } from '../errors.js';
import type { ImageDecoder } from './image-decode.js';
import { loadArtifacts, type ModelFiles } from './sources.js';
import type { EncodeOptions, ImageEncoder, ImageInput, Matrix, ProgressCallback } from './types.js';
import { consoleWarning } from '../warnings.js';

export const MOBILENET_ID = 'mobilenetv2';
/** input side the network was trained at */
export const MOBILENET_SIZE = 224;
/**
 * The layer we read: `flatten_1` = global-average-pooled last conv block (1280-d), before nsfwjs's
 * classifier head. bench/encoders.ts measures genre agreement of neighbours for it.
 */
export const MOBILENET_LAYER = 'flatten_1';
export const MOBILENET_BATCH = 16;

/**
 * MobileNetV2 backbone (the one inside nsfwjs, MIT) as an image feature extractor. Pixels are
 * scaled to [0,1] and resized bilinearly to 224x224 with aligned corners, exactly as nsfwjs feeds
 * it. Any size, grayscale or colour (decoders hand RGBA; transparency is composited over white).
 */
export class MobileNetV2Encoder implements ImageEncoder {
  readonly id = MOBILENET_ID;
  readonly modality = 'image' as const;
  readonly dim: number;
  private model: tf.LayersModel | null;

  private constructor(model: tf.LayersModel, private readonly full: tf.LayersModel, private readonly decode: ImageDecoder) {
    this.model = model;
    this.dim = (model.outputs[0].shape as number[])[1];
  }

  /** `source`: a folder/URL with model.json + weights (see sources.ts), or artifacts already in memory. */
  static async load(source: ModelFiles | tf.io.ModelArtifacts, decode: ImageDecoder, opts: { layer?: string; onProgress?: ProgressCallback } = {}): Promise<MobileNetV2Encoder> {
    const art = 'readBytes' in source ? await loadArtifacts(source, 'model.json', opts.onProgress) : source;
    const full = await tf.loadLayersModel(tf.io.fromMemory(art));
    const layerName = opts.layer ?? MOBILENET_LAYER;
    let layer: tf.layers.Layer;
    try {
      layer = full.getLayer(layerName);
    } catch {
      full.dispose();
      throw new MolarError('BAD_CONFIG', `MobileNetV2 has no layer "${layerName}"; e.g. ${full.layers.slice(-6).map((l) => l.name).join(', ')}`, { field: 'layer' });
    }
    let out = layer.output as tf.SymbolicTensor;
    // a spatial layer (e.g. out_relu) is pooled so every choice gives one vector an image
    if (out.shape.length === 4) out = tf.layers.globalAveragePooling2d({}).apply(out) as tf.SymbolicTensor;
    const model = tf.model({ inputs: full.inputs, outputs: out });
    opts.onProgress?.({ status: 'ready', encoder: MOBILENET_ID });
    return new MobileNetV2Encoder(model, full, decode);
  }

  async encodeImages(images: ImageInput[], opts: EncodeOptions & { onWarning?: (index: number, reason: string) => void } = {}): Promise<Matrix> {
    const model = this.model;
    if (!model) throw new MolarError('DISPOSED', 'MobileNetV2Encoder was disposed');
    const batch = opts.batchSize ?? MOBILENET_BATCH;
    const warn = opts.onWarning ?? ((i, reason) => consoleWarning({ code: 'IMAGE_UNREADABLE', message: `image ${i}: ${reason}; using a zero image vector` }));
    const out = new Float32Array(images.length * this.dim);
    for (let start = 0; start < images.length; start += batch) {
      const idx: number[] = [];
      const pixels: { data: Uint8Array | Uint8ClampedArray; width: number; height: number }[] = [];
      await Promise.all(
        images.slice(start, start + batch).map(async (img, k) => {
          if (img === null || img === undefined || img === '') return warn(start + k, 'no image');
          try {
            pixels[k] = await this.decode(img);
            idx.push(k);
          } catch (e) {
            warn(start + k, (e as Error).message);
          }
        }),
      );
      idx.sort((a, b) => a - b);
      if (idx.length) {
        const y = tf.tidy(() => {
          const x = tf.stack(idx.map((k) => preprocess(pixels[k])));
          return model.predict(x) as tf.Tensor;
        });
        const v = await y.data<'float32'>();
        y.dispose();
        idx.forEach((k, r) => out.set(v.subarray(r * this.dim, (r + 1) * this.dim), (start + k) * this.dim));
      }
      opts.onProgress?.({ status: 'encode', modality: 'image', loaded: Math.min(start + batch, images.length), total: images.length });
    }
    return { data: out, rows: images.length, dim: this.dim };
  }

  dispose(): void {
    if (!this.model) return;
    this.full.dispose();
    this.model = null;
  }
}

/**
 * Names the pixel preprocessing below; part of the vector cache key (build-step-node.ts), so vectors
 * made by an older preprocessing are never served from the cache.
 */
export const MOBILENET_PREPROCESS = 'rgb01-over-white';

/**
 * RGBA HxWx4 uint8 → RGB 224x224x3 float in [0,1], composited over white. Compositing is what makes
 * Node and the browser agree on transparent images: the colour of a fully transparent pixel is
 * undefined (a PNG decoder may keep the palette colour, a canvas hands back 0,0,0), and white is what a
 * storefront shows behind a cut-out product. Call inside tf.tidy.
 */
function preprocess(img: { data: Uint8Array | Uint8ClampedArray; width: number; height: number }): tf.Tensor3D {
  const px = tf.tensor3d(Uint8Array.from(img.data), [img.height, img.width, 4], 'int32').toFloat().div(255);
  const rgb = px.slice([0, 0, 0], [img.height, img.width, 3]);
  const alpha = px.slice([0, 0, 3], [img.height, img.width, 1]);
  const over = rgb.mul(alpha).add(tf.scalar(1).sub(alpha)) as tf.Tensor3D;
  return tf.image.resizeBilinear(over, [MOBILENET_SIZE, MOBILENET_SIZE], true);
}
