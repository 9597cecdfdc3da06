import { promises as fs } from 'node:fs';
import sharp from 'sharp';
import { MolarError } from '../errors.js';
import { checkDecoded, isDecodedImage, sniffImageFormat, type ImageDecoder } from './image-decode.js';
import type { DecodedImage } from './types.js';

/** Names this decoder in the vector cache key (build-step-node.ts): other pixels, other vectors. */
export const NODE_DECODER = 'sharp-srgb-rgba8-autoorient';

/** refuse decompression bombs; posters and product shots stay far below this */
const MAX_PIXELS = 64_000_000;

/**
 * Decodes JPEG or PNG bytes (format sniffed) to 8-bit RGBA with sharp (libvips; mozjpeg for JPEG).
 * Chosen to match the browser: Chromium decodes JPEG with libjpeg-turbo, and mozjpeg's decoder is
 * the same code, so a poster gives the same pixels in `molar build` and in `addItems()` (jpeg-js
 * differed by 1.7 of 255 per pixel channel on ML-1M posters, up to 0.09 in image-vector cosine:
 * the decoder check of `bench:encoders-browser --full` in BENCHMARKS.md). Like a
 * browser, EXIF orientation is applied; grayscale, palette and 16-bit inputs come out as RGBA.
 */
export async function decodeImageBytes(bytes: Uint8Array, file?: string): Promise<DecodedImage> {
  const format = sniffImageFormat(bytes);
  if (format !== 'jpeg' && format !== 'png') throw new MolarError('BAD_INPUT', `unsupported image format (${format}); expected JPEG or PNG bytes`, { file });
  try {
    const { data, info } = await sharp(bytes, { limitInputPixels: MAX_PIXELS, failOn: 'error' })
      .autoOrient()
      .toColourspace('srgb')
      .ensureAlpha()
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    return checkDecoded({ width: info.width, height: info.height, data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) }, file ?? format);
  } catch (e) {
    if (e instanceof MolarError) throw e;
    throw new MolarError('BAD_INPUT', `undecodable ${format} image: ${(e as Error).message}`, { file, cause: e });
  }
}

/** Node decoder: strings are file paths; Blobs are read through arrayBuffer(). */
export const nodeImageDecoder: ImageDecoder = async (input) => {
  if (isDecodedImage(input)) return checkDecoded(input, 'image');
  if (typeof input === 'string') {
    const b = await fs.readFile(input).catch((e: Error) => {
      throw new MolarError('IO', `could not read image: ${e.message}`, { file: input, cause: e });
    });
    return decodeImageBytes(b, input);
  }
  if (input instanceof Uint8Array) return decodeImageBytes(input);
  if (input instanceof ArrayBuffer) return decodeImageBytes(new Uint8Array(input));
  return decodeImageBytes(new Uint8Array(await input.arrayBuffer()));
};
