/**
 * The demo as a shopper uses it (issue 22 §7, §8): every item reachable (categories, search,
 * pages), the product and its recommendations in view after a click, clean text, placeholders for
 * missing pictures, keyboard use, one event per recommendation click, links that keep the query;
 * then the results page's plots. Screenshots of both pages at 1280 and 390 px wide go to
 * e2e-artifacts/ (look at them).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { writeBundle } from '../src/bundle/write.js';
import { ORIGIN } from '../playwright.config.js';
import { ready, recIds, watchNetwork } from './helpers.js';

const DEMO_ITEMS = JSON.parse(readFileSync('demo-data/bundle/items.json', 'utf8')) as { id: string; title: string; text: string }[];
const DEMO_CATEGORIES = new Set(DEMO_ITEMS.map((it) => /category: ([^.]+)/.exec(it.text)![1]));
const DESKTOP = { width: 1280, height: 800 };
const MOBILE = { width: 390, height: 844 };

// a catalog as scraped from HTML: entities in titles and text, one item without a picture, one whose picture is gone
const SCRAPED = [
  { id: 'm1', title: 'Salt &amp; Pepper Mill', text: 'Salt &amp; Pepper Mill. Grinds &quot;coarse&quot; or fine. category: kitchen', image: 'images/1.png', price: 12 },
  { id: 'm2', title: 'Kids&#39; Apron', text: 'Kids&#39; Apron. Cotton &amp;amp; linen. category: kitchen', price: 9 },
  { id: 'm3', title: 'Tea Towel', text: 'Tea Towel. Linen. category: linen', image: 'images/missing.png', price: 5 },
  { id: 'm4', title: 'Bread Knife', text: 'Bread Knife. category: kitchen', image: 'images/2.png', price: 20 },
  // markup, plain and entity-encoded: decoded entities are text too, so neither may run (hostile.spec.ts does the rest)
  { id: 'm5', title: '<img src=x onerror="__pwned(1)">', text: '&lt;img src=x onerror=&quot;__pwned(2)&quot;&gt; &lt;script&gt;__pwned(3)&lt;/script&gt;. category: kitchen' },
];

test.beforeAll(async () => {
  const pop = Float32Array.from({ length: SCRAPED.length + 1 }, (_, i) => (i === 0 ? 0 : SCRAPED.length - i + 1));
  await writeBundle({
    out: path.resolve('bundles/scraped-e2e'), name: 'Kitchen Shop', items: SCRAPED, overwrite: true,
    files: new Map([
      ['popularity.bin', { data: new Uint8Array(pop.buffer) }],
      ['images/1.png', { copyFrom: path.resolve('demo-data/bundle/images/1.png') }],
      ['images/2.png', { copyFrom: path.resolve('demo-data/bundle/images/2.png') }],
    ]),
    models: [{ kind: 'popularity', files: ['popularity.bin'] }],
  });
});

const gridIds = (page: Page) => page.locator('#grid .product').evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.itemId!));
const eventsOf = (page: Page) =>
  page.evaluate(async () => {
    const url = '/src/widget/index.ts'; // served by the page's Vite server: the page's own Recommender
    const { recommenderFor } = (await import(/* @vite-ignore */ url)) as typeof import('../src/widget/index.js');
    return (await (await recommenderFor('/bundles/demo/', 'wasm')).events()).map((e) => `${e.type}:${e.itemId}`);
  });

test('the shop: every category, every page, search, detail in view, keyboard, one event per click, clean URLs; screenshots', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.setViewportSize(DESKTOP);
  await ready(page);
  await expect.poll(() => recIds(page)).toHaveLength(8);
  await expect(page.locator('#loading')).toBeHidden();

  // every category is listed (46 + All), with its count
  const chips = page.locator('#categories .chip');
  await expect(chips).toHaveCount(DEMO_CATEGORIES.size + 1);
  expect(DEMO_CATEGORIES.size).toBe(46);
  expect(await chips.evaluateAll((els) => els.map((e) => (e as HTMLElement).dataset.category))).toEqual(expect.arrayContaining([...DEMO_CATEGORIES]));
  await chips.filter({ hasText: 'Science' }).click();
  expect(await gridIds(page)).toEqual([DEMO_ITEMS.find((it) => it.text.includes('category: science.'))!.id]);
  await chips.first().click();

  // paging reaches the last item; every item is on exactly one page
  const seen: string[] = [];
  for (;;) {
    seen.push(...(await gridIds(page)));
    if (await page.locator('#next').isDisabled()) break;
    await page.locator('#next').click();
  }
  expect(seen).toEqual(DEMO_ITEMS.map((it) => it.id));
  await expect(page.locator('#page-info')).toHaveText('Page 8 of 8');
  await expect(page.locator('#result-count')).toHaveText('Showing 337–355 of 355 products');

  // search finds an item by its title (and resets to page 1)
  await page.locator('#search').fill('tears of joy');
  await expect(page.locator('#grid .product').filter({ hasText: 'Sticker: Face with Tears of Joy' })).toHaveCount(1);
  await page.locator('#search').fill('');
  await expect(page.locator('#page-info')).toHaveText('Page 1 of 8');

  // a card low in the grid: the detail and the recommendations come into view, the URL keeps the query
  const low = page.locator('#grid .product').nth(44);
  const lowId = (await low.getAttribute('data-item-id'))!;
  const before = await recIds(page);
  await low.click();
  await expect(page.locator('#detail')).toBeInViewport();
  await expect(page.locator('#detail-title')).toHaveText(DEMO_ITEMS.find((it) => it.id === lowId)!.title);
  await expect(page.locator('molar-recs')).toBeInViewport({ ratio: 0.5 });
  await expect.poll(() => recIds(page)).not.toEqual(before);
  expect(new URL(page.url()).search).toBe('?backend=wasm');
  expect(new URL(page.url()).hash).toBe(`#item=${lowId}`);
  await expect(page.locator('#detail-description')).not.toContainText('category:');
  await expect(page.locator('#detail-facts')).toContainText('Category');

  // one click on a recommendation card is one event; its link keeps the page's query before the hash
  await expect(page.locator('#history-count')).toHaveText('1 event on this device');
  const recId = (await recIds(page))[0];
  const href = await page.locator('molar-recs').locator('[part=card]').first().evaluate((a) => (a as HTMLAnchorElement).href);
  expect(href).toBe(`${ORIGIN}/?backend=wasm#item=${recId}`);
  await page.locator('molar-recs').locator('[part=card]').first().click();
  await expect(page.locator('#detail-title')).toHaveText(DEMO_ITEMS.find((it) => it.id === recId)!.title);
  await expect.poll(() => recIds(page)).not.toContain(recId);
  await expect(page.locator('#history-count')).toHaveText('2 events on this device');
  expect(await eventsOf(page)).toEqual([`view:${lowId}`, `click:${recId}`]);
  expect(page.url()).toBe(`${ORIGIN}/?backend=wasm#item=${recId}`);
  await page.screenshot({ path: 'e2e-artifacts/shop-desktop-product.png' });

  // the keyboard: Tab reaches a card, Enter opens it; Space opens another
  await page.locator('#close-detail').click();
  await expect(page.locator('#detail')).toBeHidden();
  await page.locator('#search').focus();
  let tabs = 0;
  while (!(await page.evaluate(() => document.activeElement?.classList.contains('product'))) && tabs++ < 80) await page.keyboard.press('Tab');
  const focused = await page.evaluate(() => (document.activeElement as HTMLElement).dataset.itemId!);
  expect(focused).toBe(DEMO_ITEMS[0].id);
  await page.keyboard.press('Enter');
  await expect(page.locator('#detail-title')).toHaveText(DEMO_ITEMS[0].title);
  await page.locator('#grid .product').nth(5).focus();
  await page.keyboard.press(' ');
  await expect(page.locator('#detail-title')).toHaveText(DEMO_ITEMS[5].title);
  await expect(page.locator('#detail')).toBeInViewport();
  // a recommendation card: focusable, Space opens it (one event, as a click). The count is read once
  // the last opening is stored and shown: read earlier, a slow store made it one short (a flake)
  await expect.poll(async () => (await eventsOf(page)).at(-1)?.endsWith(`:${DEMO_ITEMS[5].id}`)).toBe(true);
  const count = (await eventsOf(page)).length;
  await expect(page.locator('#history-count')).toHaveText(`${count} events on this device`);
  const recCard = page.locator('molar-recs').locator('[part=card]').first();
  const recCardId = (await recCard.getAttribute('data-item-id'))!;
  await recCard.focus();
  await page.keyboard.press(' ');
  await expect(page.locator('#detail-title')).toHaveText(DEMO_ITEMS.find((it) => it.id === recCardId)!.title);
  await expect(page.locator('#history-count')).toHaveText(`${count + 1} events on this device`);
  expect((await eventsOf(page)).at(-1)).toBe(`click:${recCardId}`);

  // README's snippet with a product newer than the bundle: recorded, announced, nothing thrown
  const warned = page.waitForEvent('console', (m) => m.text().includes('st-newer-than-the-bundle'));
  await page.locator('molar-recs').evaluate((el: any) => void el.record({ itemId: 'st-newer-than-the-bundle', type: 'view' }));
  expect((await warned).text()).toContain('left out of recommendations until addItems()');
  await expect.poll(() => eventsOf(page)).toContain('view:st-newer-than-the-bundle');

  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: 'e2e-artifacts/shop-desktop.png' });
  await page.screenshot({ path: 'e2e-artifacts/shop-desktop-full.png', fullPage: true });

  // mobile: two columns, the detail still in view after opening a card low on the page
  await page.setViewportSize(MOBILE);
  await page.locator('#close-detail').click();
  const lowMobile = page.locator('#grid .product').nth(30);
  await lowMobile.click();
  await expect(page.locator('#detail')).toBeInViewport();
  await page.screenshot({ path: 'e2e-artifacts/shop-mobile-product.png' });
  const columns = await page.locator('#grid').evaluate((g) => getComputedStyle(g).gridTemplateColumns.split(' ').length);
  expect(columns).toBe(2);
  expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(MOBILE.width); // nothing wider than the phone
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: 'e2e-artifacts/shop-mobile.png' });
  await page.screenshot({ path: 'e2e-artifacts/shop-mobile-full.png', fullPage: true });

  expect(errors).toEqual([]);
  expect(external, 'requests that left the origin').toEqual([]);
});

test('while the bundle loads, the shop shows how far it is', async ({ page }) => {
  let release!: () => void;
  const held = new Promise<void>((r) => (release = r));
  await page.route('**/bundles/demo/sasrec.bin', async (route) => {
    await held; // hold the model file until the progress has been seen
    await route.continue();
  });
  await page.goto('/?backend=wasm');
  await expect(page.locator('#loading')).toBeVisible();
  await expect(page.locator('#load-text')).toHaveText(/^Loading the shop's model bundle: [\d.]+ MB of [\d.]+ MB$/);
  // The first text is "0.0 MB of …" (the download has begun, nothing is in yet): wait for the other files.
  const progress = () => page.locator('#load-progress').evaluate((p) => (p as HTMLProgressElement).value);
  await expect.poll(progress).toBeGreaterThan(0);
  expect(await progress()).toBeLessThan(1); // SASRec's weights are still held
  await expect(page.locator('#load-text')).not.toHaveText(/: 0\.0 MB of/);
  release();
  await page.waitForSelector('body[data-ready=true]');
  await expect(page.locator('#loading')).toBeHidden();
});

test('a link to a product opens it without counting a view; Back closes it again', async ({ page }) => {
  const id = DEMO_ITEMS[100].id;
  await ready(page, `?backend=wasm#item=${id}`);
  await expect(page.locator('#detail-title')).toHaveText(DEMO_ITEMS[100].title);
  await expect(page.locator('#detail')).toBeInViewport();
  await expect(page.locator('#history-count')).toHaveText('0 events on this device'); // a reload is not a view
  await page.locator('#close-detail').click();
  await expect(page.locator('#detail')).toBeHidden();
  expect(page.url()).toBe(`${ORIGIN}/?backend=wasm`);
  await page.locator('#grid .product').nth(2).click();
  await expect(page.locator('#detail-title')).toHaveText(DEMO_ITEMS[2].title);
  await page.goBack();
  await expect(page.locator('#detail')).toBeHidden();
});

test('scraped catalog text: entities shown as the characters they name (as text, never markup), placeholders for missing pictures', async ({ page }) => {
  const ran: number[] = [];
  await page.exposeFunction('__pwned', (n: number) => ran.push(n));
  await page.setViewportSize(DESKTOP);
  await ready(page, '?backend=wasm&bundle=/bundles/scraped-e2e/');
  await expect.poll(() => recIds(page)).toHaveLength(SCRAPED.length);
  await expect(page.locator('#shop-name')).toHaveText('Kitchen Shop');
  const text = async () => `${await page.locator('body').innerText()}\n${await page.locator('molar-recs').evaluate((el) => (el.shadowRoot!.textContent ?? ''))}`;
  await expect(page.locator('#grid')).toContainText('Salt & Pepper Mill');
  await expect(page.locator('#grid')).toContainText("Kids' Apron");
  // the item without a picture, and the one whose picture is missing, show the placeholder tile
  await expect(page.locator('#grid .product[data-item-id=m2] .placeholder')).toBeVisible();
  await expect(page.locator('#grid .product[data-item-id=m3] .placeholder')).toBeVisible();
  await expect(page.locator('#grid .product[data-item-id=m1] img')).toBeVisible();
  await expect(page.locator('molar-recs').locator('[part=placeholder]')).toHaveCount(3); // m2, m3 and m5
  const broken = await page.evaluate(() => [...document.querySelectorAll('img')].filter((i) => i.complete && i.naturalWidth === 0).length);
  expect(broken).toBe(0);
  await page.locator('#grid .product[data-item-id=m2]').click();
  await expect(page.locator('#detail-media .placeholder')).toBeVisible();
  await expect(page.locator('#detail-description')).toHaveText('Cotton & linen');
  await page.locator('#grid .product[data-item-id=m1]').click();
  await expect(page.locator('#detail-description')).toHaveText('Grinds "coarse" or fine');
  const all = await text();
  expect(all).not.toMatch(/&(amp|quot|#39);/);
  expect(all).toContain('Salt & Pepper Mill');
  await expect(page.locator('#categories .chip')).toHaveCount(3); // All, kitchen, linen

  await page.locator('#grid .product[data-item-id=m5]').click();
  await expect(page.locator('#detail-title')).toHaveText('<img src=x onerror="__pwned(1)">');
  await expect(page.locator('#detail-description')).toHaveText('<img src=x onerror="__pwned(2)"> <script>__pwned(3)</script>');
  await page.screenshot({ path: 'e2e-artifacts/shop-scraped-desktop.png' });
  await page.waitForTimeout(300); // an onerror would have fired by now
  expect(ran).toEqual([]);
  expect(await page.locator('#detail script, #grid script, #detail img[src="x"], #grid img[src="x"]').count()).toBe(0);
});

test('the results page plots every recorded figure group, fetches nothing, and fits desktop and phone', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await ready(page); // the shop links to it
  await page.locator('#results-link').click();
  await page.waitForSelector('body[data-ready=true]');
  for (const viewport of [DESKTOP, MOBILE]) {
    await page.setViewportSize(viewport);
    await page.waitForTimeout(200); // redrawn for the new width
    const charts = page.locator('svg.chart');
    await expect(charts).toHaveCount(8);
    for (const id of ['cost-ml-1m', 'cost-amazon-scientific']) expect(await page.locator(`svg[data-chart="${id}"] circle`).count(), id).toBeGreaterThan(5);
    for (const id of ['accuracy-ml-1m', 'accuracy-amazon-scientific', 'coldstart', 'history-record', 'train-speed', 'encoders']) {
      const bars = page.locator(`svg[data-chart="${id}"] rect[data-value]`);
      expect(await bars.count(), id).toBeGreaterThan(2);
      const box = await page.locator(`svg[data-chart="${id}"]`).boundingBox();
      expect(box!.width, `${id} fits the page`).toBeLessThanOrEqual(viewport.width);
    }
    // a bar is as long as its figure: co-occurrence's NDCG@10 on ML-1M (0.1541) against the best run's
    const widths = await page.locator('svg[data-chart="accuracy-ml-1m"] rect[data-value]').evaluateAll((rs) => rs.map((r) => [Number(r.getAttribute('data-value')), Number(r.getAttribute('width'))]));
    const [v0, w0] = widths[0];
    for (const [v, w] of widths) expect(Math.abs(w / w0 - v / v0)).toBeLessThan(0.02);
    const name = viewport === DESKTOP ? 'desktop' : 'mobile';
    await page.screenshot({ path: `e2e-artifacts/results-${name}.png` });
    await page.screenshot({ path: `e2e-artifacts/results-${name}-full.png`, fullPage: true });
  }
  expect(errors).toEqual([]);
  expect(external).toEqual([]);
});
