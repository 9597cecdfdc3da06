import { MolarError } from '../../errors.js';

/** Attribute values kept in a vocabulary: enough to learn from, few enough to stay small in a page. */
export const ATTRIBUTE_LIMITS = Object.freeze({ minCount: 2, maxValues: 1024 });

/** The item table's attributes as ids into `vocab`, CSR over rows 0..N (row 0 = padding, empty). */
export interface AttributeTable {
  vocab: string[];
  ptr: Int32Array;
  ids: Int32Array;
}

/**
 * Attributes as tokens `key=value`, one per value of a "a|b" list (genres "Action|Comedy" → two).
 * The vocabulary keeps values held by at least minCount items (an id column, unique per item, is
 * noise to an embedding), the maxValues most common, ties by name, so a build is reproducible.
 */
export function buildAttributeTable(itemAttributes: (Record<string, string> | undefined)[]): AttributeTable {
  const tokens = itemAttributes.map((a) => attributeTokens(a));
  const counts = new Map<string, number>();
  for (const t of tokens) for (const tok of new Set(t)) counts.set(tok, (counts.get(tok) ?? 0) + 1);
  const vocab = [...counts]
    .filter(([, n]) => n >= ATTRIBUTE_LIMITS.minCount)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .slice(0, ATTRIBUTE_LIMITS.maxValues)
    .map(([t]) => t);
  return { vocab, ...encodeAttributes(tokens, vocab) };
}

/** The tokens of one item's attributes. */
export function attributeTokens(a: Record<string, string> | undefined): string[] {
  const out: string[] = [];
  for (const [k, v] of Object.entries(a ?? {})) for (const part of v.split('|')) if (part.trim()) out.push(`${k}=${part.trim()}`);
  return out;
}

/** Token lists (items 1..N) as CSR ids into `vocab` over rows 0..N; unknown tokens are left out. */
export function encodeAttributes(tokens: string[][], vocab: string[]): { ptr: Int32Array; ids: Int32Array } {
  const index = new Map(vocab.map((t, i) => [t, i]));
  const ptr = new Int32Array(tokens.length + 2);
  const ids: number[] = [];
  tokens.forEach((t, i) => {
    for (const tok of new Set(t)) {
      const id = index.get(tok);
      if (id !== undefined) ids.push(id);
    }
    ptr[i + 2] = ids.length;
  });
  return { ptr, ids: Int32Array.from(ids) };
}

/** File form: Int32 ptr[rows + 1] then Int32 ids[nnz], little-endian. */
export function serializeAttributes(t: Pick<AttributeTable, 'ptr' | 'ids'>): Uint8Array {
  const out = new Int32Array(t.ptr.length + t.ids.length);
  out.set(t.ptr);
  out.set(t.ids, t.ptr.length);
  return new Uint8Array(out.buffer);
}

/** Reads the file form for `rows` rows, checking every id against a vocabulary of `count` values. */
export function deserializeAttributes(buf: ArrayBuffer, rows: number, count: number, file = 'molar_attributes.bin'): { ptr: Int32Array; ids: Int32Array; count: number } {
  const all = new Int32Array(buf.slice(0));
  if (buf.byteLength % 4 !== 0 || all.length < rows + 1) throw new MolarError('BUNDLE_INVALID', `expected at least ${rows + 1} Int32 row offsets, got ${buf.byteLength} bytes`, { file });
  const ptr = all.subarray(0, rows + 1);
  const ids = all.subarray(rows + 1);
  if (ptr[0] !== 0 || ptr[rows] !== ids.length) throw new MolarError('BUNDLE_INVALID', `row offsets must run from 0 to ${ids.length}`, { file });
  for (let r = 0; r < rows; r++) if (ptr[r + 1] < ptr[r]) throw new MolarError('BUNDLE_INVALID', `row offsets decrease at row ${r}`, { file });
  for (const id of ids) if (id < 0 || id >= count) throw new MolarError('BUNDLE_INVALID', `attribute id ${id} outside 0..${count - 1}`, { file });
  return { ptr, ids, count };
}
