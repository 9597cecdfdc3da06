import { expect, test } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import { ready, recIds, watchNetwork } from './helpers.js';

// wasm: WebGPU here is SwiftShader (~60x slower); backend parity is proven in backends.spec.ts.
test('shopper flow: views change recommendations, seen items are excluded, history survives reload and clear-all empties it', async ({ page }, info) => {
  const external = watchNetwork(page, ORIGIN);
  await ready(page);
  await expect(page.locator('#backend')).toContainText('wasm');
  await expect.poll(() => recIds(page)).toHaveLength(8);
  const cold = await recIds(page);

  const products = page.locator('#grid .product');
  const opened: string[] = [];
  let previous = cold;
  for (const i of [3, 20, 40]) {
    const id = (await products.nth(i).getAttribute('data-item-id'))!;
    opened.push(id);
    await products.nth(i).click();
    await expect.poll(() => recIds(page)).not.toEqual(previous);
    const now = await recIds(page);
    expect(now).toHaveLength(8);
    for (const seen of opened) expect(now).not.toContain(seen);
    previous = now;
  }
  await expect(page.locator('#history-count')).toHaveText('3 events on this device');
  // product images render (naturalWidth > 0) in both the grid and the widget
  await expect.poll(() => page.locator('molar-recs').evaluate((el) => [...el.shadowRoot!.querySelectorAll('img')].every((i) => (i as HTMLImageElement).naturalWidth > 0))).toBe(true);
  // currency="USD": every card shows its catalog price, formatted, as text
  const prices = await page.locator('molar-recs').evaluate((el) => [...el.shadowRoot!.querySelectorAll('[part=card]')].map((c) => c.querySelector('[part=price]')?.textContent ?? null));
  expect(prices).toHaveLength(8);
  for (const p of prices) expect(p).toMatch(/^\$\d+\.\d\d$/);
  await page.screenshot({ path: info.outputPath('demo-desktop.png'), fullPage: true });
  await page.screenshot({ path: 'e2e-artifacts/demo-desktop.png' });

  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: 'e2e-artifacts/demo-mobile.png', fullPage: true });

  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  await expect(page.locator('#history-count')).toHaveText('3 events on this device');
  await expect.poll(() => recIds(page)).toEqual(previous);

  await page.locator('#clear').click();
  await expect(page.locator('#history-count')).toHaveText('0 events on this device');
  await expect.poll(() => recIds(page)).toEqual(cold);
  await page.reload();
  await page.waitForSelector('body[data-ready=true]');
  await expect(page.locator('#history-count')).toHaveText('0 events on this device');

  expect(external, 'requests that left localhost').toEqual([]);
});

test('widget renders catalog text as text, never markup, and records clicks on its own cards', async ({ page }) => {
  await ready(page);
  await expect.poll(() => recIds(page)).toHaveLength(8);
  const html = await page.locator('molar-recs').evaluate((el) => el.shadowRoot!.innerHTML);
  expect(html).not.toContain('<script');
  const first = (await recIds(page))[0];
  await page.locator('molar-recs').evaluate((el) => (el.shadowRoot!.querySelector('[part=card]') as HTMLElement).click());
  await expect(page.locator('#history-count')).not.toHaveText('0 events on this device');
  const events = await page.evaluate(async () => {
    const url = '/src/widget/index.ts'; // served by the page's Vite server
    const { recommenderFor } = (await import(/* @vite-ignore */ url)) as typeof import('../src/widget/index.js');
    return (await (await recommenderFor('/bundles/demo/', 'wasm')).events()).map((e) => `${e.type}:${e.itemId}`);
  });
  expect(events).toContain(`click:${first}`);
});

test('a missing bundle shows a clear error in the widget instead of failing silently', async ({ page }) => {
  await page.goto('/?backend=wasm&bundle=/bundles/does-not-exist/');
  await expect(page.locator('#grid')).toContainText('Could not start the shop');
  await expect(page.locator('#grid')).toContainText('does-not-exist');
});
