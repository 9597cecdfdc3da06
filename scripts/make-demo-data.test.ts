import { existsSync, readFileSync, statSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCatalog } from '../src/data/catalog.js';
import { parseInteractions } from '../src/data/interactions.js';
import { DEFAULT_SEED, ROOT, THEMES, buildCatalog, catalogCsv, interactionsCsv, loadEmoji, makeRng, simulate, svgExists } from './make-demo-data.js';

const DATA = join(ROOT, 'demo-data');
const catalogText = readFileSync(join(DATA, 'catalog.csv'), 'utf8');
const interText = readFileSync(join(DATA, 'interactions.csv'), 'utf8');
const catalog = parseCatalog(catalogText, { file: 'demo-data/catalog.csv' });
const inter = parseInteractions(interText, { file: 'demo-data/interactions.csv' });

describe('committed demo data', () => {
  it('catalog parses with unique ids, every field the demo shows, and images that exist', () => {
    expect(catalog.length).toBeGreaterThanOrEqual(240);
    expect(catalog.length).toBeLessThanOrEqual(400);
    expect(new Set(catalog.map((c) => c.id)).size).toBe(catalog.length);
    for (const c of catalog) {
      expect(c.title).toMatch(/^Sticker: \S/);
      expect(c.description!.length).toBeGreaterThan(20);
      expect(c.attributes?.category).toBeTruthy();
      expect(c.price).toBeGreaterThan(0);
      const img = resolve(DATA, c.image!);
      expect(img.startsWith(join(ROOT, 'public/demo/img'))).toBe(true);
      expect(existsSync(img), `${c.id}: ${c.image}`).toBe(true);
    }
  });

  it('images are PNGs of the advertised size and the folder holds nothing else, under 3 MB', () => {
    const dir = join(ROOT, 'public/demo/img');
    const files = readdirSync(dir);
    expect(files.length).toBe(catalog.length);
    let total = 0;
    for (const f of files) {
      const buf = readFileSync(join(dir, f));
      total += buf.length;
      expect(buf.subarray(1, 4).toString('latin1')).toBe('PNG');
      expect(buf.readUInt32BE(16)).toBe(128); // IHDR width
    }
    expect(total).toBeLessThan(3 * 1024 * 1024);
  });

  it('interactions reference catalog items, are chronological per shopper and within the size budget', () => {
    const ids = new Set(catalog.map((c) => c.id));
    const perUser = new Map<string, number[]>();
    for (const r of inter) {
      expect(ids.has(r.item), r.item).toBe(true);
      const ts = perUser.get(r.user) ?? [];
      ts.push(r.ts!);
      perUser.set(r.user, ts);
    }
    expect(perUser.size).toBeGreaterThanOrEqual(1500);
    expect(perUser.size).toBeLessThanOrEqual(3000);
    for (const [u, ts] of perUser) {
      expect(ts.length, u).toBeGreaterThanOrEqual(15);
      expect(ts.length, u).toBeLessThanOrEqual(40);
      for (let i = 1; i < ts.length; i++) expect(ts[i]).toBeGreaterThan(ts[i - 1]);
    }
    expect(statSync(join(DATA, 'interactions.csv')).size).toBeLessThan(2 * 1024 * 1024);
    expect(statSync(join(DATA, 'catalog.csv')).size).toBeLessThan(2 * 1024 * 1024);
  });

  it('has sequential signal: last click is predicted by transition counts far better than by popularity', () => {
    const seqs = new Map<string, string[]>();
    for (const r of inter) (seqs.get(r.user) ?? seqs.set(r.user, []).get(r.user)!).push(r.item);
    const pop = new Map<string, number>();
    const trans = new Map<string, Map<string, number>>();
    for (const s of seqs.values()) {
      const train = s.slice(0, -1); // the held-out last click never feeds the counts
      for (let i = 0; i < train.length; i++) {
        pop.set(train[i], (pop.get(train[i]) ?? 0) + 1);
        if (i === 0) continue;
        const row = trans.get(train[i - 1]) ?? trans.set(train[i - 1], new Map()).get(train[i - 1])!;
        row.set(train[i], (row.get(train[i]) ?? 0) + 1);
      }
    }
    const top10 = (m: Map<string, number>) => [...m].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([k]) => k);
    const popTop = top10(pop);
    let hitPop = 0;
    let hitTrans = 0;
    for (const s of seqs.values()) {
      const target = s[s.length - 1];
      if (popTop.includes(target)) hitPop++;
      if (top10(trans.get(s[s.length - 2]) ?? new Map()).includes(target)) hitTrans++;
    }
    const n = seqs.size;
    // popularity over ~355 items gets a few percent; a Markov chain should see the neighbour structure
    expect(hitTrans / n).toBeGreaterThan(0.4);
    expect(hitTrans).toBeGreaterThan(4 * hitPop);
  });
});

const haveSources = existsSync(join(ROOT, 'node_modules/emojibase-data/en/data.json')) && svgExists('1f34e.svg');

describe.skipIf(!haveSources)('generator', () => {
  const { emoji, subgroupNames } = loadEmoji();

  it('reproduces the committed catalog and the first shoppers from the default seed, without writing files', () => {
    const products = buildCatalog(emoji, subgroupNames, svgExists, DEFAULT_SEED);
    expect(catalogCsv(products)).toBe(catalogText);
    const clicks = simulate(products, 20, DEFAULT_SEED);
    const head = interactionsCsv(clicks);
    expect(interText.startsWith(head)).toBe(true);
  });

  it('is deterministic per seed and changes with the seed', () => {
    const a = buildCatalog(emoji, subgroupNames, svgExists, 7);
    const b = buildCatalog(emoji, subgroupNames, svgExists, 7);
    const c = buildCatalog(emoji, subgroupNames, svgExists, 8);
    expect(catalogCsv(a)).toBe(catalogCsv(b));
    expect(catalogCsv(a)).not.toBe(catalogCsv(c));
    expect(interactionsCsv(simulate(a, 5, 7))).toBe(interactionsCsv(simulate(b, 5, 7)));
    expect(interactionsCsv(simulate(a, 5, 7))).not.toBe(interactionsCsv(simulate(a, 5, 8)));
  });

  it('every theme is stocked and items keep emoji order inside a theme', () => {
    const products = buildCatalog(emoji, subgroupNames, svgExists, DEFAULT_SEED);
    THEMES.forEach((t, i) => {
      const mine = products.filter((p) => p.theme === i);
      expect(mine.length, t.name).toBeGreaterThanOrEqual(10);
      expect(mine.length).toBeLessThanOrEqual(t.cap);
      for (let j = 1; j < mine.length; j++) expect(mine[j].order).toBeGreaterThan(mine[j - 1].order);
    });
  });

  it('PRNG is seedable and uniform enough', () => {
    const r = makeRng(1);
    const xs = Array.from({ length: 10000 }, r);
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...xs)).toBeLessThan(1);
    expect(Math.abs(xs.reduce((a, b) => a + b, 0) / xs.length - 0.5)).toBeLessThan(0.02);
    expect(makeRng(1)()).toBe(makeRng(1)());
  });
});

