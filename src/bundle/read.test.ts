import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { readBundle, type LoadProgress } from './read.js';
import { folderFetch as diskFetch } from '../testing/folder-fetch.js';
import { writeBundle } from './write.js';

const folderFetch = (dir: string, asked: string[]) => diskFetch(dir, 'mem://b/', asked);

async function fixture() {
  const dir = mkdtempSync(path.join(tmpdir(), 'molar-read-'));
  const out = path.join(dir, 'b');
  const img = path.join(dir, 'x.png');
  writeFileSync(img, 'pngbytes');
  await writeBundle({
    out,
    name: 't',
    items: [{ id: 'a', image: 'images/1.png' }, { id: 'b' }],
    files: new Map([
      ['pop.bin', { data: new Uint8Array(12) }],
      ['images/1.png', { copyFrom: img }],
    ]),
    models: [{ kind: 'popularity', files: ['pop.bin'] }],
  });
  return out;
}

describe('readBundle', () => {
  it('fetches the item table and model files (not images) with monotone progress ending at ready', async () => {
    const out = await fixture();
    const asked: string[] = [];
    const events: LoadProgress[] = [];
    const b = await readBundle('mem://b', { fetch: folderFetch(out, asked), onProgress: (p) => events.push(p) });
    expect(b.items.map((i) => i.id)).toEqual(['a', 'b']);
    expect(asked.sort()).toEqual(['items.json', 'manifest.json', 'pop.bin']);
    expect(events[0].status).toBe('initiate');
    const total = (events[0] as { total: number }).total;
    const loaded = events.slice(1).map((e) => (e as { loaded: number }).loaded);
    expect(loaded).toEqual([...loaded].sort((x, y) => x - y));
    expect(events.at(-1)).toEqual({ status: 'ready', loaded: total, total });
  });

  it('refuses a file whose bytes do not match the manifest sha256, naming the file', async () => {
    const out = await fixture();
    writeFileSync(path.join(out, 'pop.bin'), new Uint8Array(12).fill(1));
    const err = await readBundle('mem://b', { fetch: folderFetch(out, []) }).catch((e) => e);
    expect(isMolarError(err, 'BUNDLE_INTEGRITY')).toBe(true);
    expect(err.message).toContain('pop.bin');
  });

  it('refuses a bundle from a newer format version and says to upgrade', async () => {
    const out = await fixture();
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ ...m, formatVersion: 99 }));
    const err = await readBundle('mem://b', { fetch: folderFetch(out, []) }).catch((e) => e);
    expect(isMolarError(err, 'BUNDLE_INVALID')).toBe(true);
    expect(err.message).toMatch(/formatVersion.*upgrade/);
  });

  it('reports a missing manifest as an IO error with its URL', async () => {
    const err = await readBundle('mem://b', { fetch: folderFetch('/nonexistent', []) }).catch((e) => e);
    expect(isMolarError(err, 'IO')).toBe(true);
    expect(err.message).toContain('mem://b/manifest.json');
  });
});
