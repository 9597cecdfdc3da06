import { MolarError } from '../errors.js';
import type { BadBytes } from './table.js';

/** What the readers decode with unless told: UTF-8, as every format we read is specified in. */
export const DEFAULT_ENCODING = 'utf-8';

/** How a file's bytes become text; the parse options say how the text becomes rows. */
export interface FileReadOptions {
  /** text encoding: default utf-8; bytes not valid in it stop the read with file, line and field */
  encoding?: string;
}

/**
 * Bytes → text in `encoding` (any WHATWG label: utf-8, latin1, windows-1252, shift_jis, …), a BOM
 * dropped; without `encoding`, UTF-8, or UTF-16 when the file opens with its byte order mark. Bytes that are not valid in it are never silently replaced (two Latin-1 users "jürgen"
 * and "jörgen" would both become "j\uFFFDrgen", one user): the text comes back decoded with U+FFFD
 * plus `badBytes`, the first bad byte's line, so the parser can name the field before it refuses
 * the file (table.ts, encodingError). Line numbers count 0x0A bytes, right for ASCII-compatible
 * encodings (all but UTF-16).
 */
export function decodeText(bytes: Uint8Array, file: string, encoding?: string): { text: string; badBytes?: BadBytes } {
  // a UTF-16 byte order mark says how the file is written (spreadsheets save "Unicode text" so):
  // read as UTF-8 it is a NUL between every character, refused with a misleading line
  encoding ??= bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : DEFAULT_ENCODING;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(encoding, { fatal: true });
  } catch (e) {
    throw new MolarError('BAD_INPUT', `unknown encoding ${JSON.stringify(encoding)}: expected a label such as utf-8, latin1, windows-1252, utf-16le`, { file, field: '--encoding', cause: e });
  }
  try {
    return { text: decoder.decode(bytes) };
  } catch {
    const at = firstBadByte(bytes, encoding);
    let line = 1;
    for (let i = 0; i < at; i++) if (bytes[i] === 0x0a) line++;
    return { text: new TextDecoder(encoding).decode(bytes), badBytes: { line, encoding: decoder.encoding } };
  }
}

/**
 * Offset of the first byte that cannot be decoded: the longest prefix that decodes in streaming mode
 * (where a character cut at the end waits for its next bytes) is valid, and validity only shrinks as
 * the prefix grows, so a binary search finds it in log2(n) decodes. Only run on the error path.
 */
function firstBadByte(bytes: Uint8Array, encoding: string): number {
  const decodes = (n: number): boolean => {
    try {
      new TextDecoder(encoding, { fatal: true }).decode(bytes.subarray(0, n), { stream: true });
      return true;
    } catch {
      return false;
    }
  };
  let lo = 0;
  let hi = bytes.length;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (decodes(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
