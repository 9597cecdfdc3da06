/**
 * The one loop both stage-1 captioners share (in-thread: gen-caption.ts; in a worker:
 * worker-client.ts): one text per image, '' where there is none, and a bad image costs its own
 * summary (a warning says which), never the batch; a model failure in `caption` still throws.
 */
import type { ImageDecoder } from '../encoders/image-decode.js';
import type { DecodedImage, ImageInput } from '../encoders/types.js';
import { consoleWarning } from '../warnings.js';

export async function captionEach(images: ImageInput[], decode: ImageDecoder, caption: (d: DecodedImage) => Promise<string>, onWarning?: (index: number, reason: string) => void): Promise<string[]> {
  const warn = onWarning ?? ((i: number, r: string) => consoleWarning({ code: 'IMAGE_UNREADABLE', message: `image ${i}: ${r}; no image summary` }));
  const out: string[] = [];
  for (let i = 0; i < images.length; i++) {
    const img = images[i];
    if (img === null || img === undefined || img === '') {
      out.push('');
      continue;
    }
    let d: DecodedImage;
    try {
      d = await decode(img);
    } catch (e) {
      warn(i, (e as Error).message);
      out.push('');
      continue;
    }
    out.push(await caption(d));
  }
  return out;
}
