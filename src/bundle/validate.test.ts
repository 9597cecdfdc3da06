import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { Recommender } from '../recommender/recommender.js';
import { folderFetch } from '../testing/folder-fetch.js';
import { readBundle } from './read.js';

const DEMO = path.resolve(import.meta.dirname, '../../demo-data/bundle');
const MOLAR = path.resolve(import.meta.dirname, '../../e2e/fixtures/molar-bundle');

/** A copy of the demo bundle, tampered with by `edit(manifest, dir)`; file sha256s re-signed so only the flaw remains. */
function tampered(edit: (m: Record<string, any>, dir: string) => void, src = DEMO): string {
  const dir = path.join(mkdtempSync(path.join(tmpdir(), 'molar-bad-')), 'b');
  cpSync(src, dir, { recursive: true, filter: (f) => !f.includes(`${path.sep}images${path.sep}`) });
  const file = path.join(dir, 'manifest.json');
  const m = JSON.parse(readFileSync(file, 'utf8'));
  edit(m, dir);
  for (const name of Object.keys(m.files)) {
    try {
      const bytes = readFileSync(path.join(dir, name));
      m.files[name] = { bytes: bytes.length, sha256: createHash('sha256').update(bytes).digest('hex') };
    } catch {
      // a name that points outside the bundle keeps whatever entry the edit gave it
    }
  }
  writeFileSync(file, JSON.stringify(m));
  return dir;
}

const fetchFrom = (dir: string, asked?: string[]) => folderFetch(dir, 'disk://b/', asked);

async function failure(dir: string, asked?: string[]): Promise<{ code: string; message: string }> {
  const e = await Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', fetch: fetchFrom(dir, asked), namespace: `bad${Math.random()}` }).then(
    (r) => (r.dispose(), new Error('loaded')),
    (err) => err,
  );
  expect(isMolarError(e), String(e)).toBe(true);
  return e;
}

describe('an untrusted bundle is refused with BUNDLE_INVALID naming file and field', () => {
  it('a file name that leaves the bundle is never fetched', async () => {
    // NUL, backslashes (a Windows path, a UNC share), an empty segment, an empty name too
    for (const evil of ['../secret.bin', 'images/../../x', '%2e%2e/x', 'http://evil.example/x', '/etc/passwd', 'a?b', 'pop\u0000.bin', 'images\\..\\..\\secret', 'C:\\secret.bin', '\\\\host\\share\\x', 'images//x', '', '.']) {
      const asked: string[] = [];
      const dir = tampered((m) => {
        m.files[evil] = { bytes: 1, sha256: '0'.repeat(64) };
        m.models.find((x: { kind: string }) => x.kind === 'popularity').files = [evil];
      });
      const e = await failure(dir, asked);
      expect([e.code, e.message], evil).toEqual(['BUNDLE_INVALID', expect.stringContaining('relative path inside the bundle')]);
      expect(asked).toEqual(['manifest.json']);
    }
  });

  it('a model naming a file by an inherited key ("constructor", "toString", "__proto__") is refused unfetched', async () => {
    for (const key of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      const asked: string[] = [];
      const dir = tampered((m) => (m.models.find((x: { kind: string }) => x.kind === 'popularity').files = [key]));
      const e = await failure(dir, asked);
      expect([e.code, e.message], key).toEqual(['BUNDLE_INVALID', expect.stringContaining(`names listed in "files" (missing "${key}")`)]);
      expect(asked).toEqual(['manifest.json']);
    }
    const items = await failure(tampered((m) => (m.itemsFile = 'constructor')));
    expect([items.code, items.message]).toEqual(['BUNDLE_INVALID', expect.stringContaining('field "itemsFile"')]);
  });

  it('items.json keys named __proto__ set no field and no prototype; ids "__proto__" and "constructor" are ordinary items', async () => {
    const dir = tampered((_m, d) => {
      const items = JSON.parse(readFileSync(path.join(d, 'items.json'), 'utf8'));
      items[0] = JSON.parse(`{"id":"__proto__","__proto__":{"url":"javascript:alert(1)","title":"<b>x</b>","image":"javascript:alert(2)"}}`);
      items[1] = { id: 'constructor', title: 'plain' };
      const text = JSON.stringify(items); // JSON.parse made "__proto__" an own key, so it is written back
      expect(text).toContain('"__proto__":{"url":"javascript:alert(1)"');
      writeFileSync(path.join(d, 'items.json'), text);
    });
    const rec = await Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', model: 'popularity', fetch: fetchFrom(dir), namespace: `proto${Math.random()}`, onWarning: () => {} });
    const first = rec.item('__proto__')!;
    expect([first.id, first.url, first.title, first.image]).toEqual(['__proto__', undefined, undefined, undefined]);
    expect(rec.item('constructor')?.title).toBe('plain');
    expect(rec.item('toString')).toBeUndefined(); // a lookup by an inherited key finds nothing
    await rec.record({ itemId: '__proto__' });
    await rec.record({ itemId: 'constructor' });
    const ids = (await rec.recommend({ k: rec.items.length })).map((r) => r.item.id);
    expect(ids).not.toContain('__proto__'); // seen: left out as any other item is
    expect(ids).not.toContain('constructor');
    expect(({} as Record<string, unknown>).url).toBeUndefined();
    rec.dispose();
  });

  it('a model over another item count, a model entry missing fields, bad items.json', async () => {
    const cases: [(m: Record<string, any>, dir: string) => void, string][] = [
      [(m) => (m.models.find((x: { kind: string }) => x.kind === 'sasrec').config.numItems = 300), 'config.numItems'],
      [(m) => delete m.models.find((x: { kind: string }) => x.kind === 'sasrec').weights, 'weights'],
      [(m) => delete m.models.find((x: { kind: string }) => x.kind === 'cooccurrence').nnz, 'nnz'],
      [(m) => (m.models[0] = 'popularity'), 'models[0]'],
      [(_m, dir) => writeFileSync(path.join(dir, 'items.json'), '[{"id": "a"'), 'not valid JSON'],
      [(_m, dir) => {
        const items = JSON.parse(readFileSync(path.join(dir, 'items.json'), 'utf8'));
        items[7].id = items[3].id;
        writeFileSync(path.join(dir, 'items.json'), JSON.stringify(items));
      }, 'a unique id'],
      [(_m, dir) => {
        const items = JSON.parse(readFileSync(path.join(dir, 'items.json'), 'utf8'));
        items[2].title = { html: '<b>' };
        writeFileSync(path.join(dir, 'items.json'), JSON.stringify(items));
      }, '[2].title'],
    ];
    for (const [edit, expected] of cases) {
      const e = await failure(tampered(edit));
      expect([e.code, e.message]).toEqual(['BUNDLE_INVALID', expect.stringContaining(expected)]);
    }
  });

  it('NaN or Infinity weights with a matching sha256 are refused at load, not served', async () => {
    const dir = tampered((_m, d) => {
      const f = path.join(d, 'sasrec.bin');
      const w = new Float32Array(new Uint8Array(readFileSync(f)).buffer);
      w[1234] = Number.NaN;
      writeFileSync(f, new Uint8Array(w.buffer));
    });
    const e = await failure(dir);
    expect([e.code, e.message]).toEqual(['BUNDLE_INVALID', expect.stringContaining('NaN at index 1234')]);
    const pop = tampered((_m, d) => {
      const f = path.join(d, 'popularity.bin');
      const w = new Float32Array(new Uint8Array(readFileSync(f)).buffer);
      w[5] = Number.POSITIVE_INFINITY;
      writeFileSync(f, new Uint8Array(w.buffer));
    });
    const err = await Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', model: 'popularity', fetch: fetchFrom(pop), namespace: 'inf' }).catch((x) => x);
    expect([err.code, err.message]).toEqual(['BUNDLE_INVALID', expect.stringContaining('Infinity at index 5')]);
  });

  it('a co-occurrence table whose row index runs backwards or does not start at 0 is refused, not scored', async () => {
    for (const [name, edit] of [['backwards', (u: Uint32Array) => ([u[5], u[6]] = [u[6] + 3, u[5]])], ['offset start', (u: Uint32Array) => (u[0] = 1)]] as const) {
      const dir = tampered((_m, d) => {
        const f = path.join(d, 'cooccurrence.bin');
        const u = new Uint32Array(new Uint8Array(readFileSync(f)).buffer);
        edit(u);
        writeFileSync(f, new Uint8Array(u.buffer));
      });
      const e = await Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', model: 'cooccurrence', fetch: fetchFrom(dir), namespace: `csr${Math.random()}` }).catch((x) => x);
      expect([e.code, e.message], name).toEqual(['BUNDLE_INVALID', expect.stringMatching(/cooccurrence\.bin.*indptr/)]);
    }
  });

  it('a molar entry with a bad mix, parts outside its files or another item count is refused', async () => {
    const molar = (m: Record<string, any>) => m.models.find((x: { kind: string }) => x.kind === 'molar');
    const cases: [(m: Record<string, any>) => void, string][] = [
      [(m) => (molar(m).mix.content = 2), 'mix'],
      [(m) => (molar(m).parts.vectors = 'popularity.bin'), 'parts'],
      [(m) => (molar(m).config.numItems = 11), 'config.numItems'],
      [(m) => delete molar(m).attributes, 'attributes'],
    ];
    for (const [edit, field] of cases) {
      const e = await failure(tampered(edit, MOLAR));
      expect([e.code, e.message]).toEqual(['BUNDLE_INVALID', expect.stringContaining(field)]);
    }
  });

  it('the untampered copy loads (the checks refuse flaws, not bundles)', async () => {
    const b = await readBundle('disk://b/', { fetch: fetchFrom(tampered(() => {})) });
    expect(b.items).toHaveLength(b.manifest.numItems);
  });
});
