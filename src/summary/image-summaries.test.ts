import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { buildBundle } from '../bundle/build.js';
import type { ImageSummariesEntry, Manifest } from '../bundle/manifest.js';
import { validateManifest } from '../bundle/validate.js';
import { buildSequences } from '../data/sequences.js';
import type { CatalogItem } from '../data/types.js';
import { itemsStep } from '../items/build-step-node.js';
import { IMAGE_SUMMARIES_FILE, loadImageSummaries, MAX_SUMMARY_CHARS, parseImageSummaries, serializeImageSummaries } from './image-summaries.js';
import { imageSummariesStep } from './image-summaries-step-node.js';

/**
 * Stage 1's generative provider in `molar build`: the fixture captioner over a catalog of the
 * fixture's test images (as PNG files, lossless, so the texts are the torch reference's), its own
 * bundle file, and the per-item cache.
 */
const GEN = fileURLToPath(new URL('../../e2e/fixtures/tiny-gen/', import.meta.url));
const expected = JSON.parse(readFileSync(GEN + 'expected.json', 'utf8')) as {
  max_new_tokens: { caption: number };
  captions: { text: string }[];
  images: { name: string; width: number; height: number; rgba_base64: string }[];
};
const bytesOf = (u: Uint8Array) => u.buffer.slice(u.byteOffset, u.byteOffset + u.byteLength) as ArrayBuffer;

describe('the image summaries file', () => {
  it('round-trips and refuses what the page must not index or prompt with, naming file and index', () => {
    expect(parseImageSummaries(bytesOf(serializeImageSummaries(['a', ''])), 2)).toEqual(['a', '']);
    const bad = (v: unknown, n = 2) => () => parseImageSummaries(bytesOf(new TextEncoder().encode(typeof v === 'string' ? v : JSON.stringify(v))), n);
    expect(bad('{')).toThrow(/summary_images\.json: not valid JSON/);
    expect(bad(['a'])).toThrow(/field "\(root\)": expected an array of 2 strings, got 1 entries/);
    expect(bad(['a', 3])).toThrow(/field "\[1\]": expected a string, got number/);
    expect(bad(['a', 'x'.repeat(MAX_SUMMARY_CHARS + 1)])).toThrow(/field "\[1\]": expected at most/);
  });
});

describe('the image-summaries build step', () => {
  it('captions every local image with the model, writes its own file and entry, and a re-run captions only what changed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'molar-image-summaries-'));
    const catalog: CatalogItem[] = await Promise.all(expected.images.map(async (img, i) => {
      const file = `${img.name}.png`;
      const png = await sharp(Buffer.from(img.rgba_base64, 'base64'), { raw: { width: img.width, height: img.height, channels: 4 } }).png().toBuffer();
      writeFileSync(path.join(dir, file), png);
      return { id: `item${i}`, title: img.name, image: file };
    }));
    catalog.push({ id: 'no-image', title: 'plain' }, { id: 'gone', title: 'gone', image: 'missing.png' });
    const dataset = buildSequences(catalog.map((c) => ({ user: 'u', item: c.id })), catalog, { name: 'shop' });
    const cacheDir = path.join(dir, 'cache');
    const build = async (name: string) => {
      const logs: string[] = [];
      const out = path.join(dir, name);
      await buildBundle({
        out, dataset, catalog, catalogDir: dir, log: (m) => logs.push(m),
        steps: [itemsStep({ images: false }), imageSummariesStep({ model: 'tiny-captioner', modelDir: GEN, maxNewTokens: expected.max_new_tokens.caption, cacheDir })],
      });
      const manifest = validateManifest(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')), 'manifest.json') as Manifest;
      const texts = parseImageSummaries(bytesOf(readFileSync(path.join(out, IMAGE_SUMMARIES_FILE))), manifest.numItems);
      return { manifest, texts, logs };
    };
    const first = await build('b1');
    // internal ids follow the catalog order here: the three images, then the two without one
    expect(first.texts).toEqual([...expected.captions.map((c) => c.text), '', '']);
    const entry = first.manifest.models.find((m) => m.kind === 'image-summaries') as ImageSummariesEntry;
    expect(entry).toMatchObject({ provider: 'hf-caption:tiny-captioner', parts: { texts: IMAGE_SUMMARIES_FILE }, hf: { dtype: 'fp32', maxNewTokens: expected.max_new_tokens.caption } });
    const broken = { ...first.manifest, models: first.manifest.models.map((m) => (m.kind === 'image-summaries' ? { ...m, parts: { texts: 'elsewhere.json' } } : m)) };
    expect(() => validateManifest(broken, 'manifest.json')).toThrow(/field "models\[\d+\]\.parts"/);
    expect(first.logs.some((l) => /warning: item "gone": .*no image summary/.test(l))).toBe(true);
    const read = async (name: string) => bytesOf(readFileSync(path.join(dir, 'b1', name)));
    expect(await loadImageSummaries(first.manifest, read)).toEqual(first.texts);
    expect(await loadImageSummaries({ ...first.manifest, models: [] }, read)).toBeUndefined();
    const second = await build('b2');
    expect(second.texts).toEqual(first.texts);
    expect(second.logs.find((l) => l.startsWith('image-summaries:'))).toContain('4 images, 4 cached, captioning 0');
    // the missing file keyed on its path: once it appears (bytes of its own) it is captioned, alone
    // (new bytes: the same bytes as a cached image would be served that image's text, by design)
    writeFileSync(path.join(dir, 'missing.png'), await sharp(path.join(dir, `${expected.images[0].name}.png`)).negate({ alpha: false }).png().toBuffer());
    const third = await build('b3');
    expect(third.logs.find((l) => l.startsWith('image-summaries:'))).toContain('4 images, 3 cached, captioning 1');
    expect(third.texts.slice(0, 4)).toEqual(first.texts.slice(0, 4));
    expect(third.texts[4]).not.toBe('');
  });
});
