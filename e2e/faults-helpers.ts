/** What faults.spec.ts and gpu-crash.spec.ts share: the page module's caller, the history, the ranking check. */
import { expect, type Page } from '@playwright/test';
import { pageModule } from './helpers.js';

type Faults = typeof import('./pages/faults.js');
export const HISTORY = ['st-1f600', 'st-1f923', 'st-1f602'];
type Ranked = { id: string; score: number }[] | undefined;

export function faults(page: Page) {
  return pageModule<Faults>(page, '/e2e/pages/faults.ts');
}

/** The same items in the same order, scores within 1e-4 (backends.spec.ts holds the backends to that). */
export function expectSameRanking(got: Ranked, want: Ranked, what: string): void {
  expect(got?.map((r) => r.id), what).toEqual(want!.map((r) => r.id));
  got!.forEach((r, i) => expect(Math.abs(r.score - want![i].score), `${what}: score ${i}`).toBeLessThan(1e-4));
}
