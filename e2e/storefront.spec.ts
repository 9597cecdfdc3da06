import { expect, test } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import { recIds, watchNetwork } from './helpers.js';

// Uses dist/widget/molar-recs.js from `npm run build:widget` (npm test builds it first).
test('one script tag + one element: the built widget loads, recommends, records host-page views', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  await page.goto('/e2e/pages/storefront.html');
  await expect.poll(() => recIds(page)).toHaveLength(4);
  const before = await recIds(page);
  const backend = await page.locator('molar-recs').evaluate(async (el: any) => el.recommender?.backend);
  expect(backend).toBe('wasm');
  await page.locator('molar-recs').evaluate((el: any) => el.record({ itemId: 'st-1f436', type: 'view' }));
  await expect.poll(() => recIds(page)).not.toEqual(before);
  expect(await recIds(page)).not.toContain('st-1f436');
  expect(external).toEqual([]);
});
