import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { copyFile, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MolarError } from '../errors.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, isSafeBundlePath, type FileEntry, type ItemRecord, type Manifest, type ModelEntry } from './manifest.js';

/** A bundle file: bytes made in memory, or a file on disk copied as is (images). */
export type BundleFile = { data: Uint8Array | ArrayBuffer | string } | { copyFrom: string };

export interface WriteBundleOptions {
  out: string;
  name: string;
  items: ItemRecord[];
  /** bundle-relative path → content; items.json and manifest.json are added here */
  files: Map<string, BundleFile>;
  models: ModelEntry[];
  stats?: Manifest['stats'];
  /** replace an existing bundle at `out` (only a folder holding a manifest.json counts as one) */
  overwrite?: boolean;
  /** called after each file, for progress bars */
  onFile?: (done: number, total: number, name: string) => void;
}

export const ITEMS_FILE = 'items.json';
export const MANIFEST_FILE = 'manifest.json';
const GENERATOR = 'molar-web 0.1.0';

/**
 * Write a bundle folder atomically: everything goes into a temp folder beside `out`, which is
 * renamed into place only once the manifest is written, so a failure leaves no half bundle.
 */
export async function writeBundle(opts: WriteBundleOptions): Promise<Manifest> {
  const out = path.resolve(opts.out);
  if (existsSync(out)) {
    if (!opts.overwrite) throw new MolarError('IO', 'the output folder already exists: expected a new path (or pass overwrite)', { file: out });
    if (!existsSync(path.join(out, MANIFEST_FILE))) throw new MolarError('IO', 'the output folder exists and is not a bundle: refusing to replace it', { file: out });
  }
  for (const name of opts.files.keys()) checkName(name);
  if (opts.files.has(ITEMS_FILE) || opts.files.has(MANIFEST_FILE)) {
    throw new MolarError('BAD_INPUT', `${ITEMS_FILE} and ${MANIFEST_FILE} are written by writeBundle itself`, { field: 'files' });
  }
  await mkdir(path.dirname(out), { recursive: true });
  const tmp = `${out}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await mkdir(tmp);
    const entries: Record<string, FileEntry> = {};
    const all = new Map<string, BundleFile>([[ITEMS_FILE, { data: JSON.stringify(opts.items) }], ...opts.files]);
    let done = 0;
    for (const [name, f] of all) {
      const dest = path.join(tmp, name);
      await mkdir(path.dirname(dest), { recursive: true });
      let bytes: Buffer;
      if ('copyFrom' in f) {
        await copyFile(f.copyFrom, dest).catch((e: Error) => {
          throw new MolarError('IO', `cannot copy into the bundle: ${e.message}`, { file: f.copyFrom, cause: e });
        });
        bytes = await readFile(dest);
      } else {
        bytes = typeof f.data === 'string' ? Buffer.from(f.data, 'utf8') : Buffer.from(f.data instanceof ArrayBuffer ? new Uint8Array(f.data) : f.data);
        await writeFile(dest, bytes);
      }
      entries[name] = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
      opts.onFile?.(++done, all.size, name);
    }
    for (const m of opts.models) {
      for (const f of m.files) if (!(f in entries)) throw new MolarError('BAD_INPUT', `model "${m.kind}" names file "${f}" that is not in the bundle`, { field: 'models' });
    }
    const manifest: Manifest = {
      format: BUNDLE_FORMAT,
      formatVersion: BUNDLE_FORMAT_VERSION,
      name: opts.name,
      createdAt: new Date().toISOString(),
      generator: GENERATOR,
      numItems: opts.items.length,
      itemsFile: ITEMS_FILE,
      files: entries,
      models: opts.models,
      ...(opts.stats ? { stats: opts.stats } : {}),
    };
    await writeFile(path.join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    if (existsSync(out)) {
      const old = `${tmp}.old`;
      await rename(out, old);
      await rename(tmp, out);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, out);
    }
    return manifest;
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}

/** Bundle paths are relative, forward-slashed and stay inside the bundle. */
function checkName(name: string): void {
  if (!isSafeBundlePath(name)) {
    throw new MolarError('BAD_INPUT', `bundle file names must be relative paths inside the bundle, got ${JSON.stringify(name)}`, { field: 'files' });
  }
}
