import { promises as fs } from 'node:fs';
import jpeg from 'jpeg-js';
import { PNG } from 'pngjs';
import { MolarError } from '../errors.js';
import { checkDecoded, isDecodedImage, sniffImageFormat, type ImageDecoder } from './image-decode.js';
import type { DecodedImage } from './types.js';

/** jpeg-js refuses bigger images by default; posters and product shots stay far below this */
const MAX_MEGAPIXELS = 64;

/** Decodes JPEG or PNG bytes (format sniffed) to RGBA. Grayscale / palette / 16-bit inputs come out as 8-bit RGBA. */
export function decodeImageBytes(bytes: Uint8Array, file?: string): DecodedImage {
  const format = sniffImageFormat(bytes);
  try {
    if (format === 'jpeg') {
      const img = jpeg.decode(bytes, { useTArray: true, formatAsRGBA: true, maxResolutionInMP: MAX_MEGAPIXELS });
      return checkDecoded({ width: img.width, height: img.height, data: img.data }, file ?? 'jpeg');
    }
    if (format === 'png') {
      const img = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      return checkDecoded({ width: img.width, height: img.height, data: new Uint8Array(img.data.buffer, img.data.byteOffset, img.data.byteLength) }, file ?? 'png');
    }
  } catch (e) {
    if (e instanceof MolarError) throw e;
    throw new MolarError('BAD_INPUT', `undecodable ${format} image: ${(e as Error).message}`, { file, cause: e });
  }
  throw new MolarError('BAD_INPUT', `unsupported image format (${format}); expected JPEG or PNG bytes`, { file });
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
