import { MolarError } from '../errors.js';
import type { DecodedImage, ImageInput } from './types.js';

/** Turns any ImageInput into RGBA pixels, or throws MolarError (the encoder turns that into a warning). */
export type ImageDecoder = (input: Exclude<ImageInput, null | undefined>) => Promise<DecodedImage>;

export type ImageFormat = 'jpeg' | 'png' | 'gif' | 'webp' | 'unknown';

/** Format from the first bytes, never from a file name (ML-1M's 3575.jpg is a PNG). */
export function sniffImageFormat(b: Uint8Array): ImageFormat {
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && b[1] === 0x50 && b[2] === 0x4e && b[3] === 0x47) return 'png';
  if (b.length >= 4 && b[0] === 0x47 && b[1] === 0x49 && b[2] === 0x46) return 'gif';
  if (b.length >= 12 && b[0] === 0x52 && b[1] === 0x49 && b[8] === 0x57 && b[9] === 0x45) return 'webp';
  return 'unknown';
}

export function isDecodedImage(x: unknown): x is DecodedImage {
  const d = x as DecodedImage;
  return !!d && typeof d === 'object' && typeof d.width === 'number' && typeof d.height === 'number' && (d.data instanceof Uint8Array || d.data instanceof Uint8ClampedArray);
}

export function checkDecoded(img: DecodedImage, what: string): DecodedImage {
  if (!(img.width > 0 && img.height > 0) || img.data.length !== img.width * img.height * 4) {
    throw new MolarError('BAD_INPUT', `${what}: expected RGBA pixels width*height*4 = ${img.width * img.height * 4} bytes, got ${img.data.length} (${img.width}x${img.height})`);
  }
  return img;
}

/**
 * Browser decoder: createImageBitmap understands every format the browser does (sniffing is its
 * job), and an OffscreenCanvas hands back RGBA. Strings are fetched as URLs.
 */
export const browserImageDecoder: ImageDecoder = async (input) => {
  if (isDecodedImage(input)) return checkDecoded(input, 'image');
  let blob: Blob;
  if (typeof input === 'string') {
    const res = await fetch(input).catch((e: Error) => {
      throw new MolarError('IO', `could not fetch image: ${e.message}`, { file: input, cause: e });
    });
    if (!res.ok) throw new MolarError('IO', `image GET answered ${res.status}`, { file: input });
    blob = await res.blob();
  } else if (input instanceof Blob) {
    blob = input;
  } else {
    blob = new Blob([input instanceof Uint8Array ? new Uint8Array(input) : input]);
  }
  const bitmap = await createImageBitmap(blob).catch((e: Error) => {
    throw new MolarError('BAD_INPUT', `undecodable image: ${e.message}`, { cause: e });
  });
  try {
    const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new MolarError('BACKEND_UNAVAILABLE', 'OffscreenCanvas 2d context is unavailable');
    ctx.drawImage(bitmap, 0, 0);
    const { data, width, height } = ctx.getImageData(0, 0, bitmap.width, bitmap.height);
    return { data, width, height };
  } finally {
    bitmap.close();
  }
};
