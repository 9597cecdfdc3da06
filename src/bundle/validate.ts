import { MolarError } from '../errors.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, isSafeBundlePath, type ItemRecord, type Manifest } from './manifest.js';

/**
 * A bundle is untrusted input (anyone can host one; a CDN can serve a stale or tampered one with a
 * matching manifest). Everything the runtime will index with, join into URLs or hand to a model is
 * checked here, and any flaw is BUNDLE_INVALID naming the file and the field, never a TypeError
 * later.
 */
type Need = (ok: boolean, field: string, expected: string) => void;
const needIn = (file: string): Need => (ok, field, expected) => {
  if (!ok) throw new MolarError('BUNDLE_INVALID', `expected ${expected}`, { file, field });
};
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isCount = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const MODALITIES = ['text', 'image', 'text+image'];

export function validateManifest(m: unknown, file: string): Manifest {
  const need = needIn(file);
  need(isObject(m), '(root)', 'a JSON object');
  const man = m as Partial<Manifest>;
  need(man.format === BUNDLE_FORMAT, 'format', `"${BUNDLE_FORMAT}"`);
  need(typeof man.formatVersion === 'number', 'formatVersion', 'a number');
  if (man.formatVersion! > BUNDLE_FORMAT_VERSION) {
    throw new MolarError('BUNDLE_INVALID', `format version ${man.formatVersion} is newer than this reader (${BUNDLE_FORMAT_VERSION}); upgrade molar-web`, { file, field: 'formatVersion' });
  }
  need(isCount(man.numItems), 'numItems', 'a non-negative integer');
  need(typeof man.itemsFile === 'string', 'itemsFile', 'a file name');
  need(isObject(man.files), 'files', 'an object of {sha256, bytes}');
  for (const [name, f] of Object.entries(man.files!)) {
    need(isSafeBundlePath(name), `files["${name.slice(0, 80)}"]`, 'a relative path inside the bundle (no "..", no scheme, letters, digits and _ . + - only)');
    need(isObject(f) && typeof f.sha256 === 'string' && /^[0-9a-f]{64}$/.test(f.sha256) && isCount(f.bytes), `files["${name}"]`, '{sha256: 64 hex digits, bytes: a non-negative integer}');
  }
  need(Array.isArray(man.models), 'models', 'an array of model entries');
  // own keys only: `"toString" in files` is true of every object, and a model naming it would be fetched
  need(Object.hasOwn(man.files!, man.itemsFile!), 'itemsFile', `a key of "files" (got "${man.itemsFile}")`);
  for (const [i, entry] of man.models!.entries()) {
    const at = `models[${i}]`;
    need(isObject(entry), at, 'an object {kind, files, …}');
    need(typeof entry.kind === 'string', `${at}.kind`, 'a string');
    need(Array.isArray(entry.files), `${at}.files`, 'an array of file names');
    for (const f of entry.files) need(typeof f === 'string' && Object.hasOwn(man.files!, f), `${at}.files`, `names listed in "files" (missing "${f}")`);
    checkKnownEntry(entry as unknown as Record<string, unknown>, man.numItems!, at, need);
  }
  if (man.served !== undefined) {
    const kinds = man.models!.map((e) => e.kind);
    // a choice naming a model the bundle lacks would serve something nobody chose
    need(isObject(man.served) && typeof man.served.kind === 'string' && kinds.includes(man.served.kind), 'served.kind', `the kind of one of the bundle's models (${kinds.join(', ')})`);
  }
  return man as Manifest;
}

/** The fields each known kind's scorer or loader reads; unknown kinds are left to whoever knows them. */
function checkKnownEntry(e: Record<string, unknown>, numItems: number, at: string, need: Need): void {
  const files = e.files as string[];
  switch (e.kind) {
    case 'popularity':
      need(files.length >= 1, `${at}.files`, 'one file (popularity.bin)');
      break;
    case 'cooccurrence':
      need(files.length >= 2, `${at}.files`, 'two files (cooccurrence.bin, popularity.bin)');
      for (const f of ['nnz', 'topN', 'window']) need(isCount(e[f]), `${at}.${f}`, 'a non-negative integer');
      break;
    case 'sasrec': {
      need(files.length >= 1, `${at}.files`, 'one weight file');
      need(isObject(e.config), `${at}.config`, 'an object of architecture fields');
      const cfg = e.config as Record<string, unknown>;
      // a model over another item table would score ids the page cannot show
      need(cfg.numItems === numItems, `${at}.config.numItems`, `the manifest's numItems (${numItems}), got ${JSON.stringify(cfg.numItems)}`);
      need(Array.isArray(e.weights) && e.weights.length > 0, `${at}.weights`, 'a non-empty array of {name, shape, dtype}');
      for (const [j, w] of (e.weights as unknown[]).entries()) {
        const ok = isObject(w) && typeof w.name === 'string' && Array.isArray(w.shape) && w.shape.every((d) => isCount(d)) && w.dtype === 'float32';
        need(ok, `${at}.weights[${j}]`, '{name: string, shape: non-negative integers, dtype: "float32"}');
      }
      break;
    }
    case 'molar': {
      need(isObject(e.config) && (e.config as Record<string, unknown>).numItems === numItems, `${at}.config.numItems`, `the manifest's numItems (${numItems})`);
      need(Array.isArray(e.weights) && e.weights.length > 0, `${at}.weights`, 'a non-empty array of {name, shape, dtype}');
      const parts = e.parts as Record<string, unknown> | undefined;
      need(isObject(parts) && typeof parts.weights === 'string' && typeof parts.vectors === 'string' && [parts.weights, parts.vectors, parts.attributes].every((f) => f === undefined || files.includes(f as string)), `${at}.parts`, '{weights, vectors, attributes?}: names listed in the entry\'s files');
      need(parts!.attributes === undefined || (Array.isArray(e.attributes) && e.attributes.every((t) => typeof t === 'string')), `${at}.attributes`, 'the attribute vocabulary (strings) that goes with parts.attributes');
      const mix = e.mix as Record<string, unknown> | undefined;
      need(isObject(mix) && typeof mix.content === 'number' && mix.content >= 0 && mix.content <= 1 && (mix.idModel === undefined || mix.idModel === 'sasrec'), `${at}.mix`, '{content: a number in [0, 1], idModel?: "sasrec"}');
      break;
    }
    case 'blend': {
      const parts = e.parts;
      const ok = Array.isArray(parts) && parts.length >= 2 && parts.every((p) => isObject(p) && typeof p.kind === 'string' && p.kind !== 'blend' && typeof p.weight === 'number' && Number.isFinite(p.weight) && p.weight >= 0);
      need(ok, `${at}.parts`, 'two or more {kind: another model\'s kind, weight: a finite number ≥ 0}');
      break;
    }
    case 'item-tags': {
      const parts = e.parts as Record<string, unknown> | undefined;
      need(isObject(parts) && typeof parts.tags === 'string' && typeof parts.tagger === 'string' && files.includes(parts.tags) && files.includes(parts.tagger), `${at}.parts`, "{tags, tagger}: names listed in the entry's files");
      need(e.provider === 'linear-tagger', `${at}.provider`, '"linear-tagger"');
      need(Array.isArray(e.vocab) && e.vocab.length > 0 && e.vocab.every((t) => typeof t === 'string'), `${at}.vocab`, 'a non-empty array of key=value strings');
      need(isCount(e.perItem) && (e.perItem as number) > 0 && isCount(e.dim) && (e.dim as number) > 0, `${at}.perItem`, 'positive integers perItem and dim');
      break;
    }
    case 'image-summaries': {
      const parts = e.parts as Record<string, unknown> | undefined;
      need(isObject(parts) && typeof parts.texts === 'string' && files.includes(parts.texts), `${at}.parts`, "{texts}: a name listed in the entry's files");
      need(typeof e.provider === 'string' && e.provider !== '', `${at}.provider`, 'the id of the provider that wrote them');
      const hf = e.hf as Record<string, unknown> | undefined;
      need(isObject(hf) && typeof hf.dtype === 'string' && isCount(hf.maxNewTokens), `${at}.hf`, '{dtype: string, maxNewTokens: integer}');
      break;
    }
    case 'msr': {
      need(isObject(e.config) && (e.config as Record<string, unknown>).numItems === numItems, `${at}.config.numItems`, `the manifest's numItems (${numItems})`);
      need(Array.isArray(e.weights) && e.weights.length > 0, `${at}.weights`, 'a non-empty array of {name, shape, dtype}');
      const parts = e.parts as Record<string, unknown> | undefined;
      need(isObject(parts) && typeof parts.weights === 'string' && typeof parts.vectors === 'string' && files.includes(parts.weights) && files.includes(parts.vectors), `${at}.parts`, "{weights, vectors}: names listed in the entry's files");
      need(typeof e.firstStage === 'string' && e.firstStage !== '', `${at}.firstStage`, 'the kind of the model it re-ranks');
      need(typeof e.weight === 'number' && e.weight >= 0 && e.weight <= 1, `${at}.weight`, 'a number in [0, 1]');
      break;
    }
    case 'item-vectors': {
      need(files.length >= 1, `${at}.files`, 'one file (item_vectors.bin)');
      const enc = e.encoder;
      need(isObject(enc) && typeof enc.id === 'string' && enc.id !== '' && isCount(enc.dim) && MODALITIES.includes(enc.modality as string), `${at}.encoder`, `{id: string, dim: integer, modality: ${MODALITIES.join(' | ')}}`);
      need(isCount(e.dim) && e.dim === (enc as Record<string, unknown>).dim, `${at}.dim`, 'an integer equal to encoder.dim');
      break;
    }
  }
}

/**
 * items.json: an array of exactly numItems records with unique, non-empty string ids (seen-item
 * exclusion and record() look items up by id) and string / finite-number fields where present.
 */
export function parseItems(bytes: ArrayBuffer, file: string, numItems: number): ItemRecord[] {
  let items: unknown;
  try {
    items = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new MolarError('BUNDLE_INVALID', `not valid JSON: ${(e as Error).message}`, { file, cause: e });
  }
  const need = needIn(file);
  need(Array.isArray(items) && items.length === numItems, '(root)', `an array of ${numItems} item records, got ${Array.isArray(items) ? items.length : typeof items}`);
  const seen = new Map<string, number>();
  for (const [i, it] of (items as unknown[]).entries()) {
    need(isObject(it) && typeof it.id === 'string' && it.id !== '', `[${i}].id`, 'a non-empty string');
    const rec = it as Record<string, unknown>;
    const first = seen.get(rec.id as string);
    need(first === undefined, `[${i}].id`, `a unique id ("${String(rec.id).slice(0, 80)}" is also item ${first})`);
    seen.set(rec.id as string, i);
    for (const f of ['title', 'text', 'image', 'url']) need(rec[f] === undefined || typeof rec[f] === 'string', `[${i}].${f}`, 'a string');
    need(rec.price === undefined || (typeof rec.price === 'number' && Number.isFinite(rec.price)), `[${i}].price`, 'a finite number');
  }
  return items as ItemRecord[];
}

/** Model numbers must be finite: a NaN weight with a valid sha256 would rank the catalog at random. */
export function checkFinite(values: ArrayLike<number>, file: string, what: string): void {
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new MolarError('BUNDLE_INVALID', `${what} holds ${values[i]} at index ${i}; expected finite numbers`, { file });
  }
}
