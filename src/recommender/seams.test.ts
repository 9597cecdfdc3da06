import 'fake-indexeddb/auto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { writeBundle } from '../bundle/write.js';
import { isMolarError } from '../errors.js';
import type { Reranker } from '../score/rerank.js';
import { folderFetch } from '../testing/folder-fetch.js';
import type { MolarWarning } from '../warnings.js';
import { Recommender } from './recommender.js';

const diskFetch = (dir: string, asked?: string[]) => folderFetch(dir, 'disk://b/', asked);

const DEMO = path.resolve(import.meta.dirname, '../../demo-data/bundle');
const COLD = path.resolve(import.meta.dirname, '../../e2e/fixtures/coldstart-bundle');
let ns = 0;
const load = (dir: string, extra: Partial<Parameters<typeof Recommender.load>[0]> = {}, asked?: string[]) =>
  Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', fetch: diskFetch(dir, asked), namespace: `seams${ns++}`, ...extra });

afterEach(() => {
  vi.unstubAllGlobals();
});

describe('Recommender lifecycle', () => {
  it('dispose() frees the scorer: three load → recommend → dispose cycles of the SASRec bundle leave no tensor', async () => {
    await tf.setBackend('cpu');
    const baseline = tf.memory().numTensors;
    for (let cycle = 0; cycle < 3; cycle++) {
      const rec = await load(DEMO, { model: 'sasrec' });
      expect(rec.modelEntry.kind).toBe('sasrec');
      await rec.record({ itemId: 'st-1f600' });
      await rec.recommend({ k: 5 });
      expect(tf.memory().numTensors).toBeGreaterThan(baseline); // the model's weights are live while it serves
      rec.dispose();
      expect(tf.memory().numTensors, `after cycle ${cycle + 1}`).toBe(baseline);
    }
  });

  it('fetches only the files of the model it serves', async () => {
    const asked: string[] = [];
    const rec = await load(DEMO, { model: 'cooccurrence' }, asked);
    expect(asked.sort()).toEqual(['cooccurrence.bin', 'item_vectors.bin', 'items.json', 'manifest.json', 'popularity.bin']);
    rec.dispose();
    asked.length = 0;
    (await load(DEMO, { model: 'sasrec' }, asked)).dispose();
    expect(asked.sort()).toEqual(['item_vectors.bin', 'items.json', 'manifest.json', 'sasrec.bin']); // the vectors: addItems() reads them
    asked.length = 0;
    // the served blend reads its parts' files: Molar's (its weights, vectors, attributes and SASRec) and co-occurrence's,
    // and MLLM-MSR's re-ranker trained over it (msr.bin) with stage 1's tags (the summary reads them)
    (await load(DEMO, {}, asked)).dispose();
    expect(asked.sort()).toEqual(['cooccurrence.bin', 'item_vectors.bin', 'items.json', 'manifest.json', 'molar.bin', 'molar_attributes.bin', 'msr.bin', 'popularity.bin', 'sasrec.bin', 'summary_tagger.bin', 'summary_tags.bin']);
  });

  it('loads encoders from config.encoders.modelBaseUrl when no modelBaseUrl option is given', async () => {
    const urls: string[] = [];
    vi.stubGlobal('fetch', async (u: string) => (urls.push(String(u)), new Response('no', { status: 404 })));
    const rec = await load(COLD, { config: { encoders: { modelBaseUrl: 'http://cdn.test/models/' } } });
    await rec.addItems([{ id: 'new', title: 'Green tea' }]).catch(() => {}); // the stub serves no model
    rec.dispose();
    expect(urls.length).toBeGreaterThan(0);
    expect(urls.every((u) => u.startsWith('http://cdn.test/models/use-lite/')), urls.join(' ')).toBe(true);
  });
});

describe('recommend(): scorer → fuse → top-N → re-rank → top-k', () => {
  it('hands the top rerankDepth candidates to the re-ranker and keeps k of its order', async () => {
    const plain = await load(DEMO, { model: 'cooccurrence' });
    await plain.record({ itemId: 'st-1f600' });
    const top20 = await plain.recommend({ k: 20 });
    plain.dispose();
    const seen: number[] = [];
    const reverse: Reranker = {
      name: 'reverse',
      rerank: (c, ctx) => {
        seen.push(c.length, ctx.k, ctx.history.length);
        return [...c].reverse();
      },
    };
    const rec = await load(DEMO, { model: 'cooccurrence', reranker: reverse, config: { score: { rerankDepth: 20 } } });
    await rec.record({ itemId: 'st-1f600' });
    const out = await rec.recommend({ k: 3 });
    expect(seen).toEqual([20, 3, 1]);
    expect(out.map((r) => r.item.id)).toEqual(top20.slice(-3).reverse().map((r) => r.item.id));
    rec.dispose();
  });

  it('refuses a re-ranker that invents an item, naming it', async () => {
    const rogue: Reranker = { name: 'rogue', rerank: () => [{ id: 99_999, score: 1 }] };
    const rec = await load(DEMO, { model: 'popularity', reranker: rogue });
    const err = await rec.recommend({ k: 3 }).catch((e) => e);
    expect(isMolarError(err, 'BAD_CONFIG')).toBe(true);
    expect(err.message).toContain('rogue');
    rec.dispose();
  });
});

describe('item URLs and warnings', () => {
  it('resolves image URLs once against the bundle, drops script links, and routes the warning to onWarning', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'molar-urls-'));
    const img = path.join(dir, 'x.png');
    writeFileSync(img, 'png');
    const out = path.join(dir, 'b');
    await writeBundle({
      out,
      name: 'hostile',
      items: [
        { id: 'a', image: 'images/1.png', url: ' JaVaScRiPt:alert(1)' },
        { id: 'b', url: 'java\tscript:alert(2)' },
        { id: 'c', url: 'https://shop.example/c', image: 'https://cdn.example/c.png' },
      ],
      files: new Map([['pop.bin', { data: new Uint8Array(new Float32Array([0, 3, 2, 1]).buffer) }], ['images/1.png', { copyFrom: img }]]),
      models: [{ kind: 'popularity', files: ['pop.bin'] }],
    });
    const warnings: MolarWarning[] = [];
    const rec = await load(out, { onWarning: (w) => warnings.push(w) });
    expect(rec.items.map((i) => [i.image, i.url])).toEqual([
      ['disk://b/images/1.png', undefined],
      [undefined, undefined],
      [undefined, 'https://shop.example/c'], // an image on another origin: only with config items.allowRemoteImages
    ]);
    expect(warnings.map((w) => [w.code, w.itemId])).toEqual([['UNSAFE_URL', 'a'], ['UNSAFE_URL', 'b'], ['UNSAFE_URL', 'c']]);
    rec.dispose();
    const open = await load(out, { onWarning: () => {}, config: { items: { allowRemoteImages: true } } });
    expect(open.item('c')?.image).toBe('https://cdn.example/c.png');
    open.dispose();
  });
});
