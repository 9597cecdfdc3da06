import type { Page } from '@playwright/test';

/** Records every request the page makes; anything not on our origin is a privacy failure. */
export function watchNetwork(page: Page, origin: string): string[] {
  const external: string[] = [];
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')) external.push(u);
  });
  return external;
}

export async function recIds(page: Page): Promise<string[]> {
  return page.locator('molar-recs').evaluate((el) =>
    [...el.shadowRoot!.querySelectorAll<HTMLAnchorElement>('[part=card]')].map((a) => a.dataset.itemId!),
  );
}

export async function ready(page: Page, query = '?backend=wasm'): Promise<void> {
  await page.goto(`/${query}`);
  await page.waitForSelector('body[data-ready=true]');
}
