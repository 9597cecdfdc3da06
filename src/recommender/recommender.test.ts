import 'fake-indexeddb/auto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
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

  it('serves the trained SASRec model by default, without leaking tensors per call', async () => {
    const rec = await load();
    expect(rec.modelEntry.kind).toBe('sasrec');
    await rec.record({ itemId: 'st-1f600' });
    await rec.recommend({ k: 3 });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await rec.recommend({ k: 3 });
    expect(tf.memory().numTensors).toBe(before);
    rec.dispose();
  });

  it('refuses unknown items and bad k with clear errors, and is unusable but safe after dispose()', async () => {
    const rec = await load('cooccurrence');
    const notFound = await rec.record({ itemId: 'no-such-sku' }).catch((e) => e);
    expect(isMolarError(notFound, 'NOT_FOUND')).toBe(true);
    expect(notFound.message).toContain('no-such-sku');
    const badK = await rec.recommend({ k: 0 }).catch((e) => e);
    expect(isMolarError(badK, 'BAD_CONFIG')).toBe(true);
    rec.dispose();
    rec.dispose();
    const after = await rec.recommend().catch((e) => e);
    expect(isMolarError(after, 'DISPOSED')).toBe(true);
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
