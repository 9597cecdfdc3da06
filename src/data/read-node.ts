import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { MolarError } from '../errors.js';
import { parseCatalog, type CatalogParseOptions } from './catalog.js';
import { decodeText, type FileReadOptions } from './decode.js';
import { parseInteractions, type InteractionParseOptions } from './interactions.js';
import { encodingError, type BadBytes } from './table.js';
import type { CatalogItem, Interaction } from './types.js';

/**
 * Read a text file, gunzipping when the name ends in .gz or the bytes start with the gzip magic.
 * Bytes that do not decode come back as `badBytes` (decode.ts) for the parser to place.
 */
export async function readTextFile(file: string, encoding?: string): Promise<{ text: string; badBytes?: BadBytes }> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (e) {
    throw new MolarError('IO', `cannot read the file: ${(e as Error).message}`, { file, cause: e });
  }
  if (file.endsWith('.gz') || (buf.length > 2 && buf[0] === 0x1f && buf[1] === 0x8b)) {
    try {
      buf = gunzipSync(buf);
    } catch (e) {
      throw new MolarError('BAD_INPUT', `expected gzip data: ${(e as Error).message}`, { file, cause: e });
    }
  }
  return decodeText(buf, file, encoding);
}

export async function readInteractionsFile(file: string, opts: Omit<InteractionParseOptions, 'file' | 'badBytes'> & FileReadOptions = {}): Promise<Interaction[]> {
  const { encoding, ...parse } = opts;
  const { text, badBytes } = await readTextFile(file, encoding);
  return parseInteractions(text, { ...parse, file, badBytes });
}

export async function readCatalogFile(file: string, opts: Omit<CatalogParseOptions, 'file' | 'badBytes'> & FileReadOptions = {}): Promise<CatalogItem[]> {
  const { encoding, ...parse } = opts;
  const { text, badBytes } = await readTextFile(file, encoding);
  return parseCatalog(text, { ...parse, file, badBytes });
}

/** `externalId<TAB>index` lines → index → externalId. */
export async function readItemMap(file: string): Promise<Map<string, string>> {
  const { text, badBytes } = await readTextFile(file);
  if (badBytes) throw encodingError(file, badBytes);
  const out = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i].trim();
    if (l === '') continue;
    const parts = l.split(/\s+/);
    if (parts.length !== 2) throw new MolarError('BAD_INPUT', `expected "externalId<TAB>index", got ${JSON.stringify(l.slice(0, 40))}`, { file, line: i + 1 });
    out.set(parts[1], parts[0]);
  }
  return out;
}
