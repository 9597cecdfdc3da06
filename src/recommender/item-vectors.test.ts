import 'fake-indexeddb/auto';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ItemVectorStore } from '../items/store.js';
import { folderFetch } from '../testing/folder-fetch.js';
import { Recommender } from './recommender.js';

// molar (the served model), cold start and the MSR re-ranker all read item_vectors.bin
const BUNDLE = path.resolve(import.meta.dirname, '../../e2e/fixtures/msr-bundle');

afterEach(() => vi.restoreAllMocks());

describe('item vectors in the page', () => {
  it('are fetched once and parsed once, shared by the content model, cold start and the re-ranker', async () => {
    const asked: string[] = [];
    const parse = vi.spyOn(ItemVectorStore, 'fromArrayBuffer');
    const rec = await Recommender.load({ bundleUrl: 'disk://msr/', backend: 'cpu', model: 'molar', fetch: folderFetch(BUNDLE, 'disk://msr/', asked), namespace: 'one-parse', onWarning: () => {} });
    try {
      // all three readers are in use: otherwise "once" would say nothing
      expect(await rec.preferenceSummary()).not.toBeNull();
      expect(rec.modelEntry.kind).toBe('molar');
      expect(asked.filter((n) => n === 'item_vectors.bin')).toHaveLength(1);
      expect(parse).toHaveBeenCalledTimes(1);
      await rec.record({ itemId: rec.items[2].id });
      expect(await rec.recommend({ k: 3 })).toHaveLength(3);
      expect(parse).toHaveBeenCalledTimes(1);
    } finally {
      rec.dispose();
    }
  });
});
