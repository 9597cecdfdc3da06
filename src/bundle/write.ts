import { createHash, randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { MolarError } from '../errors.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, isSafeBundlePath, type FileEntry, type ItemRecord, type Manifest, type ModelEntry } from './manifest.js';

/** A bundle file: bytes made in memory, or a file on disk copied as is (images). */
export type BundleFile = { data: Uint8Array | ArrayBuffer | string } | { copyFrom: string };

/** The bytes of a file a build step has put (inline or to be copied), for steps that read what earlier ones wrote. */
export async function bundleFileBytes(files: ReadonlyMap<string, BundleFile>, name: string): Promise<ArrayBuffer> {
  const f = files.get(name);
  if (!f) throw new MolarError('BAD_CONFIG', `no build step has written "${name}"`, { field: 'steps' });
  const bytes = 'copyFrom' in f ? await readFile(f.copyFrom) : typeof f.data === 'string' ? new TextEncoder().encode(f.data) : f.data;
  return bytes instanceof ArrayBuffer ? bytes : (bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer);
}

export interface WriteBundleOptions {
  out: string;
  name: string;
  items: ItemRecord[];
  /** bundle-relative path → content; items.json and manifest.json are added here */
  files: Map<string, BundleFile>;
  models: ModelEntry[];
  stats?: Manifest['stats'];
  /** the model chosen on validation (Manifest.served) */
  served?: Manifest['served'];
  /** replace an existing bundle at `out` (only a folder whose manifest.json says `format: "molar-bundle"` counts as one) */
  overwrite?: boolean;
  /** called after each file, for progress bars */
  onFile?: (done: number, total: number, name: string) => void;
}

export const ITEMS_FILE = 'items.json';
export const MANIFEST_FILE = 'manifest.json';
const GENERATOR = 'molar-web 0.1.0';

/** Temp folders a build writes beside `out`: `<out>.tmp-<pid>-<8 hex>`, and `….old` while swapping. */
const TEMP_NAME = /^(.*)\.tmp-(\d+)-[0-9a-f]{8}(\.old)?$/;
/** A temp folder whose writer is alive is still left alone for this long (it may be mid-write). */
export const STALE_TEMP_MS = 60 * 60 * 1000;

/**
 * Write a bundle folder atomically: everything goes into a temp folder beside `out`, which is
 * renamed into place only once the manifest is written, so a failure leaves no half bundle.
 * Ctrl-C or SIGTERM removes the temp folder before the process dies; what a `kill -9` leaves,
 * the next build of the same `out` sweeps ({@link sweepStaleTemps}).
 */
export async function writeBundle(opts: WriteBundleOptions): Promise<Manifest> {
  const out = path.resolve(opts.out);
  if (existsSync(out)) {
    if (!opts.overwrite) throw new MolarError('IO', 'the output folder already exists: expected a new path (or pass overwrite)', { file: out });
    await checkIsBundle(out);
  }
  for (const name of opts.files.keys()) checkName(name);
  if (opts.files.has(ITEMS_FILE) || opts.files.has(MANIFEST_FILE)) {
    throw new MolarError('BAD_INPUT', `${ITEMS_FILE} and ${MANIFEST_FILE} are written by writeBundle itself`, { field: 'files' });
  }
  // a parent that is a file, a read-only disk: the file system's own error (EEXIST, EACCES…) as IO naming the folder
  await mkdir(path.dirname(out), { recursive: true }).catch((e: unknown) => {
    throw asIoError(e, out);
  });
  await sweepStaleTemps(out);
  const tmp = `${out}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  const signal = removeOnSignal([tmp, `${tmp}.old`]);
  try {
    await mkdir(tmp);
    const entries: Record<string, FileEntry> = {};
    const all = new Map<string, BundleFile>([[ITEMS_FILE, { data: JSON.stringify(opts.items) }], ...opts.files]);
    let done = 0;
    for (const [name, f] of all) {
      await signal.stopIfInterrupted();
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
    if (opts.served && !opts.models.some((m) => m.kind === opts.served!.kind)) throw new MolarError('BAD_INPUT', `the served model "${opts.served.kind}" is not one of the bundle's models`, { field: 'served' });
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
      ...(opts.served ? { served: opts.served } : {}),
      ...(opts.stats ? { stats: opts.stats } : {}),
    };
    await writeFile(path.join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    await signal.stopIfInterrupted();
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
    await signal.stopIfInterrupted(); // a write that failed because the handler removed the folder
    await rm(tmp, { recursive: true, force: true });
    throw asIoError(e, out);
  } finally {
    signal.unhook();
  }
}

/** A MolarError as it is; anything else (a Node fs error: ENOSPC, EACCES, EEXIST) as IO naming the bundle folder. */
function asIoError(e: unknown, out: string): MolarError {
  if (e instanceof MolarError) return e;
  return new MolarError('IO', `cannot write the bundle: ${(e as Error)?.message ?? String(e)}`, { file: out, cause: e });
}

/**
 * `--overwrite` replaces only a molar bundle: a folder whose manifest.json parses and names our
 * format. A web app's PWA manifest.json is also called that, and its folder is not ours to delete.
 */
async function checkIsBundle(out: string): Promise<void> {
  const text = await readFile(path.join(out, MANIFEST_FILE), 'utf8').catch(() => undefined);
  let format: unknown;
  try {
    format = text === undefined ? undefined : (JSON.parse(text) as { format?: unknown } | null)?.format;
  } catch {
    // not JSON: not a bundle, refused below
  }
  if (format !== BUNDLE_FORMAT) {
    const why = text === undefined ? `it holds no ${MANIFEST_FILE}` : `its ${MANIFEST_FILE} does not say format "${BUNDLE_FORMAT}"`;
    throw new MolarError('IO', `the output folder exists and is not a bundle (${why}): refusing to replace it`, { file: out });
  }
}

/**
 * Removes temp folders of earlier builds of `out` that can no longer finish: their process is
 * gone, or they are older than STALE_TEMP_MS. Other bundles' temp folders are not touched.
 */
export async function sweepStaleTemps(out: string, now = Date.now()): Promise<string[]> {
  const dir = path.dirname(out);
  const swept: string[] = [];
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const m = TEMP_NAME.exec(name);
    if (!m || m[1] !== path.basename(out)) continue;
    const full = path.join(dir, name);
    const age = now - ((await stat(full).catch(() => undefined))?.mtimeMs ?? now);
    if (isAlive(Number(m[2])) && age < STALE_TEMP_MS) continue;
    await rm(full, { recursive: true, force: true });
    swept.push(full);
  }
  return swept;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but is someone else's
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
/** How long fs calls already in libuv's thread pool get to land before the second removal and the exit. */
const SETTLE_MS = 200;

/**
 * Until `unhook()`, a SIGINT / SIGTERM / SIGHUP removes `paths` (synchronously: the process is about
 * to end), and the process then dies of the same signal, as it would have. A mkdir or copy already
 * handed to the thread pool can land after that first removal and recreate the folder, so the paths
 * are removed once more SETTLE_MS later, just before the exit; meanwhile the writer stops at its next
 * `stopIfInterrupted()`, which never resolves once a signal came.
 */
function removeOnSignal(paths: string[]): { unhook(): void; stopIfInterrupted(): Promise<void> } {
  let interrupted = false;
  const remove = () => {
    for (const p of paths) rmSync(p, { recursive: true, force: true });
  };
  const handler = (sig: NodeJS.Signals) => {
    interrupted = true;
    remove();
    unhook();
    setTimeout(() => {
      remove();
      // with our handler gone, the default action ends the process with this signal's status
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    }, SETTLE_MS);
  };
  const unhook = () => {
    for (const s of SIGNALS) process.removeListener(s, handler);
  };
  for (const s of SIGNALS) process.on(s, handler);
  return { unhook, stopIfInterrupted: () => (interrupted ? new Promise<void>(() => {}) : Promise.resolve()) };
}

/** Bundle paths are relative, forward-slashed and stay inside the bundle. */
function checkName(name: string): void {
  if (!isSafeBundlePath(name)) {
    throw new MolarError('BAD_INPUT', `bundle file names must be relative paths inside the bundle, got ${JSON.stringify(name)}`, { field: 'files' });
  }
}
