/**
 * Privacy audit of a scripted shopper session on the demo (issue 21 §10): every request the page
 * makes is recorded with its method, URL, headers and body. None may leave the origin, and none may
 * carry a history item id in its query, headers or body. A path may name an item only as a static
 * image file the storefront shows (the grid's product pictures), which the page fetches whatever the
 * shopper did.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import { ready, recIds } from './helpers.js';

interface Seen {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | null;
}

test('a shopper session sends nothing off the origin and no history item id in any query, header or body', async ({ page }) => {
  const requests: Promise<Seen>[] = [];
  page.on('request', (r) => requests.push(r.allHeaders().then((headers) => ({ method: r.method(), url: r.url(), headers, body: r.postData() }))));
  await ready(page);
  await expect.poll(() => recIds(page)).toHaveLength(8);

  // the session: open four products, click two recommendations, reload, then forget everything
  const history: string[] = [];
  const products = page.locator('#grid .product');
  for (const i of [2, 11, 30, 47]) {
    history.push((await products.nth(i).getAttribute('data-item-id'))!);
    await products.nth(i).click();
  }
  for (let i = 0; i < 2; i++) {
    const before = await recIds(page);
    history.push(before[0]);
    await page.locator('molar-recs').locator('[part=card]').first().click();
    await expect.poll(() => recIds(page)).not.toEqual(before);
    if (!page.url().startsWith(ORIGIN)) await page.goBack();
  }
  // (a card click is one click event: the view the page records for the product it opens is that same click)
  await expect(page.locator('#history-count')).toHaveText(/^\d+ events on this device$/);
  expect(Number((await page.locator('#history-count').textContent())!.split(' ')[0])).toBeGreaterThanOrEqual(history.length);
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  await page.locator('#clear').click();
  await expect(page.locator('#history-count')).toHaveText('0 events on this device');

  const seen = await Promise.all(requests);
  expect(seen.length).toBeGreaterThan(10);
  const off = seen.filter((r) => !r.url.startsWith(`${ORIGIN}/`) && !/^(data|blob):/.test(r.url));
  expect(off.map((r) => r.url), 'requests that left the origin').toEqual([]);
  const leaks: string[] = [];
  for (const r of seen) {
    const u = r.url.startsWith(ORIGIN) ? new URL(r.url) : undefined;
    const staticImage = r.method === 'GET' && u !== undefined && /\.(png|jpe?g|webp|gif|svg)$/i.test(u.pathname) && u.search === '';
    const carriers = [u?.search ?? '', JSON.stringify(r.headers), r.body ?? '', staticImage ? '' : decodeURIComponent(u?.pathname ?? '')];
    for (const id of history) if (carriers.some((c) => c.includes(id))) leaks.push(`${r.method} ${r.url} carries ${id}`);
  }
  expect(leaks).toEqual([]);
});

/**
 * Catalog pictures on another origin (a CDN) are requests that tell that origin what the shopper is
 * shown, so the widget shows only the page's and the bundle's own unless the shop sets
 * `allow-remote-images` (issue 21 §1). The bundle is written directly, as a shop that built with
 * `--allow-remote-images` would publish it; the other origin is answered by page.route, never reached.
 */
test.describe('images on other origins', () => {
  const CDN = 'https://cdn.other-origin.test';
  const items = [
    { id: 'own', title: 'own picture', image: 'images/1.png' },
    { id: 'cdn-a', title: 'cdn picture a', image: `${CDN}/a.png` },
    { id: 'cdn-b', title: 'cdn picture b', image: `//cdn.other-origin.test/b.png?sku=cdn-b` },
  ];

  test.beforeAll(async () => {
    const { writeBundle } = await import('../src/bundle/write.js');
    const pop = Float32Array.from([0, 3, 2, 1]);
    await writeBundle({
      out: path.resolve('bundles/remote-images-e2e'),
      name: 'remote-images',
      items,
      files: new Map([['popularity.bin', { data: new Uint8Array(pop.buffer) }], ['images/1.png', { copyFrom: path.resolve('demo-data/bundle/images/1.png') }]]),
      models: [{ kind: 'popularity', files: ['popularity.bin'] }],
      overwrite: true,
    });
  });

  for (const allow of [false, true]) {
    test(`${allow ? 'with' : 'without'} allow-remote-images: ${allow ? 'each remote picture is one counted request' : 'no request leaves the origin, each dropped picture named in a warning'}`, async ({ page }) => {
      const off: string[] = [];
      page.on('request', (r) => !r.url().startsWith(`${ORIGIN}/`) && !/^(data|blob):/.test(r.url()) && off.push(r.url()));
      const png = readFileSync(path.resolve('demo-data/bundle/images/1.png'));
      await page.route(/^https?:\/\/cdn\.other-origin\.test\//, (route) => route.fulfill({ status: 200, contentType: 'image/png', body: png }));
      const warnings: string[] = [];
      page.on('console', (m) => m.text().startsWith('molar-web:') && warnings.push(m.text()));
      await page.goto('/e2e/pages/blank.html');
      await page.evaluate(async (allow) => {
        const widget = '/src/widget/index.ts'; // served by Vite, not resolved by tsc
        await import(/* @vite-ignore */ widget);
        const el = document.createElement('molar-recs');
        el.setAttribute('bundle', '/bundles/remote-images-e2e/');
        el.setAttribute('backend', 'cpu');
        el.setAttribute('k', '3');
        if (allow) el.setAttribute('allow-remote-images', '');
        document.body.append(el);
      }, allow);
      await expect.poll(() => recIds(page)).toEqual(['own', 'cdn-a', 'cdn-b']);
      const srcs = () => page.locator('molar-recs').evaluate((el) => [...el.shadowRoot!.querySelectorAll<HTMLImageElement>('[part=image]')].map((i) => i.src));
      if (allow) {
        await expect.poll(srcs).toEqual([`${ORIGIN}/bundles/remote-images-e2e/images/1.png`, `${CDN}/a.png`, 'http://cdn.other-origin.test/b.png?sku=cdn-b']); // scheme-relative: the page's http
        await expect.poll(() => off.length).toBe(2); // counted: the audit sees each one
        expect(off.sort()).toEqual(['http://cdn.other-origin.test/b.png?sku=cdn-b', `${CDN}/a.png`]);
      } else {
        await expect.poll(srcs).toEqual([`${ORIGIN}/bundles/remote-images-e2e/images/1.png`]);
        await page.waitForTimeout(300);
        expect(off).toEqual([]);
        expect(warnings.filter((w) => /item "cdn-[ab]": image .* is on another origin/.test(w))).toHaveLength(2);
      }
    });
  }
});
