import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { ItemRecord, Manifest } from '../bundle/manifest.js';
import { parseItems, validateManifest } from '../bundle/validate.js';
import { MolarError } from '../errors.js';

export interface NodeBundle {
  dir: string;
  manifest: Manifest;
  items: ItemRecord[];
  /** bytes of one bundle file, checked against the manifest's size and sha256 */
  readFile(name: string): Promise<ArrayBuffer>;
}

/** Open a bundle folder from disk, reading files lazily (eval needs a model, not every poster). */
export async function openBundleDir(dir: string): Promise<NodeBundle> {
  const manifestFile = path.join(dir, 'manifest.json');
  let raw: string;
  try {
    raw = await readFile(manifestFile, 'utf8');
  } catch (e) {
    throw new MolarError('BUNDLE_INVALID', `no manifest.json: expected a bundle folder written by \`molar build\``, { file: manifestFile, cause: e });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (e) {
    throw new MolarError('BUNDLE_INVALID', `not valid JSON: ${(e as Error).message}`, { file: manifestFile, cause: e });
  }
  const manifest = validateManifest(parsed, manifestFile);
  const readChecked = async (name: string): Promise<ArrayBuffer> => {
    const entry = Object.hasOwn(manifest.files, name) ? manifest.files[name] : undefined; // not an inherited key ("constructor")
    if (!entry) throw new MolarError('BUNDLE_INVALID', `"${name}" is not listed in the manifest`, { file: manifestFile });
    const file = path.join(dir, name);
    const buf = await readFile(file).catch((e: Error) => {
      throw new MolarError('IO', `cannot read bundle file: ${e.message}`, { file, cause: e });
    });
    const hash = createHash('sha256').update(buf).digest('hex');
    if (buf.length !== entry.bytes || hash !== entry.sha256) {
      throw new MolarError('BUNDLE_INTEGRITY', `expected ${entry.bytes} bytes with sha256 ${entry.sha256}, got ${buf.length} bytes with ${hash}`, { file });
    }
    return Uint8Array.from(buf).buffer;
  };
  const items = parseItems(await readChecked(manifest.itemsFile), path.join(dir, manifest.itemsFile), manifest.numItems);
  return { dir, manifest, items, readFile: readChecked };
}
