import { mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBundle } from '../bundle/build.js';
import type { ItemRecord } from '../bundle/manifest.js';
import { buildSequences } from '../data/sequences.js';
import type { CatalogItem } from '../data/types.js';
import { itemsStep, sniffImage, type ItemsStepOptions } from './build-step-node.js';

const PNG = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 0x4a, 0x46, 0x49, 0x46, 0, 1]);
const GIF = Buffer.from('GIF89a\x01\x00\x01\x00\x00\x00', 'latin1');
const WEBP = Buffer.from('RIFF\x24\x00\x00\x00WEBPVP8 ', 'latin1');

/** A shop folder: catalog/ with images inside, secret files beside it. */
function shop() {
  const dir = mkdtempSync(path.join(tmpdir(), 'molar-items-'));
  const catalogDir = path.join(dir, 'catalog');
  mkdirSync(path.join(catalogDir, 'img'), { recursive: true });
  writeFileSync(path.join(catalogDir, 'img/a.png'), PNG);
  writeFileSync(path.join(catalogDir, 'img/b.jpeg'), JPEG);
  writeFileSync(path.join(catalogDir, 'img/page.html'), '<script>alert(1)</script>');
  writeFileSync(path.join(catalogDir, 'img/fake.jpg'), 'not really a jpeg');
  // an SVG is a document: opened from the bundle's origin, its script would run there
  writeFileSync(path.join(catalogDir, 'img/evil.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
  writeFileSync(path.join(dir, 'secret.png'), PNG); // a real image, but outside the catalog folder
  symlinkSync(path.join(dir, 'secret.png'), path.join(catalogDir, 'img/link.png'));
  return { dir, catalogDir };
}

async function build(catalog: CatalogItem[], catalogDir: string, o: ItemsStepOptions = {}) {
  const interactions = catalog.map((c) => ({ user: 'u', item: c.id }));
  const dataset = buildSequences(interactions, catalog, { name: 'toy' });
  const out = path.join(mkdtempSync(path.join(tmpdir(), 'molar-items-out-')), 'b');
  const log: string[] = [];
  const m = await buildBundle({ out, dataset, catalog, catalogDir, steps: [itemsStep(o)], log: (l) => log.push(l) });
  const items = JSON.parse(readFileSync(path.join(out, 'items.json'), 'utf8')) as ItemRecord[];
  return { m, out, items, warnings: log.filter((l) => l.startsWith('warning:')) };
}

describe('items step: local images', () => {
  it('sniffs JPEG, PNG, GIF and WebP by their bytes, nothing else', () => {
    expect([PNG, JPEG, GIF, WEBP].map(sniffImage)).toEqual(['.png', '.jpg', '.gif', '.webp']);
    expect(sniffImage(Buffer.from('<html>'))).toBeUndefined();
    expect(sniffImage(Buffer.alloc(0))).toBeUndefined();
  });

  it('copies real images inside the catalog folder, named by their sniffed type', async () => {
    const { catalogDir } = shop();
    const { items, out, warnings } = await build([{ id: 'a', image: 'img/a.png' }, { id: 'b', image: 'img/b.jpeg' }], catalogDir);
    expect(items.map((i) => i.image)).toEqual(['images/1.png', 'images/2.jpg']);
    expect(readFileSync(path.join(out, 'images/1.png'))).toEqual(PNG);
    expect(warnings).toEqual([]);
  });

  it('publishes no file outside the catalog folder (absolute, ../, symlink) and no non-image, warning per item', async () => {
    const { dir, catalogDir } = shop();
    const hostile: CatalogItem[] = [
      { id: 'abs', image: '/etc/passwd' },
      { id: 'up', image: '../secret.png' },
      { id: 'abs-up', image: path.join(dir, 'secret.png') },
      { id: 'link', image: 'img/link.png' },
      { id: 'html', image: 'img/page.html' },
      { id: 'renamed', image: 'img/fake.jpg' },
      { id: 'svg', image: 'img/evil.svg' },
      { id: 'missing', image: 'img/none.png' },
      { id: 'root', image: '.' },
      { id: 'ok', image: 'img/a.png' },
    ];
    const { items, m, out, warnings } = await build(hostile, catalogDir);
    expect(items.map((i) => i.id)).toEqual(hostile.map((h) => h.id)); // every item is kept
    expect(items.filter((i) => i.image).map((i) => i.id)).toEqual(['ok']);
    expect(Object.keys(m.files).filter((f) => f.startsWith('images/'))).toEqual(['images/10.png']);
    expect(readdirSync(path.join(out, 'images'))).toEqual(['10.png']);
    expect(warnings).toHaveLength(9);
    for (const h of hostile.slice(0, 9)) expect(warnings.some((w) => w.includes(`item "${h.id}"`))).toBe(true);
    expect(warnings.find((w) => w.includes('"up"'))).toMatch(/outside/);
    expect(warnings.find((w) => w.includes('"html"'))).toMatch(/not a JPEG, PNG, WebP or GIF/);
    expect(warnings.find((w) => w.includes('"svg"'))).toMatch(/not a JPEG, PNG, WebP or GIF/);
  });

  it('--images-root widens (or narrows) the folder images may come from', async () => {
    const { dir, catalogDir } = shop();
    const wide = await build([{ id: 'up', image: '../secret.png' }], catalogDir, { imagesRoot: dir });
    expect(wide.items[0].image).toBe('images/1.png');
    const narrow = await build([{ id: 'a', image: 'img/a.png' }], catalogDir, { imagesRoot: path.join(catalogDir, 'other') });
    expect(narrow.items[0].image).toBeUndefined();
    expect(narrow.warnings).toHaveLength(1);
  });

  it('drops links and image URLs the page would refuse (javascript:, data:text/html, …) at build time, warning per item', async () => {
    const { catalogDir } = shop();
    const catalog: CatalogItem[] = [
      { id: 'js', url: 'javascript:alert(1)' },
      { id: 'js-hidden', url: 'java\nscript:alert(1)' },
      { id: 'vb', url: 'VBScript:msgbox(1)' },
      { id: 'html-img', image: 'data:text/html,<script>alert(1)</script>' },
      { id: 'blob-img', image: 'blob:https://shop.example/1' },
      { id: 'ok', url: '/products/ok', image: 'img/a.png' },
      { id: 'ok-data', url: 'https://shop.example/p', image: 'data:image/png;base64,iVBORw0KGgo=' },
    ];
    const { items, warnings } = await build(catalog, catalogDir);
    expect(items.map((i) => [i.id, i.url, i.image])).toEqual([
      ['js', undefined, undefined], ['js-hidden', undefined, undefined], ['vb', undefined, undefined],
      ['html-img', undefined, undefined], ['blob-img', undefined, undefined],
      ['ok', '/products/ok', 'images/6.png'], ['ok-data', 'https://shop.example/p', 'data:image/png;base64,iVBORw0KGgo='],
    ]);
    expect(warnings).toHaveLength(5);
    catalog.slice(0, 5).forEach((c, i) => expect(warnings[i]).toContain(`item "${c.id}"`));
  });

  it('leaves absolute image URLs (another origin) out unless --allow-remote-images, warning per item', async () => {
    const { catalogDir } = shop();
    const catalog: CatalogItem[] = [
      { id: 'cdn', image: 'https://cdn.example/c.png' },
      { id: 'scheme-relative', image: '//cdn.example/d.png' },
      { id: 'plain-http', image: 'HTTP://tracker.example/p.gif?u=1' },
      { id: 'local', image: 'img/a.png' },
    ];
    const strict = await build(catalog, catalogDir);
    expect(strict.items.map((i) => i.image)).toEqual([undefined, undefined, undefined, 'images/4.png']);
    expect(strict.warnings).toHaveLength(3);
    catalog.slice(0, 3).forEach((c, i) => expect(strict.warnings[i]).toMatch(new RegExp(`item "${c.id}".*another origin.*--allow-remote-images`)));
    const open = await build(catalog, catalogDir, { allowRemoteImages: true });
    expect(open.items.map((i) => i.image)).toEqual(['https://cdn.example/c.png', '//cdn.example/d.png', 'HTTP://tracker.example/p.gif?u=1', 'images/4.png']);
    expect(open.warnings).toEqual([]);
  });
});
