import { ItemVectorStore } from '../items/store.js';
import { checkFinite } from './validate.js';

/**
 * Parsed item-vector files, by the bytes they were parsed from. A bundle reader hands out one
 * ArrayBuffer per file (read.ts keeps it), so every reader of one load (the content model, cold
 * start, the MSR re-ranker, and their rebuilds after a device loss) shares one parse; a reader that
 * hands out fresh bytes gets a fresh parse, never a stale one. Weak: the parse goes with the bytes.
 */
const parsed = new WeakMap<ArrayBuffer, ItemVectorStore>();

/**
 * A bundle's item-vectors file (MIV1, items/store.ts), fetched through `readFile` and parsed once,
 * its row scales checked finite. The store is shared: read it, never append to it (`fork()` first).
 */
export async function readItemVectors(readFile: (name: string) => Promise<ArrayBuffer>, name: string): Promise<ItemVectorStore> {
  const bytes = await readFile(name);
  let store = parsed.get(bytes);
  if (!store) {
    store = ItemVectorStore.fromArrayBuffer(bytes, name);
    checkFinite(store.scales, name, 'the row scales');
    parsed.set(bytes, store);
  }
  return store;
}
