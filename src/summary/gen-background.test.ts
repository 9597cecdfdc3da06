import 'fake-indexeddb/auto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Recommender, type Recommendation } from '../recommender/recommender.js';
import { folderFetch } from '../testing/folder-fetch.js';
import { LateWorker } from '../testing/late-worker.js';
import type { MolarWarning } from '../warnings.js';
import { loadCausalLm, type TextLm } from './gen-lm.js';
import { rerankPrompt } from './gen-prompts.js';

/**
 * The generative LM loads in the background (Recommender.load does not wait for it): on the MSR
 * fixture bundle (its learned re-ranker over the served `molar` model), with the fixture LM behind
 * a stand-in worker that holds its load until the test releases it. Meanwhile recommend() and
 * preferenceSummary() are exactly the bundle's own; once released, the summary catches up with one
 * LM call per block completed meanwhile, and the LM's P(yes) re-ranks.
 */
const BUNDLE = path.resolve(import.meta.dirname, '../../e2e/fixtures/msr-bundle');
const GEN = path.resolve(import.meta.dirname, '../../e2e/fixtures/tiny-gen');
const SIX = ['tea-green', 'tea-black', 'tea-oolong', 'mug-white', 'mug-blue', 'pot-glass'];
const generator = { model: 'tiny-gpt2', localModelPath: GEN, maxNewTokens: 8, n: 10 };
const generative = { summary: { summarizer: 'generative', reranker: 'generative', generator } } as const;
let ns = 0;
const load = (extra: Partial<Parameters<typeof Recommender.load>[0]> = {}) =>
  Recommender.load({ bundleUrl: 'disk://msr/', backend: 'cpu', model: 'molar', fetch: folderFetch(BUNDLE, 'disk://msr/'), namespace: `bg${ns++}`, onWarning: () => {}, ...extra });
const ids = (rs: Recommendation[]) => rs.map((r) => r.item.id);

describe('the generative LM loads in the background', () => {
  let lm: TextLm;
  beforeAll(async () => {
    lm = await loadCausalLm('tiny-gpt2', { localModelPath: GEN });
  });
  afterAll(() => lm?.dispose());

  it("load resolves before the LM; meanwhile the bundle's re-ranker and summary serve; then one LM call per completed block, and P(yes) re-ranks", async () => {
    // the reference: the same bundle and history with the default providers only
    const plain = await load();
    for (const itemId of SIX) await plain.record({ itemId });
    const plainList = await plain.recommend({ k: 4 });
    const plainSummary = await plain.preferenceSummary();
    plain.dispose();
    expect(plainSummary?.source).toBe('learned');

    const worker = new LateWorker();
    const namespace = `bg-main-${ns++}`;
    const rec = await load({ namespace, config: generative, summaryWorker: () => worker.asWorker() });
    let readyEvents = 0;
    rec.addEventListener('generatorready', () => readyEvents++);
    expect(rec.generatorState).toBe('loading');
    expect(worker.counts).toEqual({ load: 1 }); // asked for, not there yet
    for (const itemId of SIX) await rec.record({ itemId });
    const meanwhile = await rec.recommend({ k: 4 });
    expect(ids(meanwhile)).toEqual(ids(plainList));
    meanwhile.forEach((r, i) => expect(Math.abs(r.score - plainList[i].score)).toBeLessThan(1e-6));
    expect(await rec.preferenceSummary()).toEqual(plainSummary);
    expect(worker.counts).toEqual({ load: 1 }); // nothing waited on the LM

    worker.release();
    expect(await rec.generatorReady).toBe('ready');
    expect(rec.generatorState).toBe('ready');
    expect(readyEvents).toBe(1);
    // the catch-up: six events recorded while it loaded are two blocks, two generations
    expect(worker.counts).toEqual({ load: 1, generate: 2 });
    const summary = (await rec.preferenceSummary())!;
    expect(summary.source).toBe('generative');
    expect(summary.text.startsWith('The user appears to have a preference for')).toBe(true);
    expect(worker.counts.generate).toBe(2); // read back, not generated again

    // now the LM re-ranks: the first stage's candidates by P(yes) under that summary
    const firstStage = await load({ config: { summary: { rerank: false } } });
    for (const itemId of SIX) await firstStage.record({ itemId });
    const candidates = await firstStage.recommend({ k: 4 });
    firstStage.dispose();
    const p = await lm.yesNo(candidates.map((r) => rerankPrompt(summary.text, { title: r.item.title ?? r.item.id })));
    const want = candidates.map((r, i) => ({ id: r.item.id, p: p[i], at: i })).sort((a, b) => b.p - a.p || a.at - b.at);
    const got = await rec.recommend({ k: 4 });
    expect(worker.counts.yesNo).toBe(1);
    expect(ids(got)).toEqual(want.map((w) => w.id));
    got.forEach((r, i) => expect(Math.abs(r.score - want[i].p)).toBeLessThan(1e-6));
    expect(ids(got), 'the LM does reorder them').not.toEqual(ids(plainList));
    rec.dispose();
    expect(worker.terminated).toBe(true);

    // a reload whose LM is slow again: the kept generative text is served at once, no LM call;
    // a block completed meanwhile is caught up with one call from it
    const slow = new LateWorker();
    const again = await load({ namespace, config: generative, summaryWorker: () => slow.asWorker() });
    expect(await again.preferenceSummary()).toEqual(summary);
    for (const itemId of ['tea-green', 'mug-white', 'pot-glass']) await again.record({ itemId });
    expect(ids(await again.recommend({ k: 4 }))).toHaveLength(4);
    expect((await again.preferenceSummary())?.text, 'still the kept one: the LM is not there').toBe(summary.text);
    slow.release();
    expect(await again.generatorReady).toBe('ready');
    expect(slow.counts).toEqual({ load: 1, generate: 1 });
    const nine = (await again.preferenceSummary())!;
    expect(nine.text).not.toBe(summary.text);
    expect(JSON.parse(await again.exportHistory()).summaries).toEqual(expect.arrayContaining([expect.objectContaining({ provider: 'gen-summary(hf-lm:tiny-gpt2)', blocks: 3, text: nine.text })]));
    again.dispose();
  });

  it("a generator that does not load is a GENERATOR_UNAVAILABLE warning naming it; the bundle's providers go on serving", async () => {
    const plain = await load();
    for (const itemId of SIX) await plain.record({ itemId });
    const plainList = await plain.recommend({ k: 4 });
    const plainSummary = await plain.preferenceSummary();
    plain.dispose();

    const warnings: MolarWarning[] = [];
    // in this thread (no worker handed in): the real loader's error, not a stand-in's
    const rec = await load({ config: { summary: { summarizer: 'generative', reranker: 'generative', generator: { ...generator, model: 'no-such-lm' } } }, onWarning: (w) => w.code !== 'UNSAFE_URL' && warnings.push(w) });
    for (const itemId of SIX) await rec.record({ itemId });
    expect(await rec.generatorReady).toBe('failed');
    expect(rec.generatorState).toBe('failed');
    expect(warnings).toEqual([expect.objectContaining({ code: 'GENERATOR_UNAVAILABLE', message: expect.stringContaining('"no-such-lm"') })]);
    const after = await rec.recommend({ k: 4 });
    expect(ids(after)).toEqual(ids(plainList));
    after.forEach((r, i) => expect(Math.abs(r.score - plainList[i].score)).toBeLessThan(1e-6));
    expect(await rec.preferenceSummary()).toEqual(plainSummary);
    rec.dispose();
  });

  it('dispose() while the LM loads terminates its worker at once; generatorReady says failed, with no warning', async () => {
    const worker = new LateWorker();
    const warnings: MolarWarning[] = [];
    const rec = await load({ config: generative, summaryWorker: () => worker.asWorker(), onWarning: (w) => w.code !== 'UNSAFE_URL' && warnings.push(w) });
    await rec.record({ itemId: 'tea-green' });
    rec.dispose();
    expect(worker.terminated, 'terminated by dispose(), before its load came back').toBe(true);
    expect(await rec.generatorReady).toBe('failed');
    worker.release();
    await new Promise((r) => setTimeout(r, 50));
    expect(worker.counts).toEqual({ load: 1 });
    expect(warnings).toEqual([]);
  });
});
