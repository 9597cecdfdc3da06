import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildBundle, defaultSteps, type BuildStep } from '../bundle/build.js';
import type { ItemTagsEntry, Manifest, MsrEntry } from '../bundle/manifest.js';
import { resolveConfig } from '../config.js';
import { buildSequences } from '../data/sequences.js';
import type { CatalogItem } from '../data/types.js';
import { FLOAT_ITEM_VECTORS, ITEM_VECTORS_FILE } from '../encoders/build-step-node.js';
import { ItemVectorStore } from '../items/store.js';
import { mulberry32 } from '../random.js';
import { Recommender } from '../recommender/recommender.js';
import { createScorer, pickModel } from '../score/registry.js';
import { folderFetch } from '../testing/folder-fetch.js';
import type { MolarWarning } from '../warnings.js';
import { msrStep } from '../train/msr-build-step.js';
import { loadMsrReranker } from './load.js';
import { deserializeTagTable, tagsOfRow } from './tags.js';
import { itemTagsStep } from './tags-build-step.js';

const N = 40;
const ARCS = ['north', 'east', 'south', 'west'];
/** a ring of 40 items in four arcs (the catalog attribute), item vectors at their angle; 150 shoppers walk it in small steps */
function shop() {
  const rnd = mulberry32(11);
  const catalog: CatalogItem[] = Array.from({ length: N }, (_, i) => ({ id: `it-${i + 1}`, title: `Item ${i + 1}`, attributes: { arc: ARCS[Math.floor((i * 4) / N)] } }));
  const interactions = Array.from({ length: 150 }, (_, u) => {
    let it = Math.floor(rnd() * N);
    return Array.from({ length: 8 + Math.floor(rnd() * 8) }, () => ({ user: `u${u}`, item: `it-${(it = (it + (rnd() < 0.5 ? 0 : 1)) % N) + 1}` }));
  }).flat();
  const dataset = buildSequences(interactions, catalog, { name: 'ring' });
  const vectors: BuildStep = {
    name: 'item-vectors',
    async run(ctx) {
      const dim = 6;
      const data = new Float32Array(N * dim);
      for (let i = 0; i < N; i++) {
        const a = (2 * Math.PI * (i + 1)) / N;
        data.set([Math.cos(a), Math.sin(a), Math.cos(2 * a), Math.sin(2 * a), 0.3, 0.05 * rnd()], i * dim);
      }
      const m = { data, rows: N, dim };
      ctx.put(FLOAT_ITEM_VECTORS, m);
      ctx.files.set(ITEM_VECTORS_FILE, { data: new Uint8Array(ItemVectorStore.fromItems(m).toArrayBuffer()) });
      ctx.models.push({ kind: 'item-vectors', files: [ITEM_VECTORS_FILE], encoder: { id: 'fake', dim, modality: 'text' }, dim });
    },
  };
  return { catalog, dataset, vectors };
}

let out = '';
let manifest: Manifest;
beforeAll(async () => {
  const { catalog, dataset, vectors } = shop();
  out = path.join(mkdtempSync(path.join(tmpdir(), 'molar-msr-')), 'b');
  const steps = [...defaultSteps(), msrStep({ train: { maxEpochs: 8, patience: 8, batchSize: 32, learningRate: 1e-2, sampleSize: 40, hardDepth: 10 }, config: { hidden: 16, rerankHidden: 16 }, progress: false }), itemTagsStep(), vectors];
  manifest = await buildBundle({ out, dataset, catalog, steps });
}, 120_000);

describe('molar build with the summary steps', () => {
  it('writes the item tags (stage 1) and the re-ranker over the best first stage (stages 2 + 3)', () => {
    const tags = manifest.models.find((m): m is ItemTagsEntry => m.kind === 'item-tags')!;
    expect(tags.vocab.sort()).toEqual(['arc=east', 'arc=north', 'arc=south', 'arc=west']);
    const table = deserializeTagTable(Uint8Array.from(readFileSync(path.join(out, tags.parts.tags))).buffer, N + 1, tags.perItem, tags.vocab.length);
    // item 1 sits in the north arc (items 1..10), item 25 in the south one (21..30)
    expect(tagsOfRow(table, tags.vocab, 1).tags[0].token).toBe('arc=north');
    expect(tagsOfRow(table, tags.vocab, 25).text.split(', ')[0]).toBe('south');
    const msr = manifest.models.find((m): m is MsrEntry => m.kind === 'msr')!;
    expect(msr.firstStage).toBe('cooccurrence');
    expect(msr.files).toEqual(['msr.bin', ITEM_VECTORS_FILE]);
    expect(msr.weight).toBeGreaterThanOrEqual(0);
  });

  it('Recommender.load serves the bundle\'s re-ranker (config.summary.rerank: false turns it off), in the order the Node re-ranker gives', async () => {
    await tf.setBackend('cpu');
    const load = (config = {}) => Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', fetch: folderFetch(out, 'disk://b/'), namespace: `msr-${Math.random()}`, config });
    const history = ['it-3', 'it-4', 'it-5', 'it-6', 'it-7'];
    // weight 1: the re-ranker alone decides the order of the top N
    const on = await load({ summary: { weight: 1 } });
    const off = await load({ summary: { rerank: false } });
    for (const r of [on, off]) for (const itemId of history) await r.record({ itemId });
    const [a, b] = [await on.recommend({ k: 10 }), await off.recommend({ k: 10 })];
    expect(a.map((x) => x.item.id)).not.toEqual(b.map((x) => x.item.id));
    // the same, computed outside the Recommender: first stage, top 50, re-ranker
    const read = async (name: string) => {
      const buf = readFileSync(path.join(out, name));
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    };
    const config = resolveConfig();
    const scorer = await createScorer({ manifest, entry: pickModel(manifest), readFile: read, config });
    const reranker = (await loadMsrReranker(manifest, read, { served: 'cooccurrence', weight: 1 }))!;
    const seq = Int32Array.from(history, (id) => Number(id.slice(3)));
    const [row] = await scorer.score([seq]);
    const seen = new Set(seq);
    const top = Array.from({ length: N }, (_, i) => i + 1).filter((i) => !seen.has(i)).sort((x, y) => row[y] - row[x] || x - y).slice(0, 50).map((id) => ({ id, score: row[id] }));
    const ranked = await reranker.rerank(top, { history: seq, items: [], k: 10, scores: row });
    expect(a.map((x) => x.item.id)).toEqual(ranked.slice(0, 10).map((c) => `it-${c.id}`));
    for (const [i, x] of a.entries()) expect(x.score).toBeCloseTo(ranked[i].score, 4);
    // walking clockwise from 3..7, the re-ranker's best is near the walk's end
    expect(Math.abs(Number(a[0].item.id.slice(3)) - 8)).toBeLessThanOrEqual(3);
    // stage 2 read through stage 1: a walk through the north arc (items 1..10) reads as north
    const summary = await on.preferenceSummary();
    expect(summary!.text).toMatch(/^Prefers north/);
    expect(summary!.lately.map((t) => t.token)).toContain('arc=north');
    expect(await off.preferenceSummary()).toBeNull();
    reranker.dispose();
    scorer.dispose();
    on.dispose();
    off.dispose();
  });

  it('"lately" follows the newest block: a walk from the north arc into the east one', async () => {
    const rec = await Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', fetch: folderFetch(out, 'disk://b/'), namespace: `msr-${Math.random()}` });
    for (const i of [2, 3, 4, 5, 6, 7, 8, 12, 13, 14]) await rec.record({ itemId: `it-${i}` });
    const s = (await rec.preferenceSummary())!;
    expect(s.lately[0].token).toBe('arc=east');
    expect(s.text).toContain('east');
    rec.dispose();
  });
});

describe('the summary state beside the history', () => {
  it('recommend() keeps it in the history store; exportHistory() holds it and clearHistory() forgets it', async () => {
    await tf.setBackend('cpu');
    const namespace = `msr-kept-${Math.random()}`;
    const load = () => Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', fetch: folderFetch(out, 'disk://b/'), namespace, config: { summary: { weight: 1 } } });
    const rec = await load();
    for (const i of [2, 3, 4, 5, 6, 7, 8]) await rec.record({ itemId: `it-${i}` });
    const first = await rec.recommend({ k: 5 });
    const doc = JSON.parse(await rec.exportHistory());
    expect(doc.summaries).toHaveLength(1);
    expect(doc.summaries[0]).toMatchObject({ provider: 'msr', blocks: 2, items: ['it-2', 'it-3', 'it-4', 'it-5', 'it-6', 'it-7'] });
    const msr = manifest.models.find((m): m is MsrEntry => m.kind === 'msr')!;
    expect(doc.summaries[0].source).toBe(`${manifest.files[msr.parts.weights].sha256}:${manifest.files[msr.parts.vectors].sha256}`);
    rec.dispose();
    // a reload reads the kept state and serves the same list
    const again = await load();
    expect((await again.recommend({ k: 5 })).map((r) => r.item.id)).toEqual(first.map((r) => r.item.id));
    await again.clearHistory();
    expect(JSON.parse(await again.exportHistory()).summaries).toEqual([]);
    again.dispose();
  });
});

describe('explain()', () => {
  it('gives the served score and the history items whose absence lowers it most, each drop checked against recommend() on the history without the item', async () => {
    await tf.setBackend('cpu');
    const load = (config = {}) => Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', fetch: folderFetch(out, 'disk://b/'), namespace: `msr-why-${Math.random()}`, config: { summary: { weight: 1 }, ...config } });
    const history = ['it-2', 'it-3', 'it-4', 'it-5', 'it-6', 'it-7', 'it-31'];
    const rec = await load();
    for (const itemId of history) await rec.record({ itemId });
    // the re-ranker reads the top 50 of 40 items: recommend() serves every unseen item's score
    const served = async (h: string[]) => {
      const r = await load();
      for (const itemId of h) await r.record({ itemId });
      const all = new Map((await r.recommend({ k: N })).map((x) => [x.item.id, x.score]));
      r.dispose();
      return all;
    };
    const [top] = await rec.recommend({ k: 1 });
    const why = await rec.explain(top.item.id);
    expect(why.item.id).toBe(top.item.id);
    expect(why.method).toBe('leave-one-out');
    expect(why.score).toBeCloseTo(top.score, 4);
    expect(why.summary).toMatch(/^Prefers /);
    expect(why.contributions.length).toBeGreaterThan(0);
    expect(why.contributions.length).toBeLessThanOrEqual(3);
    for (const c of why.contributions) {
      expect(history).toContain(c.item.id);
      const without = await served(history.filter((id) => id !== c.item.id));
      expect(c.delta, c.item.id).toBeCloseTo(why.score - without.get(top.item.id)!, 4);
    }
    expect(why.contributions.map((c) => c.delta)).toEqual([...why.contributions.map((c) => c.delta)].sort((a, b) => b - a));
    // explaining leaves the kept summary state as recommend() left it
    const before = JSON.parse(await rec.exportHistory()).summaries;
    const listed = (await rec.recommend({ k: 3 })).map((r) => r.item.id);
    const tensors = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) await rec.explainMany(listed); // 8 histories re-scored each: no tensor left behind
    expect(tf.memory().numTensors).toBe(tensors);
    expect(JSON.parse(await rec.exportHistory()).summaries).toEqual(before);
    await expect(rec.explain('no-such-item')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    rec.dispose();
    // without the re-ranker: no summary, contributions still
    const plain = await load({ summary: { rerank: false } });
    for (const itemId of history) await plain.record({ itemId });
    const [p] = await plain.recommend({ k: 1 });
    const w = await plain.explain(p.item.id);
    expect(w.summary).toBeNull();
    expect(w.contributions.length).toBeGreaterThan(0);
    plain.dispose();
  });
});

describe('items added after the build', () => {
  it('are tagged on demand by the bundle\'s tagger and read by the summary and the re-ranker from their vectors, and replaced in place when given new content', async () => {
    await tf.setBackend('cpu');
    const read = async (name: string) => {
      const buf = readFileSync(path.join(out, name));
      return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
    };
    const reranker = (await loadMsrReranker(manifest, read, { served: 'cooccurrence', weight: 1 }))!;
    // a new item at the angle of item 14 (east arc), twice over: ids 41 and 42
    const a = (2 * Math.PI * 14) / N;
    const v = [Math.cos(a), Math.sin(a), Math.cos(2 * a), Math.sin(2 * a), 0.3, 0];
    reranker.addItems({ data: Float32Array.from([...v, ...v]), rows: 2, dim: 6 });
    const s = await reranker.describe(Int32Array.from([2, 3, 4, 41, 42]), []);
    expect(s.lately[0].token).toBe('arc=east');
    const ranked = await reranker.rerank([{ id: 42, score: 0 }, { id: 30, score: 0 }], { history: Int32Array.from([12, 13, 41]), items: [], k: 2 });
    expect(ranked[0].id).toBe(42);
    // the page gives both new content, at the angle of item 25 (south arc): their rows and tags are replaced in place
    const b = (2 * Math.PI * 25) / N;
    const w = [Math.cos(b), Math.sin(b), Math.cos(2 * b), Math.sin(2 * b), 0.3, 0];
    reranker.addItems({ data: Float32Array.from([...w, ...w]), rows: 2, dim: 6, first: 41 });
    expect((await reranker.describe(Int32Array.from([2, 3, 4, 41, 42]), [])).lately[0].token).toBe('arc=south');
    expect(() => reranker.addItems({ data: Float32Array.from(w), rows: 1, dim: 6, first: 40 })).toThrow(/not items added after the catalog/);
    reranker.dispose();
  });
});

describe('a bundle\'s msr entry is untrusted', () => {
  const copy = (edit: (m: Record<string, any>) => void, weights?: (f: Float32Array) => void): string => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'molar-msr-bad-')), 'b');
    cpSync(out, dir, { recursive: true });
    const m = JSON.parse(readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    edit(m);
    if (weights) {
      const buf = readFileSync(path.join(dir, 'msr.bin'));
      const f = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength));
      weights(f);
      writeFileSync(path.join(dir, 'msr.bin'), new Uint8Array(f.buffer));
      m.files['msr.bin'] = { bytes: f.byteLength, sha256: createHash('sha256').update(new Uint8Array(f.buffer)).digest('hex') };
    }
    writeFileSync(path.join(dir, 'manifest.json'), JSON.stringify(m));
    return dir;
  };
  const load = (dir: string, extra: Partial<Parameters<typeof Recommender.load>[0]> = {}) => Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', fetch: folderFetch(dir, 'disk://b/'), namespace: `msr-bad-${Math.random()}`, ...extra });
  const msr = (m: Record<string, any>) => m.models.find((e: { kind: string }) => e.kind === 'msr');

  it('a weight outside [0, 1], parts outside its files, or NaN weights are refused naming the field', async () => {
    await tf.setBackend('cpu');
    await expect(load(copy((m) => (msr(m).weight = 2)))).rejects.toMatchObject({ code: 'BUNDLE_INVALID', field: 'models[4].weight' });
    await expect(load(copy((m) => (msr(m).parts.weights = 'popularity.bin')))).rejects.toMatchObject({ code: 'BUNDLE_INVALID' });
    await expect(load(copy(() => {}, (f) => (f[7] = NaN)))).rejects.toMatchObject({ code: 'BUNDLE_INVALID', message: expect.stringContaining('finite') });
  });

  it('a re-ranker trained over another model than the one served is skipped with a warning', async () => {
    const warnings: MolarWarning[] = [];
    const rec = await load(out, { model: 'popularity', onWarning: (w) => warnings.push(w) });
    expect(warnings.map((w) => w.code)).toContain('RERANKER_SKIPPED');
    rec.dispose();
  });
});
