import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildBundle, defaultSteps } from '../bundle/build.js';
import type { BlendEntry } from '../bundle/manifest.js';
import { validateManifest } from '../bundle/validate.js';
import { buildSequences } from '../data/sequences.js';
import { leaveOneOut } from '../data/split.js';
import { isMolarError } from '../errors.js';
import { mulberry32 } from '../random.js';
import { blendRow } from '../score/kinds/blend.js';
import { pickModel } from '../score/registry.js';
import { functionScorer } from '../score/scorer.js';
import { chooseStep, type BuildReport } from './choose-step-node.js';
import { chooseServed } from './choose.js';

const N = 6;
/** Scores that put `best(history)` first and the rest by id. */
const ranker = (best: (h: Int32Array) => number) =>
  functionScorer(async (hs) =>
    hs.map((h) => {
      const row = Float32Array.from({ length: N + 1 }, (_, i) => (i === 0 ? -Infinity : -i));
      row[best(h)] = 10;
      return row;
    }),
  );

// users whose next item is their last item + 1 (mod N); even users end on an odd item and vice versa
const sequences = Array.from({ length: 40 }, (_, u) => Int32Array.from({ length: 4 }, (_, t) => ((u + t) % N) + 1));
const split = leaveOneOut(sequences);
const next = (h: Int32Array) => (h[h.length - 1] % N) + 1;

describe('chooseServed', () => {
  it('serves the candidate with the best validation NDCG@10 and says why, with every candidate\'s figures', async () => {
    const c = await chooseServed([{ kind: 'popularity', scorer: ranker(() => 1) }, { kind: 'sasrec', scorer: ranker(next) }], split, sequences, { filterSeen: false });
    expect(c.kind).toBe('sasrec');
    expect(c.valid.sasrec.metrics['ndcg@10']).toBe(1);
    expect(c.valid.popularity.metrics['ndcg@10']).toBeLessThan(0.6);
    expect(c.reason).toMatch(/highest validation NDCG@10 \(1\.0000, 40 users\): sasrec; next best popularity/);
    expect(c.blend).toBeUndefined(); // no co-occurrence to blend with
  });

  it('blends a learned model with co-occurrence when each is right for different users, and serves the blend', async () => {
    // sasrec is right on users whose last item is odd, co-occurrence on the others; each puts its
    // wrong guess first otherwise, but keeps the right item second, so a mix gets both right
    const half = (odd: boolean) =>
      functionScorer(async (hs) =>
        hs.map((h) => {
          const row = Float32Array.from({ length: N + 1 }, (_, i) => (i === 0 ? -Infinity : 0));
          const right = next(h);
          const mine = (h[h.length - 1] % 2 === 1) === odd;
          row[right] = mine ? 10 : 5;
          if (!mine) row[(right % N) + 1] = 6;
          return row;
        }),
      );
    const c = await chooseServed([{ kind: 'cooccurrence', scorer: half(false) }, { kind: 'sasrec', scorer: half(true) }], split, sequences, { filterSeen: false });
    expect(c.valid.sasrec.metrics['ndcg@10']).toBeLessThan(1);
    expect(c.valid.cooccurrence.metrics['ndcg@10']).toBeLessThan(1);
    expect(c.kind).toBe('blend');
    expect(c.valid.blend.metrics['ndcg@10']).toBe(1);
    expect(c.blend!.parts.map((p) => p.kind)).toEqual(['sasrec', 'cooccurrence']);
    expect(c.blend!.parts[0].weight + c.blend!.parts[1].weight).toBeCloseTo(1, 9);
  });

  it('on an exact tie keeps the candidate listed first (the simpler one)', async () => {
    const c = await chooseServed([{ kind: 'cooccurrence', scorer: ranker(next) }, { kind: 'sasrec', scorer: ranker(next) }], split, sequences, { filterSeen: false });
    expect(c.kind).toBe('cooccurrence');
  });
});

describe('blendRow', () => {
  it('z-scores each part over the catalog, so the weights, not the scales, decide; a flat part adds nothing', () => {
    const big = Float32Array.from([-Infinity, 1000, 2000, 3000]); // z: -1.22, 0, 1.22
    const small = Float32Array.from([-Infinity, 0.3, 0.2, 0.1]); // z: 1.22, 0, -1.22
    const flat = Float32Array.from([-Infinity, 7, 7, 7]);
    const z = Math.sqrt(1.5);
    expect(Array.from(blendRow([big, small], [0.5, 0.5])).slice(1).map((x) => Math.abs(x) < 1e-6)).toEqual([true, true, true]);
    const r = blendRow([big, small, flat], [0.75, 0.25, 1]);
    expect(r[0]).toBe(-Infinity);
    expect(r[1]).toBeCloseTo(-0.75 * z + 0.25 * z, 5);
    expect(r[3]).toBeCloseTo(0.75 * z - 0.25 * z, 5);
  });
});

describe('the served choice in a bundle', () => {
  const catalog = Array.from({ length: N }, (_, i) => ({ id: `p${i + 1}`, title: `Product ${i + 1}` }));
  const interactions = sequences.flatMap((s, u) => Array.from(s, (it, t) => ({ user: `u${u}`, item: `p${it}`, ts: t })));

  it('molar build records the choice, readers serve it over priority, the report has valid and test figures', async () => {
    const dataset = buildSequences(interactions, catalog);
    let report: BuildReport | undefined;
    const out = path.join(mkdtempSync(path.join(tmpdir(), 'molar-choose-')), 'b');
    const m = await buildBundle({ out, dataset, catalog, steps: [...defaultSteps({ items: { images: false } }), chooseStep({ onReport: (r) => (report = r) })] });
    // co-occurrence learns "next = last + 1" exactly; popularity cannot
    expect(m.served?.kind).toBe('cooccurrence');
    expect(m.served?.candidates.cooccurrence['ndcg@10']).toBeGreaterThan(m.served!.candidates.popularity['ndcg@10']);
    expect(pickModel(m).kind).toBe('cooccurrence');
    expect(pickModel({ models: m.models }).kind).toBe('cooccurrence'); // priority agrees here; see below for a choice it overrides
    expect(report!.candidates.map((c) => c.model)).toEqual(['popularity', 'cooccurrence']);
    expect(report!.candidates.every((c) => c.test && c.valid)).toBe(true);
    expect(report!.protocol).toMatchObject({ ranking: 'full', filterSeen: true, validUsers: 40, testUsers: 40 });
  });

  it('under --all-data the counts are judged as fitted on the training prefixes, and served as fitted on everything', async () => {
    // seeded random histories: nothing in the prefixes predicts the validation item, but counts that
    // saw it (every user's train-last → valid pair) would "predict" it and win the choice unfairly
    const rand = mulberry32(3);
    const M = 30;
    const cat = Array.from({ length: M }, (_, i) => ({ id: `q${i + 1}`, title: `Q ${i + 1}` }));
    const rows = Array.from({ length: 80 }, (_, u) => Array.from({ length: 6 }, (_, t) => ({ user: `u${u}`, item: `q${1 + Math.floor(rand() * M)}`, ts: t }))).flat();
    const dataset = buildSequences(rows, cat);
    const reports: Record<string, BuildReport> = {};
    const manifests = Object.fromEntries(
      await Promise.all(
        (['leave-one-out-train', 'all'] as const).map(async (trainOn) => {
          const out = path.join(mkdtempSync(path.join(tmpdir(), 'molar-choose-all-')), 'b');
          const m = await buildBundle({ out, dataset, catalog: cat, trainOn, steps: [...defaultSteps({ items: { images: false } }), chooseStep({ onReport: (r) => (reports[trainOn] = r) })] });
          return [trainOn, m] as const;
        }),
      ),
    );
    const valid = (r: BuildReport) => Object.fromEntries(r.candidates.map((c) => [c.model, c.valid['ndcg@10']]));
    expect(valid(reports.all)).toEqual(valid(reports['leave-one-out-train']));
    expect(manifests.all.served?.candidates).toEqual(manifests['leave-one-out-train'].served?.candidates);
    // what ships is still fitted on everything
    expect(manifests.all.files['cooccurrence.bin'].sha256).not.toBe(manifests['leave-one-out-train'].files['cooccurrence.bin'].sha256);
    expect(reports.all.testNote).toMatch(/fitted on the training prefixes/);
  });

  it('a choice overrides priority; a choice naming a model the bundle lacks is refused; a blend entry is checked', () => {
    const models = [{ kind: 'popularity', files: ['popularity.bin'] }, { kind: 'sasrec', files: ['s.bin'] }];
    const served = { kind: 'popularity', reason: 'r', candidates: {}, split: 'valid' as const, users: 1, filterSeen: true };
    expect(pickModel({ models }).kind).toBe('sasrec');
    expect(pickModel({ models, served }).kind).toBe('popularity');
    expect(pickModel({ models, served }, 'sasrec').kind).toBe('sasrec'); // an explicit kind still wins
    const base = { format: 'molar-bundle', formatVersion: 1, name: 't', createdAt: '', generator: '', numItems: 1, itemsFile: 'items.json', files: { 'items.json': { sha256: '0'.repeat(64), bytes: 2 }, 'popularity.bin': { sha256: '0'.repeat(64), bytes: 8 } } };
    const pop = { kind: 'popularity', files: ['popularity.bin'] };
    const bad = (m: unknown) => { try { validateManifest(m, 'manifest.json'); } catch (e) { return e; } };
    const missing = bad({ ...base, models: [pop], served: { ...served, kind: 'sasrec' } });
    expect(isMolarError(missing, 'BUNDLE_INVALID')).toBe(true);
    expect((missing as Error).message).toMatch(/served\.kind.*popularity/);
    const blend: BlendEntry = { kind: 'blend', files: ['popularity.bin'], parts: [{ kind: 'popularity', weight: -1 }, { kind: 'popularity', weight: 1 }] };
    expect((bad({ ...base, models: [pop, blend] }) as Error).message).toMatch(/models\[1\]\.parts/);
    expect(bad({ ...base, models: [pop, { ...blend, parts: [{ kind: 'popularity', weight: 0.5 }, { kind: 'popularity', weight: 0.5 }] }], served: { ...served, kind: 'blend' } })).toBeUndefined();
  });
});
