import 'fake-indexeddb/auto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { Recommender } from '../recommender/recommender.js';
import { folderFetch } from '../testing/folder-fetch.js';
import { loadCausalLm, type TextLm } from './gen-lm.js';
import { rerankPrompt } from './gen-prompts.js';
import { YesNoReranker } from './gen-rerank.js';
import { GenerativeSummarizer } from './gen-summary.js';

/**
 * Stages 2 + 3 generative, through the product's front door: the demo bundle's first stage, its
 * top 10 re-ranked by the fixture LM's P(yes) under the summary the same LM wrote of the history,
 * passed as `Recommender.load({ reranker })`. The reference is the LM's P(yes) over the first
 * stage's own top 10, sorted: what recommend() returns must be exactly that.
 */
const DEMO = path.resolve(import.meta.dirname, '../../demo-data/bundle');
const GEN = path.resolve(import.meta.dirname, '../../e2e/fixtures/tiny-gen');
const HISTORY = ['st-1f600', 'st-1f604', 'st-1f923'];
let ns = 0;
const load = (extra: Partial<Parameters<typeof Recommender.load>[0]> = {}) =>
  Recommender.load({ bundleUrl: 'disk://b/', backend: 'cpu', fetch: folderFetch(DEMO, 'disk://b/'), namespace: `gen${ns++}`, config: { score: { rerankDepth: 10 } }, ...extra });

describe('generative re-ranking behind Recommender.load({ reranker })', () => {
  let lm: TextLm;
  beforeAll(async () => {
    lm = await loadCausalLm('tiny-gpt2', { localModelPath: GEN });
  });
  afterAll(() => lm?.dispose());

  it("recommend() returns the first stage's top 10 ordered by P(yes) under the history's generated summary", async () => {
    const plain = await load({ model: 'cooccurrence' });
    for (const itemId of HISTORY) await plain.record({ itemId });
    const first = await plain.recommend({ k: 10 });
    plain.dispose();
    expect(first.length).toBe(10);

    // stage 2 over the history's titles as items.json holds them, then stage 3 reads that summary
    const items = JSON.parse(await (await folderFetch(DEMO, 'disk://b/')('disk://b/items.json')).text()) as { id: string; title?: string }[];
    const title = (id: string) => items.find((x) => x.id === id)?.title ?? id;
    const gen = new GenerativeSummarizer(lm, { maxNewTokens: 8 });
    const { summary } = await gen.advance({ summary: '', blocks: 0 }, HISTORY.map((id) => ({ title: title(id) })));
    expect(summary.startsWith('The user appears to have a preference for')).toBe(true);
    const rec = await load({ model: 'cooccurrence', reranker: new YesNoReranker(lm, { summary: () => summary, n: 10 }) });
    for (const itemId of HISTORY) await rec.record({ itemId });

    const p = await lm.yesNo(first.map((r) => rerankPrompt(summary, { title: r.item.title ?? r.item.id })));
    const want = first.map((r, i) => ({ id: r.item.id, p: p[i], at: i })).sort((a, b) => b.p - a.p || a.at - b.at).slice(0, 5);
    // the LM does reorder them here, so the equality below is not the first stage's order passing through
    expect(want.map((w) => w.id)).not.toEqual(first.slice(0, 5).map((r) => r.item.id));
    const got = await rec.recommend({ k: 5 });
    expect(got.map((r) => r.item.id)).toEqual(want.map((w) => w.id));
    got.forEach((r, i) => expect(Math.abs(r.score - want[i].p)).toBeLessThan(1e-6));
    rec.dispose();
  });
});

describe('generative stages chosen by config.summary', () => {
  const generator = { model: 'tiny-gpt2', localModelPath: GEN, maxNewTokens: 8, n: 10 };
  const config = { score: { rerankDepth: 10 }, summary: { summarizer: 'generative', reranker: 'generative', generator } } as const;
  let lm: TextLm;
  beforeAll(async () => {
    lm = await loadCausalLm('tiny-gpt2', { localModelPath: GEN });
  });
  afterAll(() => lm?.dispose());

  it('summarises per block into the history store, resumes after a reload with no LM call, and re-ranks by P(yes) under that summary', async () => {
    const step = vi.spyOn(GenerativeSummarizer.prototype, 'step');
    const namespace = `gen-config-${ns++}`;
    const SIX = ['st-1f600', 'st-1f604', 'st-1f923', 'st-1f60d', 'st-1f602', 'st-1f929'];
    const rec = await load({ model: 'cooccurrence', namespace, config });
    expect(await rec.generatorReady).toBe('ready'); // it loads in the background (gen-background.test.ts)
    const known = SIX.filter((id) => rec.item(id));
    expect(known).toEqual(SIX);
    for (const itemId of SIX) await rec.record({ itemId });
    const six = await rec.preferenceSummary();
    expect(six!.text.startsWith('The user appears to have a preference for')).toBe(true);
    expect(step).toHaveBeenCalledTimes(2);
    // stage 1's text in the prompt is the bundle's tags of the item
    const tagText = await rec.itemSummary('st-1f600');
    expect(tagText).toBeTruthy();
    expect(step.mock.calls[0][1][0]).toEqual({ title: rec.item('st-1f600')!.title, image: tagText });
    const exported = JSON.parse(await rec.exportHistory()) as { summaries: { provider: string; text?: string; blocks: number }[] };
    expect(exported.summaries).toEqual([expect.objectContaining({ provider: 'gen-summary(hf-lm:tiny-gpt2)', blocks: 2, text: six!.text })]);
    const first = await rec.recommend({ k: 5 });
    expect(step).toHaveBeenCalledTimes(2); // recommend() read the kept summary
    rec.dispose();

    // the reload: same namespace, a new Recommender; the summary is read back, not recomputed
    const again = await load({ model: 'cooccurrence', namespace, config });
    expect(await again.generatorReady).toBe('ready');
    step.mockClear();
    expect((await again.preferenceSummary())!.text).toBe(six!.text);
    expect(step).not.toHaveBeenCalled();
    expect((await again.recommend({ k: 5 })).map((r) => r.item.id)).toEqual(first.map((r) => r.item.id));
    // explanations' what-if histories read the kept summary: no generation for them
    const why = await again.explain(first[0].item.id);
    expect(why.summary).toBe(six!.text);
    expect(step).not.toHaveBeenCalled();
    // the next block advances it by one step from the kept text
    for (const itemId of ['st-1f600', 'st-1f604', 'st-1f923']) await again.record({ itemId });
    const nine = await again.preferenceSummary();
    expect(step).toHaveBeenCalledTimes(1);
    expect(step.mock.calls[0][0]).toBe(six!.text);

    // what recommend() returns: the first stage's top 10 by the LM's P(yes) under that summary
    const plain = await load({ model: 'cooccurrence', namespace: `gen-plain-${ns++}` });
    for (const itemId of [...SIX, 'st-1f600', 'st-1f604', 'st-1f923']) await plain.record({ itemId });
    const firstStage = await plain.recommend({ k: 10 });
    plain.dispose();
    const prompts = await Promise.all(firstStage.map(async (r) => rerankPrompt(nine!.text, { title: r.item.title ?? r.item.id, image: (await again.itemSummary(r.item.id)) || undefined })));
    const p = await lm.yesNo(prompts);
    const want = firstStage.map((r, i) => ({ id: r.item.id, p: p[i], at: i })).sort((a, b) => b.p - a.p || a.at - b.at).slice(0, 5);
    expect(want.map((w) => w.id), 'the LM does reorder them').not.toEqual(firstStage.slice(0, 5).map((r) => r.item.id));
    const got = await again.recommend({ k: 5 });
    expect(got.map((r) => r.item.id)).toEqual(want.map((w) => w.id));
    got.forEach((r, i) => expect(Math.abs(r.score - want[i].p)).toBeLessThan(1e-6));
    // clearHistory() forgets the summary with the events
    await again.clearHistory();
    expect(JSON.parse(await again.exportHistory()).summaries).toEqual([]);
    expect((await again.preferenceSummary())!.text).toBe('');
    again.dispose();
    step.mockRestore();
  });

  it('a generator that is not there is a warning naming the model, not a failed load; a bad generator config is BAD_CONFIG naming the field', async () => {
    const warnings: string[] = [];
    const rec = await load({ model: 'cooccurrence', onWarning: (w) => warnings.push(`${w.code}: ${w.message}`), config: { summary: { summarizer: 'generative', generator: { model: 'no-such-lm', localModelPath: GEN } } } });
    expect(await rec.generatorReady).toBe('failed');
    // (co-occurrence is not what the demo's re-ranker was trained over: RERANKER_SKIPPED says so, rightly)
    expect(warnings.filter((w) => !w.startsWith('RERANKER_SKIPPED'))).toEqual([expect.stringMatching(/^GENERATOR_UNAVAILABLE: .*"no-such-lm"/)]);
    expect(await rec.recommend({ k: 3 })).toHaveLength(3);
    rec.dispose();
    await expect(load({ config: { summary: { reranker: 'generative', generator } } })).rejects.toMatchObject({ code: 'BAD_CONFIG', field: 'summary.summarizer' });
    await expect(load({ config: { summary: { summarizer: 'generative', generator: { ...generator, blockSize: 0 } } } })).rejects.toMatchObject({ code: 'BAD_CONFIG', field: 'summary.generator.blockSize' });
  });
});
