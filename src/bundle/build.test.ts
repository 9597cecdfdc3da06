import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildSequences } from '../data/sequences.js';
import { isMolarError } from '../errors.js';
import { ITEMS, itemsStep } from '../items/build-step-node.js';
import { artifact } from './artifact.js';
import { buildBundle, orderSteps, type BuildContext, type BuildStep } from './build.js';

const step = (name: string, deps: Pick<BuildStep, 'after' | 'afterIfPresent'> = {}, run: (ctx: BuildContext) => void = () => {}): BuildStep => ({
  name,
  ...deps,
  async run(ctx) {
    run(ctx);
  },
});
const SCORES = artifact<number[]>('scorer/scores');

/** Never run: tsc (npm run typecheck) fails on this file if a key stops fixing its value type. */
function typeChecks(ctx: BuildContext): void {
  // @ts-expect-error a number[] key takes no string
  ctx.put(SCORES, 'x');
  // @ts-expect-error nor a value the key's type is only assignable to
  ctx.put(SCORES, {});
  const scores: number[] = ctx.get(SCORES);
  void scores;
}
void typeChecks;
const names = (steps: BuildStep[]) => steps.map((s) => s.name);

/** The BAD_CONFIG message `fn` throws (fails the test if it throws anything else, or nothing). */
async function badConfig(fn: () => unknown): Promise<string> {
  try {
    await fn();
  } catch (e) {
    if (isMolarError(e, 'BAD_CONFIG')) return e.message;
    throw e;
  }
  throw new Error('expected a BAD_CONFIG MolarError');
}

describe('orderSteps', () => {
  it('keeps the given order where nothing constrains it, and moves a step after those it names', () => {
    expect(names(orderSteps([step('a'), step('b'), step('c')]))).toEqual(['a', 'b', 'c']);
    // d is listed first but needs c; a and b keep their places ahead of it
    expect(names(orderSteps([step('d', { after: ['c'] }), step('a'), step('b'), step('c')]))).toEqual(['a', 'b', 'c', 'd']);
    expect(names(orderSteps([step('x', { after: ['z'] }), step('y', { after: ['x'] }), step('z')]))).toEqual(['z', 'x', 'y']);
  });

  it('afterIfPresent orders after a step that is there and ignores one that is not', () => {
    expect(names(orderSteps([step('fusion', { afterIfPresent: ['item-vectors'] }), step('items'), step('item-vectors')]))).toEqual(['items', 'item-vectors', 'fusion']);
    expect(names(orderSteps([step('fusion', { afterIfPresent: ['item-vectors'] }), step('items')]))).toEqual(['fusion', 'items']);
  });

  it('refuses an unknown required step, a cycle and a repeated name, naming the step', async () => {
    expect(await badConfig(() => orderSteps([step('items'), step('fusion', { after: ['item-vectors'] })]))).toMatch(/build step "fusion" runs after "item-vectors", which is not in this build \(steps: items, fusion\)/);
    expect(await badConfig(() => orderSteps([step('a', { after: ['b'] }), step('b', { after: ['c'] }), step('c', { after: ['a'] }), step('d')]))).toBe(
      'field "steps": build step "a" is in a cycle: "a" runs after "b" runs after "c" runs after "a"',
    );
    expect(await badConfig(() => orderSteps([step('ok'), step('self', { after: ['self'] })]))).toMatch(/"self" runs after "self"/);
    expect(await badConfig(() => orderSteps([step('a'), step('a')]))).toMatch(/build step "a" appears twice/);
  });
});

describe('build artifacts', () => {
  const catalog = [{ id: 'a', title: 'Alpha' }, { id: 'b' }, { id: 'c' }];
  const dataset = buildSequences(['a', 'b', 'c', 'a'].map((item) => ({ user: 'u', item })), catalog, { name: 'toy' });
  const out = () => path.join(mkdtempSync(path.join(tmpdir(), 'molar-build-')), 'b');
  const build = (...steps: BuildStep[]) => buildBundle({ out: out(), dataset, catalog, steps: [itemsStep(), ...steps] });

  it('hands a typed value from the step that puts it to one that runs after it', async () => {
    let read: number[] = [];
    await build(step('reader', { after: ['scorer'] }, (ctx) => (read = ctx.get(SCORES))), step('scorer', {}, (ctx) => ctx.put(SCORES, [1, 2])));
    expect(read).toEqual([1, 2]);
  });

  it('a missing artifact names the key, the step that puts it and why it is not there', async () => {
    expect(await badConfig(() => build(step('reader', {}, (ctx) => ctx.get(SCORES))))).toBe('field "steps": build step "reader" needs artifact "scorer/scores" from build step "scorer", which is not in this build');
    expect(await badConfig(() => build(step('reader', {}, (ctx) => ctx.get(SCORES)), step('scorer', {}, (ctx) => ctx.put(SCORES, []))))).toMatch(/"scorer\/scores" from build step "scorer", which has not run yet: list it in the reader's after/);
    expect(await badConfig(() => build(step('scorer'), step('reader', { after: ['scorer'] }, (ctx) => ctx.get(SCORES))))).toMatch(/from build step "scorer", which ran without putting it/);
  });

  it('find gives undefined only when the producer is not in the build', async () => {
    const found: (number[] | undefined)[] = [];
    await build(step('reader', { afterIfPresent: ['scorer'] }, (ctx) => found.push(ctx.find(SCORES))));
    await build(step('reader', { afterIfPresent: ['scorer'] }, (ctx) => found.push(ctx.find(SCORES))), step('scorer', {}, (ctx) => ctx.put(SCORES, [3])));
    expect(found).toEqual([undefined, [3]]);
  });

  it('only the producer puts a key, once', async () => {
    expect(await badConfig(() => build(step('other', {}, (ctx) => ctx.put(SCORES, []))))).toMatch(/build step "other" put artifact "scorer\/scores", which only build step "scorer" may put/);
    expect(await badConfig(() => build(step('scorer', {}, (ctx) => [0, 1].forEach(() => ctx.put(SCORES, [])))))).toMatch(/put artifact "scorer\/scores" twice/);
  });

  it('the writer takes the item table from the items step', async () => {
    expect(await badConfig(() => buildBundle({ out: out(), dataset, catalog, steps: [step('scorer')] }))).toMatch(/writing the bundle needs artifact "items" from build step "items", which is not in this build/);
    let items = 0;
    await build(step('count', { after: ['items'] }, (ctx) => (items = ctx.get(ITEMS).length)));
    expect(items).toBe(3);
  });
});
