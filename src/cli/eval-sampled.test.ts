import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { molar } from './fixtures/run-molar.js';

const shop = path.join(__dirname, 'fixtures/shop');

describe('molar eval --protocol sampled', () => {
  it('reports auc, hr@5 and ndcg@5 over the target and its sampled negatives, and refuses --keep-seen with it', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'molar-sampled-'));
    const out = path.join(dir, 'bundle');
    const data = ['--interactions', path.join(shop, 'interactions.csv')];
    expect((await molar(['build', '--catalog', path.join(shop, 'catalog.csv'), ...data, '--out', out, '--no-train'])).code).toBe(0);
    const json = path.join(dir, 'sampled.json');
    const e = await molar(['eval', '--bundle', out, ...data, '--protocol', 'sampled', '--negatives', '20', '--json', json]);
    expect(e.stderr).not.toContain('error');
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/protocol\s+sampled, 20 negatives, seed 42/);
    expect(e.stdout).toMatch(/AUC\s+0\.\d{4}|AUC\s+1\.0000/);
    const r = JSON.parse(readFileSync(json, 'utf8'));
    expect(r).toMatchObject({ protocol: 'sampled', model: 'cooccurrence', split: 'test', negatives: 20, seed: 42, users: 8 });
    expect(Object.keys(r.metrics).sort()).toEqual(['auc', 'hr@5', 'ndcg@5']);
    for (const v of Object.values(r.metrics) as number[]) expect(v >= 0 && v <= 1).toBe(true);
    // the same seed gives the same figures
    const again = await molar(['eval', '--bundle', out, ...data, '--protocol', 'sampled', '--json', json]);
    expect(again.code).toBe(0);
    expect(JSON.parse(readFileSync(json, 'utf8')).metrics).toEqual(r.metrics);
    const bad = await molar(['eval', '--bundle', out, ...data, '--protocol', 'sampled', '--keep-seen']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--keep-seen');
    const badP = await molar(['eval', '--bundle', out, ...data, '--protocol', 'loo']);
    expect(badP.stderr).toContain('--protocol');
  }, 120_000);

  it('molar train --model msr writes a re-ranker over the bundle\'s best model; eval --rerank reports <model>+rerank in both protocols', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'molar-msr-cli-'));
    const out = path.join(dir, 'bundle');
    cpSync(path.join(__dirname, '../../e2e/fixtures/coldstart-bundle'), out, { recursive: true });
    // a served choice as `molar build` records it (the fixture predates the field)
    const before = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    const served = { kind: 'cooccurrence', reason: 'highest validation NDCG@10 (test)' };
    writeFileSync(path.join(out, 'manifest.json'), JSON.stringify({ ...before, served }));
    const data = ['--interactions', path.join(shop, 'interactions.csv')];
    const t = await molar(['train', '--bundle', out, ...data, '--model', 'msr']);
    expect(t.stderr).not.toContain('error');
    expect(t.code).toBe(0);
    expect(t.stdout).toMatch(/trained msr over cooccurrence: \d+ epochs .* weight [\d.]+/);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    // the served choice (and why) survives: the re-ranker follows the served model
    expect(m.served).toEqual(served);
    expect(m.models.find((e: { kind: string }) => e.kind === 'msr')).toMatchObject({ firstStage: 'cooccurrence', files: ['msr.bin', 'item_vectors.bin'], trainedWith: { rerankExamples: 'valid-fold', rerankFold: 0.75 } });
    expect(t.stdout).toMatch(/stage 3 on valid-fold \(\d+ examples; the first stage on them NDCG@10 [\d.]+/);
    const refused = await molar(['train', '--bundle', out, ...data, '--rerank-examples', 'train-prefix']);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('--rerank-examples');
    const old = await molar(['train', '--bundle', out, ...data, '--model', 'msr', '--rerank-examples', 'train-prefix']);
    expect(old.code, old.stderr).toBe(0);
    const m2 = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(m2.models.find((e: { kind: string }) => e.kind === 'msr').trainedWith.rerankExamples).toBe('train-prefix');
    const json = path.join(dir, 'r.json');
    for (const protocol of ['sampled', 'full']) {
      const e = await molar(['eval', '--bundle', out, ...data, '--protocol', protocol, '--rerank', '--rerank-weight', '1', '--json', json]);
      expect(e.code, e.stderr).toBe(0);
      expect(JSON.parse(readFileSync(json, 'utf8')).model).toBe('cooccurrence+rerank');
    }
    const stray = await molar(['eval', '--bundle', out, ...data, '--rerank-weight', '0.5']);
    expect(stray.stderr).toContain('--rerank-weight');
    const none = await molar(['eval', '--bundle', out, ...data, '--rerank', '--model', 'popularity']);
    expect(none.stderr).toContain('no re-ranker over its "popularity" model');
  }, 180_000);
});
