/**
 * Privacy audit of a scripted shopper session on the demo (issue 21 §10): every request the page
 * makes is recorded with its method, URL, headers and body. None may leave the origin, and none may
 * carry a history item id in its query, headers or body. A path may name an item only as a static
 * image file the storefront shows (the grid's product pictures), which the page fetches whatever the
 * shopper did.
 */
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
