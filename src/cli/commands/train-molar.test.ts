import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Manifest, MolarEntry, SasrecEntry } from '../../bundle/manifest.js';
import { molar, repo } from '../fixtures/run-molar.js';

const shop = path.join(repo, 'src/cli/fixtures/shop');

describe('molar train --model molar --order joint (on the tiny ONNX fixtures)', () => {
  const cwd = mkdtempSync(path.join(tmpdir(), 'molar-joint-cli-'));
  const modelDir = path.relative(cwd, path.join(repo, 'e2e/fixtures/tiny-hf'));
  const inter = ['--interactions', path.join(shop, 'interactions.csv')];
  const build = (out: string, train: boolean) => molar(['build', '--catalog', path.join(shop, 'catalog.csv'), ...inter, '--no-images', ...(train ? [] : ['--no-train']), '--out', out, '--encode', 'hf-text:tiny-bert', '--model-dir', modelDir], cwd);
  const manifestOf = (out: string) => JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  it("trains the bundle's SASRec with the content model and writes both back; refuses a bundle with no SASRec", async () => {
    const out = path.join(cwd, 'joint');
    expect((await build(out, true)).code).toBe(0);
    const before = manifestOf(out);
    const r = await molar(['train', '--bundle', out, ...inter, '--model', 'molar', '--order', 'joint', '--epochs', '2', '--workers', '1'], cwd);
    expect(r.stderr).not.toContain('error');
    expect(r.stdout).toMatch(/order joint; wrote molar\.bin and sasrec\.bin/);
    const after = manifestOf(out);
    expect(after.files['sasrec.bin'].sha256).not.toBe(before.files['sasrec.bin'].sha256);
    const sasrec = after.models.find((m): m is SasrecEntry => m.kind === 'sasrec')!;
    expect(sasrec.trainedWith?.settings).toMatchObject({ trainedJointlyWith: 'molar' });
    expect(sasrec.trainedWith?.valid).toBeUndefined(); // the figures of the SASRec trained alone are gone
    expect(after.models.find((m): m is MolarEntry => m.kind === 'molar')!.mix.idModel).toBe('sasrec');
    // the rewritten bundle loads and serves both sides
    for (const model of ['molar', 'sasrec']) {
      const e = await molar(['eval', '--bundle', out, ...inter, '--model', model], cwd);
      expect(e.code, e.stderr).toBe(0);
      expect(e.stdout).toMatch(/NDCG@10\s+0\.\d{4}/);
    }
    const alone = path.join(cwd, 'alone');
    expect((await build(alone, false)).code).toBe(0);
    const bad = await molar(['train', '--bundle', alone, ...inter, '--model', 'molar', '--order', 'joint'], cwd);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('--order joint trains the bundle\'s SASRec with the content model; the bundle has none');
    const cold = await molar(['train', '--bundle', alone, ...inter, '--model', 'molar', '--id-residual', '--user-warm-start'], cwd);
    expect(cold.code).not.toBe(0);
    expect(cold.stderr).toContain('--user-warm-start starts the content model as the bundle\'s SASRec; the bundle has none');
  }, 600_000);

  it('--id-residual (with --user-warm-start) writes a content model with an ID table, shaped as the bundle\'s SASRec, that the bundle loads and serves', async () => {
    const out = path.join(cwd, 'idres');
    expect((await build(out, true)).code).toBe(0);
    const r = await molar(['train', '--bundle', out, ...inter, '--model', 'molar', '--id-residual', '--id-lr-factor', '8', '--item-align-steps', '10', '--user-warm-start', '--epochs', '2', '--workers', '1'], cwd);
    expect(r.code, r.stderr).toBe(0);
    const models = manifestOf(out).models;
    const entry = models.find((m): m is MolarEntry => m.kind === 'molar')!;
    const sasrec = models.find((m): m is SasrecEntry => m.kind === 'sasrec')!;
    expect(entry.config.idResidual).toBe(true);
    // how it was trained is in the bundle, so two bundles can be told apart by their knobs
    expect(entry.trainedWith?.settings).toMatchObject({ order: 'teacher', idLrFactor: 8, itemAlignSteps: 10, userWarmStart: 1 });
    for (const f of ['blocks', 'heads', 'maxLen', 'hidden']) expect(entry.config[f], f).toBe(sasrec.config[f]);
    expect(entry.config.positions ?? 'from-newest').toBe(sasrec.config.positions ?? 'from-newest');
    expect(entry.weights.find((w) => w.name === 'content.id_embedding')?.shape).toEqual([Number(entry.config.numItems) + 1, Number(entry.config.hidden)]);
    const e = await molar(['eval', '--bundle', out, ...inter, '--model', 'molar'], cwd);
    expect(e.code, e.stderr).toBe(0);
    expect(e.stdout).toMatch(/NDCG@10\s+0\.\d{4}/);
  }, 600_000);
});
