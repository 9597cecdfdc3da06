/**
 * "Why these?" (issue 20 §5): <molar-recs explain> opens, by keyboard, a panel with the preference
 * summary and, per card, the history items that raised its score most (Recommender.explainMany,
 * leave-one-out on the served score), as text only. Screenshots go to e2e-artifacts/.
 */
import { createHash } from 'node:crypto';
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test, type Page } from '@playwright/test';
import { ORIGIN } from '../playwright.config.js';
import { ready, recIds, watchNetwork } from './helpers.js';

const FIXTURE = 'e2e/fixtures/msr-bundle';
const HISTORY = ['tea-green', 'mug-white', 'tea-black', 'strainer'];
const widget = (page: Page) => page.locator('molar-recs');
const part = (page: Page, name: string) => widget(page).locator(`[part~=${name}]`);

/** What the panel shows, read from the shadow DOM as text, with the Recommender's own answer for the cards on screen. */
async function panel(page: Page) {
  return widget(page).evaluate(async (el) => {
    const root = el.shadowRoot!;
    const rec = (el as unknown as { recommender: import('../src/recommender/index.js').Recommender }).recommender;
    const cards = [...root.querySelectorAll<HTMLAnchorElement>('[part=card]')].map((a) => a.dataset.itemId!);
    const why = await rec.explainMany(cards);
    return {
      summary: root.querySelector('[part=explain-summary]')?.textContent ?? null,
      items: [...root.querySelectorAll<HTMLElement>('[part=explain-item]')].map((li) => ({ id: li.dataset.itemId, text: li.textContent })),
      method: [...root.querySelectorAll('[part=explain-method]')].map((p) => p.textContent).join(' '),
      expected: why.map((w) => ({ id: w.item.id, summary: w.summary, because: w.contributions.map((c) => c.item.title ?? c.item.id) })),
      markup: root.querySelector('[part=explain]')!.querySelectorAll('*:not(p):not(ul):not(li):not(span)').length,
    };
  });
}

async function recordHistory(page: Page, ids: string[]) {
  await widget(page).evaluate(async (el, ids) => {
    for (const itemId of ids) await (el as unknown as { record(e: { itemId: string }): Promise<void> }).record({ itemId });
  }, ids);
}

test('the fixture bundle: "Why these?" opens and closes by keyboard, showing the summary and each card\'s top contributors as rec.explainMany gives them', async ({ page }) => {
  const external = watchNetwork(page, ORIGIN);
  await page.route('https://example.com/**', (r) => r.abort()); // the fixture's one remote image
  await page.goto(`/e2e/pages/explain.html?bundle=/${FIXTURE}/`);
  await expect.poll(() => recIds(page)).toHaveLength(6);
  await recordHistory(page, HISTORY);
  const toggle = part(page, 'explain-toggle');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(part(page, 'explain')).toBeHidden();
  // keyboard only: Tab reaches the toggle (after the six cards), Enter opens it
  await page.locator('body').focus();
  for (let i = 0; i < 7; i++) await page.keyboard.press('Tab');
  await expect(toggle).toBeFocused();
  await page.keyboard.press('Enter');
  await expect(toggle).toHaveAttribute('aria-expanded', 'true');
  await expect(part(page, 'explain-item')).toHaveCount(6);
  const p = await panel(page);
  expect(p.summary).toMatch(/^Your taste so far: Prefers /);
  expect(p.summary).toBe(`Your taste so far: ${p.expected[0].summary}`); // plain titles: decoding changes nothing
  expect(p.items.map((i) => i.id)).toEqual(p.expected.map((e) => e.id));
  p.items.forEach((item, i) => {
    const e = p.expected[i];
    expect(e.because.length, item.id).toBeGreaterThan(0);
    expect(e.because.length).toBeLessThanOrEqual(3);
    expect(item.text).toContain(`because you looked at ${e.because.join(', ')}`);
  });
  expect(p.method).toContain('scored again without each of your recent items');
  mkdirSync('e2e-artifacts', { recursive: true });
  await page.screenshot({ path: 'e2e-artifacts/explain-fixture.png', fullPage: true });
  await page.keyboard.press('Space'); // a <button>: Space toggles too
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await expect(part(page, 'explain')).toBeHidden();
  // the attribute is opt-in: removing it removes the toggle, without reloading the recommender
  await widget(page).evaluate((el) => el.removeAttribute('explain'));
  await expect(toggle).toHaveCount(0);
  await expect.poll(() => recIds(page)).toHaveLength(6);
  // the fixture lists one remote image (the widget asks for it; the image policy is history/urls' business): nothing else left the page
  expect(external.filter((u) => u !== 'https://example.com/pot-iron.jpg')).toEqual([]);
});

test('the demo with explanations open: its MLLM-MSR preference summary and, per card, the history items that raised it', async ({ page }) => {
  await ready(page);
  const ids = await widget(page).evaluate((el) => (el as unknown as { recommender: { items: { id: string }[] } }).recommender.items.slice(0, 40).map((i) => i.id));
  await recordHistory(page, [ids[3], ids[17], ids[4], ids[30], ids[5]]);
  await part(page, 'explain-toggle').click();
  await expect(part(page, 'explain-item')).toHaveCount(8);
  const p = await panel(page);
  // the demo bundle has an msr entry (npm run demo:rebuild): stage 2's summary, read through stage 1's tags
  expect(p.summary).toMatch(/^Your taste so far: Prefers /);
  expect(p.expected.every((e) => e.summary === p.expected[0].summary)).toBe(true);
  expect(p.summary).toBe(`Your taste so far: ${p.expected[0].summary}`);
  expect(p.items.map((i) => i.id)).toEqual(p.expected.map((e) => e.id));
  expect(p.expected.some((e) => e.because.length > 0)).toBe(true);
  await widget(page).scrollIntoViewIfNeeded();
  mkdirSync('e2e-artifacts', { recursive: true });
  await widget(page).screenshot({ path: 'e2e-artifacts/explain-demo.png' });
});

test('hostile titles in the summary and the explanations render as text, never markup, and run nothing', async ({ page }) => {
  // the fixture bundle with hostile titles, its manifest's sha256 and size of items.json updated as an attacker would
  const out = path.resolve('bundles/explain-hostile-e2e');
  cpSync(FIXTURE, out, { recursive: true });
  const items = JSON.parse(readFileSync(path.join(FIXTURE, 'items.json'), 'utf8')) as { id: string; title?: string; image?: string }[];
  const titles = ['<img src=x onerror="__pwned(1)">', '<script>__pwned(2)</script>', '<b onmouseover="__pwned(3)">bold</b>', '&lt;i&gt;escaped&lt;/i&gt;'];
  items.slice(0, 4).forEach((it, i) => (it.title = titles[i]));
  for (const it of items) delete it.image;
  const bytes = Buffer.from(JSON.stringify(items));
  writeFileSync(path.join(out, 'items.json'), bytes);
  const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
  manifest.files['items.json'] = { sha256: createHash('sha256').update(bytes).digest('hex'), bytes: bytes.length };
  writeFileSync(path.join(out, 'manifest.json'), JSON.stringify(manifest));

  const ran: number[] = [];
  await page.exposeFunction('__pwned', (n: number) => ran.push(n));
  await page.goto('/e2e/pages/explain.html?bundle=/bundles/explain-hostile-e2e/');
  await expect.poll(() => recIds(page)).toHaveLength(6);
  await recordHistory(page, items.slice(0, 4).map((i) => i.id));
  await part(page, 'explain-toggle').click();
  await expect(part(page, 'explain-item')).toHaveCount(6);
  const p = await panel(page);
  expect(p.markup, 'elements other than the panel\'s own p / ul / li / span').toBe(0);
  const shown = [p.summary ?? '', ...p.items.map((i) => i.text ?? '')].join('\n');
  // the history is the four hostile items, so the contributions name them: as their literal characters (entities decoded to text, as the cards do)
  const literal = [...titles.slice(0, 3), '<i>escaped</i>'];
  expect(literal.filter((t) => shown.includes(t)).length).toBeGreaterThan(0);
  expect(shown).not.toContain('&lt;'); // the summary line decodes entities as the cards and the list do
  await part(page, 'explain').hover();
  await page.waitForTimeout(300);
  expect(ran).toEqual([]);
  await page.screenshot({ path: 'e2e-artifacts/explain-hostile.png', fullPage: true });
});
