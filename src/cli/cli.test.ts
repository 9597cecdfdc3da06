import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { Manifest } from '../bundle/manifest.js';

const run = promisify(execFile);
const repo = path.resolve(__dirname, '../..');
const bin = path.join(repo, 'bin/molar.js');
const shop = path.join(__dirname, 'fixtures/shop');

async function molar(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const r = await run(process.execPath, [bin, ...args], { cwd: repo });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (e) {
    const err = e as { code: number; stdout: string; stderr: string };
    return { code: err.code, stdout: err.stdout, stderr: err.stderr };
  }
}

describe('molar CLI on the fixture shop', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'molar-cli-'));
  const out = path.join(dir, 'bundle');

  it('prints help for every command', async () => {
    for (const args of [['--help'], ['build', '--help'], ['eval', '--help']]) {
      const r = await molar(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: molar');
    }
  });

  it('builds a bundle end to end, then evaluates it', async () => {
    const b = await molar(['build', '--catalog', path.join(shop, 'catalog.csv'), '--interactions', path.join(shop, 'interactions.csv'), '--out', out, '--name', 'shop', '--no-train']); // SASRec's build step has its own test
    expect(b.stderr).not.toContain('error');
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('10 items, 8 users, 30 interactions');
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.models.map((x) => x.kind)).toEqual(['popularity', 'cooccurrence']);
    expect(Object.keys(m.files).sort()).toEqual(['cooccurrence.bin', 'images/1.png', 'items.json', 'popularity.bin']);
    const items = JSON.parse(readFileSync(path.join(out, 'items.json'), 'utf8'));
    expect(items[0]).toMatchObject({ id: 'tea-green', title: 'Green Tea', image: 'images/1.png', price: 6.5 });
    expect(items[6].image).toBe('https://example.com/pot-iron.jpg');
    expect(items[2].text).toBe('Oolong Tea. Roasted, floral oolong. category: tea');

    const json = path.join(dir, 'eval.json');
    const e = await molar(['eval', '--bundle', out, '--interactions', path.join(shop, 'interactions.csv'), '--json', json]);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/model\s+cooccurrence/);
    expect(e.stdout).toMatch(/filterSeen\s+true/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report).toMatchObject({ model: 'cooccurrence', split: 'test', filterSeen: true, users: 8, ks: [10, 20] });
    // 10 items, seen ones removed: every remaining target is in the top 10
    expect(report.metrics['recall@10']).toBe(1);
    expect(report.metrics['ndcg@10']).toBeGreaterThan(0);
    expect(report.metrics['ndcg@10']).toBeLessThanOrEqual(1);

    const kept = await molar(['eval', '--bundle', out, '--interactions', path.join(shop, 'interactions.csv'), '--keep-seen', '--model', 'popularity', '--split', 'valid']);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toMatch(/filterSeen\s+false/);
    expect(kept.stdout).toMatch(/model\s+popularity/);
  });

  it('fails on bad input with file, line and field, and creates no --out', async () => {
    const bad = path.join(dir, 'bad-out');
    const r = await molar(['build', '--catalog', path.join(shop, 'catalog.csv'), '--interactions', path.join(shop, 'bad-interactions.csv'), '--out', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('bad-interactions.csv, line 3, field "timestamp": expected a number');
    expect(existsSync(bad)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('bad-out'))).toEqual([]);
  });

  it('refuses to evaluate a bundle fitted on all data', async () => {
    const all = path.join(dir, 'all');
    const b = await molar(['build', '--interactions', path.join(shop, 'interactions.csv'), '--out', all, '--all-data']);
    expect(b.code).toBe(0);
    const e = await molar(['eval', '--bundle', all, '--interactions', path.join(shop, 'interactions.csv')]);
    expect(e.code).not.toBe(0);
    expect(e.stderr).toContain('all data');
  });
});
