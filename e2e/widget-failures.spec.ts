/**
 * <molar-recs> walked through its failure cases in Chromium (issue 21 §9, §10): a bundle that is
 * missing, not JSON, not a molar bundle; bad attributes; bad events for el.record(). Each one is a
 * MolarError with its code (in molar-error's detail, or the rejection), never a raw TypeError /
 * SyntaxError / DOMException, and the page goes on working.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { expect, test } from '@playwright/test';
import { pageModule } from './helpers.js';

type Mod = typeof import('./pages/widget-failures.js');

test.beforeAll(() => {
  for (const [name, manifest] of [['bad-json-e2e', '{"format":'], ['pwa-e2e', '{"name":"My shop","start_url":"/","icons":[]}']]) {
    mkdirSync(path.resolve('bundles', name), { recursive: true });
    writeFileSync(path.resolve('bundles', name, 'manifest.json'), manifest);
  }
});

test('every failure of the widget is a MolarError with its code', async ({ page }) => {
  await page.goto('/e2e/pages/blank.html');
  const call = pageModule<Mod>(page, '/e2e/pages/widget-failures.ts');
  const ok = { bundle: '/bundles/demo/', backend: 'cpu' };
  const cases: [string, Record<string, string>, string][] = [
    ['a bundle folder that is not there', { ...ok, bundle: '/bundles/not-there-e2e/' }, 'IO'],
    ['a manifest that is not JSON', { ...ok, bundle: '/bundles/bad-json-e2e/' }, 'BUNDLE_INVALID'],
    ["a web app's manifest.json", { ...ok, bundle: '/bundles/pwa-e2e/' }, 'BUNDLE_INVALID'],
    ['a bundle URL that does not parse', { ...ok, bundle: 'http://[::1' }, 'BAD_CONFIG'],
    ['backend="tpu"', { ...ok, backend: 'tpu' }, 'BAD_CONFIG'],
    ['a config attribute that is not JSON', { ...ok, config: '{"runtime":' }, 'BAD_CONFIG'],
    ['a config attribute naming no section', { ...ok, config: '{"nope":{}}' }, 'BAD_CONFIG'],
    ['a config value out of range', { ...ok, config: '{"history":{"maxEvents":-1}}' }, 'BAD_CONFIG'],
    ['a wasm path without its slash', { ...ok, 'tfjs-wasm-path': '/wasm' }, 'BAD_CONFIG'],
    ['allow-remote-images="maybe"', { ...ok, 'allow-remote-images': 'maybe' }, 'BAD_CONFIG'],
    ['currency="dollars"', { ...ok, currency: 'dollars' }, 'BAD_CONFIG'],
    ['the wasm backend with its files missing', { ...ok, backend: 'wasm', 'tfjs-wasm-path': '/no-wasm-here/' }, 'BACKEND_UNAVAILABLE'],
  ];
  const got: string[] = [];
  for (const [, attrs] of cases) got.push(await call('mount', attrs));
  expect(got.map((code, i) => `${cases[i][0]}: ${code}`)).toEqual(cases.map(([name, , code]) => `${name}: ${code}`));

  const records: [string, string, unknown, string][] = [
    ['an empty item id', '/bundles/demo/', { itemId: '' }, 'BAD_INPUT'],
    ['an unknown event type', '/bundles/demo/', { itemId: 'st-1f600', type: 'hover' }, 'BAD_INPUT'],
    ['a timestamp that is not a number', '/bundles/demo/', { itemId: 'st-1f600', ts: 'yesterday' }, 'BAD_INPUT'],
    ['no event at all', '/bundles/demo/', null, 'BAD_INPUT'],
    // nothing to record into; molar-error said why already (README)
    ['on a widget whose bundle failed', '/bundles/bad-json-e2e/', { itemId: 'x' }, 'resolved'],
  ];
  const recorded: string[] = [];
  for (const [, bundle, event] of records) recorded.push(await call('record', bundle, event));
  expect(recorded.map((code, i) => `${records[i][0]}: ${code}`)).toEqual(records.map(([name, , , code]) => `${name}: ${code}`));

  expect(await call('functions')).toEqual({
    'recommenderFor without a bundle URL': 'BAD_CONFIG',
    'recommenderFor with a config section that does not exist': 'BAD_CONFIG',
    'setWidgetDefaults with an empty wasm path': 'BAD_CONFIG',
    'configFromAttributes with a config that is an array': 'BAD_CONFIG',
  });
  // after all that, a good widget still loads and records
  expect(await call('mount', ok)).toBe('ready');
  expect(await call('record', '/bundles/demo/', { itemId: 'st-1f600' })).toBe('resolved');
});
