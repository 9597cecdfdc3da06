import { expect, test, type Page } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import sharp from 'sharp';
import { decodeImageBytes } from '../src/encoders/image-decode-node.js';
import { pageModule, watchNetwork } from './helpers.js';

type Mod = typeof import('./pages/coldstart-image.js');
const MODULE = '/e2e/pages/coldstart-image.ts';
const K = 3;

function call<F extends keyof Mod & string>(page: Page, fn: F, ...args: Parameters<Mod[F]>) {
  return pageModule<Mod>(page, MODULE)(fn, ...args);
}

/** A first import can make Vite optimise a newly met dependency and reload the page; import until it sticks. */
async function open(page: Page): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    await page.goto('/e2e/pages/blank.html');
    try {
      await page.evaluate((u) => import(/* @vite-ignore */ u).then(() => undefined), MODULE);
      return;
    } catch (e) {
      if (attempt >= 2 || !/context was destroyed|navigation/i.test(String(e))) throw e;
    }
  }
}

test('the dev server serves MobileNetV2 as model.json + uint8 weights.bin made from nsfwjs', async ({ page }) => {
  await open(page);
  const m = await call(page, 'modelServed');
  expect(m.status).toBe(200);
  expect(m.hasTopology).toBe(true);
  expect(m.specs).toBeGreaterThan(0);
  expect(m.quantized).toBe(m.specs);
  expect(m.servedBytes).toBe(m.expectedBytes);
});

test('an image item added in the browser is ranked by its picture (image-only bundle, wasm, no external requests)', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  const warnings: string[] = [];
  page.on('console', (msg) => msg.type() === 'warning' && warnings.push(msg.text()));
  await open(page);

  const r = await call(page, 'addAndRank');
  expect(r.backend).toBe('wasm');
  expect(r.encoder).toMatchObject({ encoder: { id: 'mobilenetv2', modality: 'image' } });
  expect(r.added).toEqual(['new-blank', 'new-car', 'new-face']);
  expect(r.ids).not.toContain('st-1f600'); // seen
  expect(r.ids.slice(0, K)).toContain('new-face');
  const score = (id: string) => r.scores[r.ids.indexOf(id)];
  expect(score('new-face')).toBeGreaterThan(score('new-car'));
  expect(score('new-face')).toBeGreaterThan(score('new-blank'));
  r.scores.forEach((s) => expect(Number.isFinite(s)).toBe(true));
  // the item without a picture gets a zero image vector and a warning, not a throw
  expect(warnings.some((w) => w.includes('new-blank'))).toBe(true);
  // … also as a 'warning' event of the Recommender, with its code and item
  expect(r.warnings.map((w) => [w.code, w.itemId])).toEqual([['IMAGE_UNREADABLE', 'new-blank']]);

  expect(external, 'requests that left localhost').toEqual([]);
});

test('the same transparent PNGs give the same vector in the browser as in `molar build` (cosine > 0.99)', async ({ page }) => {
  // pngjs keeps the palette colour of fully transparent pixels (76,105,113 in this sticker) while a
  // canvas hands back 0,0,0; mobilenet.ts composites over white, so both sides see the same picture
  await open(page);
  // browser decoder + wasm vs Node decoder (pngjs) + wasm, through the bundle's int8 rounding
  const ids = ['st-1f600', 'st-1f682', 'st-1f338', 'st-1f4bb'];
  const cos = await call(page, 'sameImageCosines', ids);
  for (const id of ids) expect(cos[id], id).toBeGreaterThan(0.99);
});

test('a progressive 4:2:0 JPEG decodes to the same pixels in Node (`molar build`) as in the browser', async ({ page }) => {
  // chroma upsampling is where JPEG decoders differ (jpeg-js: 1.7 of 255 per channel on ML-1M posters, BENCHMARKS.md)
  const w = 97;
  const h = 61;
  const raw = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) raw.set([(x * 255) / w, (y * 255) / h, ((x ^ y) * 37) % 256], (y * w + x) * 3);
  const jpg = await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).jpeg({ quality: 80, progressive: true, chromaSubsampling: '4:2:0' }).toBuffer();
  const node = await decodeImageBytes(new Uint8Array(jpg));
  await open(page);
  const web = await call(page, 'browserPixels', jpg.toString('base64'));
  expect([web.width, web.height]).toEqual([node.width, node.height]);
  let diff = 0;
  for (let i = 0; i < web.data.length; i++) diff = Math.max(diff, Math.abs(web.data[i] - node.data[i]));
  expect(diff).toBeLessThanOrEqual(1);
});
