/**
 * The bundle file of stage 1's generative provider: every item's image summary as a JSON array of
 * numItems strings (internal id i+1 at index i, '' = none), kept apart from items.json so a shop
 * can rebuild or drop it alone. Read in the page and in Node; the bundle is untrusted, so every
 * entry is checked and a flaw is BUNDLE_INVALID naming the file and the index.
 */
import { entryOf, type Manifest } from '../bundle/manifest.js';
import { MolarError } from '../errors.js';

export const IMAGE_SUMMARIES_FILE = 'summary_images.json';

/** Longer texts are refused: a summary is a sentence or two, and each goes into a prompt. */
export const MAX_SUMMARY_CHARS = 2000;

export function serializeImageSummaries(texts: readonly string[]): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(texts) + '\n');
}

export function parseImageSummaries(bytes: ArrayBuffer, numItems: number, file = IMAGE_SUMMARIES_FILE): string[] {
  let v: unknown;
  try {
    v = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new MolarError('BUNDLE_INVALID', `not valid JSON: ${(e as Error).message}`, { file, cause: e });
  }
  if (!Array.isArray(v) || v.length !== numItems) throw new MolarError('BUNDLE_INVALID', `expected an array of ${numItems} strings, got ${Array.isArray(v) ? `${v.length} entries` : typeof v}`, { file, field: '(root)' });
  v.forEach((t, i) => {
    if (typeof t !== 'string') throw new MolarError('BUNDLE_INVALID', `expected a string, got ${t === null ? 'null' : typeof t}`, { file, field: `[${i}]` });
    if (t.length > MAX_SUMMARY_CHARS) throw new MolarError('BUNDLE_INVALID', `expected at most ${MAX_SUMMARY_CHARS} characters, got ${t.length}`, { file, field: `[${i}]` });
  });
  return v as string[];
}

/**
 * The bundle's image summaries by internal id (`texts[id - 1]`), or undefined when it has none;
 * what the page hands the generative summarizer and re-ranker as each item's `image` text.
 */
export async function loadImageSummaries(manifest: Pick<Manifest, 'models' | 'numItems'>, readFile: (name: string) => Promise<ArrayBuffer>): Promise<string[] | undefined> {
  const e = manifest.models.map((m) => entryOf(m, 'image-summaries')).find((x) => x !== undefined);
  return e ? parseImageSummaries(await readFile(e.parts.texts), manifest.numItems, e.parts.texts) : undefined;
}
