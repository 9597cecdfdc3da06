import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSequences } from '../data/sequences.js';
import { MolarError } from '../errors.js';
import { ITEMS } from '../items/build-step-node.js';
import { cooccurrenceStep } from '../models/cooccurrence/build-step.js';
import { buildBundle, defaultSteps, type BuildStep } from './build.js';
import type { Manifest } from './manifest.js';
import { validateManifest } from './read.js';
import { writeBundle } from './write.js';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'molar-write-'));

describe('writeBundle', () => {
  it('writes files with matching sha256 and byte counts', async () => {
    const dir = fresh();
    const out = path.join(dir, 'b');
    const img = path.join(dir, 'x.jpg');
    writeFileSync(img, 'jpegbytes');
    const m = await writeBundle({
      out,
      name: 't',
      items: [{ id: 'a' }],
      files: new Map([
        ['m.bin', { data: new Uint8Array([1, 2, 3]) }],
        ['images/1.jpg', { copyFrom: img }],
      ]),
      models: [{ kind: 'popularity', files: ['m.bin'] }],
    });
    const onDisk = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(validateManifest(onDisk, 'manifest.json')).toEqual(m);
    for (const [name, e] of Object.entries(m.files)) {
      const bytes = readFileSync(path.join(out, name));
      expect(bytes.length).toBe(e.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(e.sha256);
    }
    expect(Object.keys(m.files).sort()).toEqual(['images/1.jpg', 'items.json', 'm.bin']);
    expect(readdirSync(dir).sort()).toEqual(['b', 'x.jpg']);
  });

  it('leaves nothing behind when a file fails mid-way', async () => {
    const dir = fresh();
    const out = path.join(dir, 'b');
    let written = 0;
    await expect(
      writeBundle({
        out,
        name: 't',
        items: [{ id: 'a' }],
        files: new Map([
          ['one.bin', { data: 'ok' }],
          ['two.bin', { copyFrom: path.join(dir, 'missing.jpg') }],
        ]),
        models: [],
        onFile: () => written++,
      }),
    ).rejects.toThrow(MolarError);
    expect(written).toBe(2); // items.json and one.bin were written before the failure
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it('refuses to clobber a non-bundle folder and unsafe names', async () => {
    const dir = fresh();
    await expect(writeBundle({ out: dir, name: 't', items: [], files: new Map(), models: [], overwrite: true })).rejects.toThrow(/not a bundle/);
    await expect(writeBundle({ out: path.join(dir, 'x'), name: 't', items: [], files: new Map([['../evil', { data: '' }]]), models: [] })).rejects.toThrow(/inside the bundle/);
    await expect(writeBundle({ out: path.join(dir, 'y'), name: 't', items: [], files: new Map(), models: [{ kind: 'k', files: ['nope'] }] })).rejects.toThrow(/not in the bundle/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('buildBundle', () => {
  const rows = [
    ['u1', 'a'], ['u1', 'b'], ['u1', 'c'], ['u1', 'd'],
    ['u2', 'b'], ['u2', 'c'], ['u2', 'a'],
  ].map(([user, item]) => ({ user, item }));
  const catalog = [
    { id: 'a', title: 'Alpha', attributes: { genres: 'x|y' } },
    { id: 'b', image: 'https://example.com/b.png' },
    { id: 'c' },
    { id: 'd' },
    { id: 'cold', title: 'Never bought' },
  ];

  it('runs default and extra steps and fits on training prefixes only', async () => {
    const dataset = buildSequences(rows, catalog, { name: 'toy' });
    const extra: BuildStep = {
      name: 'extra',
      after: ['items'],
      async run(ctx) {
        ctx.files.set('extra.bin', { data: new Uint8Array(ctx.get(ITEMS).length) });
        ctx.models.push({ kind: 'extra', files: ['extra.bin'] });
      },
    };
    const out = path.join(fresh(), 'bundle');
    const m = await buildBundle({ out, dataset, catalog, steps: [...defaultSteps(), extra] });
    expect(m.models.map((x) => x.kind)).toEqual(['popularity', 'cooccurrence', 'extra']);
    expect(m.numItems).toBe(5);
    expect(m.stats).toMatchObject({ users: 2, interactions: 7, trainedOn: 'leave-one-out-train' });
    const items = JSON.parse(readFileSync(path.join(out, 'items.json'), 'utf8'));
    expect(items[0]).toEqual({ id: 'a', title: 'Alpha', text: 'Alpha. genres: x, y' });
    expect(items[1].image).toBeUndefined(); // on another origin: left out unless the items step's allowRemoteImages
    expect(items[4].id).toBe('cold');
    // training prefixes are u1: a b, u2: b → popularity a=1 b=2 c=0 d=0 (targets c, d, a excluded)
    const pop = new Float32Array(Uint8Array.from(readFileSync(path.join(out, 'popularity.bin'))).buffer);
    expect([...pop]).toEqual([0, 1, 2, 0, 0, 0]);
  });

  it('rejects a step list without items', async () => {
    const dataset = buildSequences(rows, catalog);
    await expect(buildBundle({ out: path.join(fresh(), 'b'), dataset, catalog, steps: [cooccurrenceStep()] })).rejects.toThrow(/items/);
  });
});
