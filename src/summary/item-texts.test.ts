import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HistoryStore } from '../history/index.js';
import type { Manifest } from '../bundle/manifest.js';
import type { DecodedImage } from '../encoders/types.js';
import type { MolarWarning } from '../warnings.js';
import { loadCaptioner, type ImageSummaryProvider } from './gen-caption.js';
import { loadItemTexts } from './item-texts.js';
import { deserializeTagTable, LinearTagger, tagsOfRow } from './tags.js';

/**
 * Stage 1's text per item (item-texts.ts) over the demo bundle's tags and tagger: catalog items
 * read from the bundle (only when first asked), added items on demand and cached, by the tagger on
 * their vector or, when configured, the fixture captioner on their image.
 */
const DEMO = path.resolve(import.meta.dirname, '../../demo-data/bundle');
const GEN = fileURLToPath(new URL('../../e2e/fixtures/tiny-gen/', import.meta.url));
const manifest = JSON.parse(readFileSync(path.join(DEMO, 'manifest.json'), 'utf8')) as Manifest;
const asked: string[] = [];
const readFile = async (name: string) => {
  asked.push(name);
  const b = readFileSync(path.join(DEMO, name));
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
};
const tagsEntry = manifest.models.find((m) => m.kind === 'item-tags') as unknown as { vocab: string[]; perItem: number; dim: number; parts: { tags: string; tagger: string } };
const expected = JSON.parse(readFileSync(GEN + 'expected.json', 'utf8')) as { max_new_tokens: { caption: number }; captions: { text: string }[]; images: { width: number; height: number; rgba_base64: string }[] };
const image = (i: number): DecodedImage => ({ width: expected.images[i].width, height: expected.images[i].height, data: new Uint8Array(Buffer.from(expected.images[i].rgba_base64, 'base64')) });

let captioners: ImageSummaryProvider[] = [];
afterAll(() => captioners.forEach((c) => c.dispose()));

describe('ItemTexts', () => {
  it("gives catalog items the bundle's tags, read only when first asked, and added items their vector's tags, cached", async () => {
    asked.length = 0;
    const texts = loadItemTexts(manifest, readFile)!;
    expect(asked).toEqual([]);
    const table = deserializeTagTable(await readFile(tagsEntry.parts.tags), manifest.numItems + 1, tagsEntry.perItem, tagsEntry.vocab.length);
    asked.length = 0;
    const t1 = await texts.text(1);
    expect(t1).toBe(tagsOfRow(table, tagsEntry.vocab, 1).text);
    expect(t1).not.toBe('');
    expect(asked.sort()).toEqual(['summary_tagger.bin', 'summary_tags.bin']);
    await texts.text(2);
    expect(asked).toHaveLength(2); // read once

    const tagger = LinearTagger.fromBytes(await readFile(tagsEntry.parts.tagger), tagsEntry.vocab, tagsEntry.dim);
    const v = Float32Array.from({ length: tagsEntry.dim }, (_, i) => Math.sin(i));
    const id = manifest.numItems + 1;
    texts.add(id, { name: 'sku-new', vector: v, image: undefined });
    expect(await texts.text(id)).toBe(tagger.tagVector(v).text);
    expect(await texts.text(id + 1)).toBe(''); // nothing added there
  });

  it('captions an added item from its image when a captioner is configured, once per item, and falls back to the tagger', async () => {
    let loads = 0;
    let captioned = 0;
    const captioner = async () => {
      loads++;
      const c = await loadCaptioner('tiny-captioner', async (x) => x as DecodedImage, { localModelPath: GEN, maxNewTokens: expected.max_new_tokens.caption });
      captioners.push(c);
      return { ...c, name: c.name, summarize: (imgs: Parameters<typeof c.summarize>[0], o?: Parameters<typeof c.summarize>[1]) => ((captioned += imgs.length), c.summarize(imgs, o)) };
    };
    const warnings: MolarWarning[] = [];
    const texts = loadItemTexts(manifest, readFile, { captioner, warn: (w) => warnings.push(w) })!;
    const n = manifest.numItems;
    const v = Float32Array.from({ length: tagsEntry.dim }, (_, i) => Math.cos(i));
    texts.add(n + 1, { name: 'a', vector: v, image: image(0) });
    texts.add(n + 2, { name: 'b', vector: v, image: image(1) });
    texts.add(n + 3, { name: 'c', vector: v, image: undefined });
    expect(loads).toBe(0); // loaded on the first ask
    expect(await texts.text(n + 1)).toBe(expected.captions[0].text);
    expect(await texts.text(n + 2)).toBe(expected.captions[1].text);
    expect(await texts.text(n + 1)).toBe(expected.captions[0].text);
    expect([loads, captioned]).toEqual([1, 2]);
    // no image: the tagger's text
    const tagger = LinearTagger.fromBytes(await readFile(tagsEntry.parts.tagger), tagsEntry.vocab, tagsEntry.dim);
    expect(await texts.text(n + 3)).toBe(tagger.tagVector(v).text);
    expect(captioned).toBe(2);
    expect(warnings).toEqual([]);
    texts.dispose();
  });

  it('keeps captions in the history store: a reload captions nothing again; another image, or another captioner, is captioned afresh', async () => {
    const h = await HistoryStore.open('shop', { dbName: 'item-texts-kept', maxEvents: 100 }, { onWarning: () => {} });
    let loads = 0;
    let captioned = 0;
    // URLs and Blobs as the Recommender hands them over, decoded here to the fixture's images
    const decode = async (x: unknown): Promise<DecodedImage> => {
      const key = typeof x === 'string' ? x : await (x as Blob).text();
      return image(key.includes('second') ? 1 : 0);
    };
    const captioner = async () => {
      loads++;
      const c = await loadCaptioner('tiny-captioner', decode, { localModelPath: GEN, maxNewTokens: expected.max_new_tokens.caption });
      captioners.push(c);
      return { ...c, name: c.name, summarize: (imgs: Parameters<typeof c.summarize>[0], o?: Parameters<typeof c.summarize>[1]) => ((captioned += imgs.length), c.summarize(imgs, o)) };
    };
    const n = manifest.numItems;
    const page = (captionSource = 'hf-caption:tiny-captioner fp32 10 tokens') => loadItemTexts(manifest, readFile, { captioner, captionSource, store: h })!;
    const first = page();
    first.add(n + 1, { name: 'url-item', image: 'https://shop.example/first.png' });
    first.add(n + 2, { name: 'blob-item', image: new Blob(['first picture'], { type: 'image/png' }) });
    expect(await first.text(n + 1)).toBe(expected.captions[0].text);
    expect(await first.text(n + 2)).toBe(expected.captions[0].text);
    expect([loads, captioned]).toEqual([1, 2]);
    expect(await h.itemText('url-item')).toMatchObject({ id: 'url-item', text: expected.captions[0].text });
    first.dispose();

    // a reload: the same items (a Blob with the same bytes is a new object), nothing captioned, the captioner never loaded
    loads = captioned = 0;
    const again = page();
    again.add(n + 1, { name: 'url-item', image: 'https://shop.example/first.png' });
    again.add(n + 2, { name: 'blob-item', image: new Blob(['first picture'], { type: 'image/png' }) });
    expect(await again.text(n + 1)).toBe(expected.captions[0].text);
    expect(await again.text(n + 2)).toBe(expected.captions[0].text);
    expect([loads, captioned]).toEqual([0, 0]);
    again.dispose();

    // another image under the same ids: captioned again, and that caption kept instead
    const changed = page();
    changed.add(n + 1, { name: 'url-item', image: 'https://shop.example/second.png' });
    changed.add(n + 2, { name: 'blob-item', image: new Blob(['second picture'], { type: 'image/png' }) });
    expect(await changed.text(n + 1)).toBe(expected.captions[1].text);
    expect(await changed.text(n + 2)).toBe(expected.captions[1].text);
    expect(captioned).toBe(2);
    expect((await h.itemText('url-item'))?.text).toBe(expected.captions[1].text);
    changed.dispose();

    // another captioner (model, dtype or length): captioned again
    captioned = 0;
    const other = page('hf-caption:tiny-captioner q8 10 tokens');
    other.add(n + 1, { name: 'url-item', image: 'https://shop.example/second.png' });
    expect(await other.text(n + 1)).toBe(expected.captions[1].text);
    expect(captioned).toBe(1);
    other.dispose();

    // forgotten with the history; a store that fails costs only the caption
    await h.clearAll();
    expect(await h.itemText('url-item')).toBeUndefined();
    h.close();
    captioned = 0;
    const closed = page();
    closed.add(n + 1, { name: 'url-item', image: 'https://shop.example/first.png' });
    expect(await closed.text(n + 1)).toBe(expected.captions[0].text);
    expect(captioned).toBe(1);
    closed.dispose();
  });

  it('a captioner that does not load rejects the ask and is tried again on the next', async () => {
    let loads = 0;
    const texts = loadItemTexts(manifest, readFile, { captioner: () => (loads++, loadCaptioner('no-such-captioner', async (x) => x as DecodedImage, { localModelPath: GEN })) })!;
    texts.add(manifest.numItems + 1, { name: 'a', image: image(0) });
    await expect(texts.text(manifest.numItems + 1)).rejects.toMatchObject({ code: 'IO', message: expect.stringContaining('"no-such-captioner"') });
    await expect(texts.text(manifest.numItems + 1)).rejects.toMatchObject({ code: 'IO' });
    expect(loads).toBe(2);
  });

  it('is absent for a bundle with no stage 1 and no captioner', () => {
    expect(loadItemTexts({ numItems: 3, models: [{ kind: 'popularity', files: [] }] as never }, readFile)).toBeUndefined();
  });
});
