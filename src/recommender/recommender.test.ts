import 'fake-indexeddb/auto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { writeBundle } from '../bundle/write.js';
import { isMolarError } from '../errors.js';
import { folderFetch } from '../testing/folder-fetch.js';
import type { MolarWarning } from '../warnings.js';
import { Recommender } from './recommender.js';

const BUNDLE = path.resolve(import.meta.dirname, '../../demo-data/bundle');
const diskFetch = (async (url: string) => {
  try {
    return new Response(readFileSync(path.join(BUNDLE, url.replace('disk://demo/', ''))));
  } catch {
    return new Response('missing', { status: 404 });
  }
}) as typeof fetch;

let ns = 0;
const load = (model?: string) => Recommender.load({ bundleUrl: 'disk://demo/', backend: 'cpu', fetch: diskFetch, namespace: `t${ns++}`, model });

describe('Recommender (demo bundle, cpu backend)', () => {
  it('recommends from the first click, excluding what was seen, and leaks no tensors', async () => {
    const rec = await load('cooccurrence');
    expect(rec.backend).toBe('cpu');
    const cold = await rec.recommend({ k: 5 });
    expect(cold).toHaveLength(5);
    await rec.record({ itemId: 'st-1f436', type: 'view' });
    const warm = await rec.recommend({ k: 5 });
    expect(warm.map((r) => r.item.id)).not.toContain('st-1f436');
    expect(warm.map((r) => r.item.id)).not.toEqual(cold.map((r) => r.item.id));
    expect(warm.every((r, i) => i === 0 || r.score <= warm[i - 1].score)).toBe(true);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) await rec.recommend({ k: 5 });
    expect(tf.memory().numTensors).toBe(before);
    rec.dispose();
  });

  it('serves the model the build chose on validation (the demo: a blend over Molar), without leaking tensors per call', async () => {
    const rec = await load();
    expect(rec.modelEntry.kind).toBe(rec.manifest.served!.kind);
    expect(rec.modelEntry.kind).toBe('blend');
    await rec.record({ itemId: 'st-1f600' });
    await rec.recommend({ k: 3 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await rec.recommend({ k: 3 });
    expect(tf.memory().numTensors).toBe(before);
    rec.dispose();
  });

  it('refuses a bad item id and bad k with clear errors, and is unusable but safe after dispose()', async () => {
    const rec = await load('cooccurrence');
    const bad = await rec.record({ itemId: '' }).catch((e) => e);
    expect(isMolarError(bad, 'BAD_INPUT')).toBe(true);
    expect(bad.field).toBe('itemId');
    const badK = await rec.recommend({ k: 0 }).catch((e) => e);
    expect(isMolarError(badK, 'BAD_CONFIG')).toBe(true);
    rec.dispose();
    rec.dispose();
    const after = await rec.recommend().catch((e) => e);
    expect(isMolarError(after, 'DISPOSED')).toBe(true);
  });

  it('records a product newer than the bundle, says so once, and leaves it out of scoring until a bundle knows it', async () => {
    const warnings: MolarWarning[] = [];
    const namespace = `t${ns++}`;
    // bundle A is the demo catalog without st-1f436: the shop added that product after A was built
    const dir = mkdtempSync(path.join(tmpdir(), 'molar-old-bundle-'));
    const demoItems = JSON.parse(readFileSync(path.join(BUNDLE, 'items.json'), 'utf8')) as { id: string }[];
    const oldItems = demoItems.filter((it) => it.id !== 'st-1f436');
    const pop = Float32Array.from({ length: oldItems.length + 1 }, (_, i) => (i === 0 ? 0 : 1 / i));
    await writeBundle({ out: path.join(dir, 'b'), name: 'old', items: oldItems, files: new Map([['popularity.bin', { data: new Uint8Array(pop.buffer) }]]), models: [{ kind: 'popularity', files: ['popularity.bin'] }] });
    const old = await Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', fetch: folderFetch(path.join(dir, 'b'), 'disk://b/'), namespace, onWarning: (w) => warnings.push(w) });
    const events: MolarWarning[] = [];
    old.addEventListener('warning', (e) => events.push((e as CustomEvent<MolarWarning>).detail));
    const cold = (await old.recommend({ k: 5 })).map((r) => r.item.id);
    await old.record({ itemId: 'st-1f436', type: 'view' });
    await old.record({ itemId: 'st-1f436', type: 'view' });
    expect((await old.events()).map((e) => e.itemId)).toEqual(['st-1f436', 'st-1f436']);
    expect(warnings.map((w) => [w.code, w.itemId])).toEqual([['UNKNOWN_ITEM', 'st-1f436']]);
    expect(warnings[0].message).toContain('addItems()');
    expect(events).toEqual(warnings);
    expect((await old.recommend({ k: 5 })).map((r) => r.item.id)).toEqual(cold);
    old.dispose();

    // the rebuilt bundle knows it: the events recorded earlier now count, exactly as fresh views would
    // (the demo's re-ranker follows its served blend, not co-occurrence: off, or it would say so)
    const rebuilt = await Recommender.load({ bundleUrl: 'disk://demo/', backend: 'cpu', fetch: diskFetch, namespace, model: 'cooccurrence', config: { summary: { rerank: false } }, onWarning: (w) => warnings.push(w) });
    const fresh = await load('cooccurrence');
    const demoCold = (await fresh.recommend({ k: 5 })).map((r) => r.item.id);
    await fresh.record({ itemId: 'st-1f436', type: 'view' });
    await fresh.record({ itemId: 'st-1f436', type: 'view' });
    const expected = (await fresh.recommend({ k: 5 })).map((r) => r.item.id);
    expect(expected).not.toEqual(demoCold);
    expect((await rebuilt.recommend({ k: 5 })).map((r) => r.item.id)).toEqual(expected);
    expect(warnings).toHaveLength(1);
    rebuilt.dispose();
    fresh.dispose();
  });

  it('addItems() of products the catalog ships returns their records and encodes nothing (a page may add its whole list)', async () => {
    const rec = await load('cooccurrence');
    const shipped = rec.item('st-1f436')!;
    const total = rec.items.length;
    // in Node the encoder cannot load (its model URL is page-relative): resolving proves nothing was encoded
    expect(await rec.addItems([{ id: 'st-1f436', title: 'another title' }])).toEqual([shipped]);
    expect(rec.item('st-1f436')).toEqual(shipped);
    const mixed = await rec.addItems([{ id: 'st-1f436' }, { id: 'sku-new', title: 'New' }]).catch((e) => e);
    expect(isMolarError(mixed, 'BAD_CONFIG')).toBe(true);
    expect(rec.items).toHaveLength(total);
    expect(rec.item('sku-new')).toBeUndefined();
    const twice = await rec.addItems([{ id: 'st-1f436' }, { id: 'st-1f436' }]).catch((e) => e);
    expect(isMolarError(twice, 'BAD_INPUT')).toBe(true);
    rec.dispose();
  });

  it('exports and clears the history of its namespace', async () => {
    const rec = await load('cooccurrence');
    await rec.record({ itemId: 'st-1f436' });
    const exported = JSON.parse(await rec.exportHistory());
    expect(exported.events.map((e: { itemId: string }) => e.itemId)).toEqual(['st-1f436']);
    await rec.clearHistory();
    expect(await rec.events()).toEqual([]);
    rec.dispose();
  });
});
