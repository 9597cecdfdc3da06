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

type AnyFn = (...args: any[]) => unknown;

/**
 * Returns a typed caller for the exports of a module in e2e/pages/, run inside the page (served by
 * the page's own Vite server, so it shares the page's tfjs and IndexedDB).
 * `const call = pageModule<typeof import('./pages/parity.js')>(page, '/e2e/pages/parity.ts')`.
 */
export function pageModule<M extends Record<string, AnyFn>>(page: Page, url: string) {
  return <F extends keyof M & string>(fn: F, ...args: Parameters<M[F]>) =>
    page.evaluate(
      async ({ url, fn, args }) => {
        const mod = await import(/* @vite-ignore */ url);
        return mod[fn](...args);
      },
      { url, fn, args },
    ) as Promise<Awaited<ReturnType<M[F]>>>;
}
