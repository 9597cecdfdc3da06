import 'fake-indexeddb/auto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
