/** A shopper clicking in four tabs of the same shop at once (issue 21 §10): no click is lost or doubled. */
import { expect, test, type BrowserContext } from '@playwright/test';
import { pageModule } from './helpers.js';

type Tabs = typeof import('./pages/tabs.js');

const TABS = 4;
const N = 500;

/** Four tabs on one origin (one IndexedDB), each clicking N times into the same namespace at once. */
async function fourTabs(context: BrowserContext, namespace: string, maxEvents?: number) {
  const pages = await Promise.all(Array.from({ length: TABS }, () => context.newPage()));
  await Promise.all(pages.map((p) => p.goto('/e2e/pages/blank.html')));
  const calls = pages.map((p) => pageModule<Tabs>(p, '/e2e/pages/tabs.ts'));
  await calls[0]('clear', namespace);
  const rejected = await Promise.all(calls.map((call, tab) => call('clicks', namespace, tab, TABS, N, maxEvents)));
  return { rejected: rejected.flat(), stored: await calls[0]('stored', namespace, maxEvents) };
}

test('4 tabs × 500 interleaved clicks into one history: all 2000 stored once each, in time order', async ({ context }) => {
  const r = await fourTabs(context, 'four-tabs');
  expect(r.rejected).toEqual([]);
  // ts = i * TABS + tab is unique per click, so the stored list must be exactly 0 .. 1999
  expect(r.stored).toEqual(Array.from({ length: TABS * N }, (_, i) => i));
});

test('4 tabs trimming one history to maxEvents 500 at once keep exactly the newest 500', async ({ context }) => {
  const r = await fourTabs(context, 'four-tabs-trimmed', 500);
  expect(r.rejected).toEqual([]);
  expect(r.stored).toEqual(Array.from({ length: 500 }, (_, i) => TABS * N - 500 + i));
});
