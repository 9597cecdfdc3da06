import { MolarError } from '../errors.js';
import type { ItemRecord, Manifest } from './manifest.js';
import { parseItems, validateManifest } from './validate.js';

export { validateManifest };

/**
 * Load progress as a union on `status`, the shape transformers.js users asked for: the manifest
 * lists every file's size, so `total` is known before the first byte and one overall bar works.
 */
export type LoadProgress =
  | { status: 'initiate'; total: number; files: number }
  | { status: 'progress'; file: string; loaded: number; total: number }
  | { status: 'done'; file: string; loaded: number; total: number }
  | { status: 'ready'; loaded: number; total: number };

/** Browsers allow ~6 connections per origin; more only queue up and cost memory. */
const MAX_PARALLEL_FETCHES = 6;

export interface LoadedBundle {
  baseUrl: string;
  manifest: Manifest;
  items: ItemRecord[];
  /**
   * Bytes of one bundle file (a key of manifest.files), checked against its size and sha256:
   * prefetched files at once, any other on first use (then kept). A bundle holding several models
   * costs the page only the files of the model it serves.
   */
  readFile(name: string): Promise<ArrayBuffer>;
  /** Forgets the kept bytes of one file (a scorer copied what it needs); the next readFile fetches it again. */
  release(name: string): void;
}

export interface ReadOptions {
  fetch?: typeof fetch;
  /** progress of the item table and the prefetched files */
  onProgress?: (p: LoadProgress) => void;
  /** skip sha256 checks (only for trusted, local bundles in benchmarks) */
  skipIntegrity?: boolean;
  /**
   * Which files to fetch up front besides the item table (default: every model's files). The
   * Recommender passes the files of the model it picked, so one overall progress bar covers
   * exactly what it needs.
   */
  prefetch?: (manifest: Manifest) => string[];
}

export async function sha256Hex(bytes: ArrayBuffer): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

async function fetchBytes(f: typeof fetch, url: string): Promise<ArrayBuffer> {
  let res: Response;
  try {
    res = await f(url);
  } catch (e) {
    throw new MolarError('IO', `could not fetch ${url}: ${(e as Error).message}`, { file: url, cause: e });
  }
  if (!res.ok) throw new MolarError('IO', `fetching ${url} gave HTTP ${res.status}`, { file: url });
  return res.arrayBuffer();
}

/**
 * Fetches manifest.json, the item table and the prefetched files (in parallel, sizes and sha256
 * checked); everything else is fetched by `readFile` when asked for. Works in the browser and in
 * Node (global fetch + WebCrypto).
 */
export async function readBundle(bundleUrl: string, opts: ReadOptions = {}): Promise<LoadedBundle> {
  const f = opts.fetch ?? globalThis.fetch.bind(globalThis);
  const base = withSlash(bundleUrl);
  const manifestUrl = `${base}manifest.json`;
  const manifestBytes = await fetchBytes(f, manifestUrl);
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(manifestBytes));
  } catch (e) {
    throw new MolarError('BUNDLE_INVALID', `not valid JSON: ${(e as Error).message}`, { file: manifestUrl });
  }
  const manifest = validateManifest(parsed, manifestUrl);
  const cache = new Map<string, Promise<ArrayBuffer>>();
  const fetchChecked = async (name: string): Promise<ArrayBuffer> => {
    const entry = Object.hasOwn(manifest.files, name) ? manifest.files[name] : undefined; // not an inherited key ("constructor")
    if (!entry) throw new MolarError('BUNDLE_INVALID', `"${name}" is not listed in the manifest's files`, { file: manifestUrl });
    const bytes = await fetchBytes(f, base + name);
    if (!opts.skipIntegrity) {
      if (bytes.byteLength !== entry.bytes) {
        throw new MolarError('BUNDLE_INTEGRITY', `expected ${entry.bytes} bytes, got ${bytes.byteLength}`, { file: base + name });
      }
      const hash = await sha256Hex(bytes);
      if (hash !== entry.sha256) {
        throw new MolarError('BUNDLE_INTEGRITY', `sha256 ${hash} does not match the manifest's ${entry.sha256}`, { file: base + name });
      }
    }
    return bytes;
  };
  const readFile = (name: string): Promise<ArrayBuffer> => {
    let p = cache.get(name);
    if (!p) {
      p = fetchChecked(name);
      cache.set(name, p);
      p.catch(() => cache.delete(name)); // a failed fetch may be retried
    }
    return p;
  };
  // Images are never prefetched: they load lazily as <img> URLs, and a catalog's thousands of
  // them fetched at once exhaust the browser's sockets.
  const wanted = opts.prefetch ? opts.prefetch(manifest) : manifest.models.flatMap((m) => m.files);
  const names = [...new Set([manifest.itemsFile, ...wanted])];
  const total = names.reduce((s, n) => s + (manifest.files[n]?.bytes ?? 0), 0);
  let loaded = 0;
  opts.onProgress?.({ status: 'initiate', total, files: names.length });
  const fetchOne = async (name: string) => {
    const bytes = await readFile(name);
    loaded += bytes.byteLength;
    opts.onProgress?.({ status: 'progress', file: name, loaded, total });
    opts.onProgress?.({ status: 'done', file: name, loaded, total });
  };
  const queue = [...names];
  const worker = async () => {
    for (let name = queue.shift(); name !== undefined; name = queue.shift()) await fetchOne(name);
  };
  await Promise.all(Array.from({ length: Math.min(MAX_PARALLEL_FETCHES, names.length) }, worker));
  const items = parseItems(await readFile(manifest.itemsFile), base + manifest.itemsFile, manifest.numItems);
  opts.onProgress?.({ status: 'ready', loaded, total });
  return { baseUrl: base, manifest, items, readFile, release: (name) => void cache.delete(name) };
}
