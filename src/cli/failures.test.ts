/**
 * The CLI's programmatic entry point, main(argv), walked through its failure cases (issue 21 §9,
 * §10): each one returns exit code 1 with `molar: error [CODE]` on stderr naming what to fix, and
 * none throws a raw Error or exits the process under its caller.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from './main.js';

const shop = path.join(import.meta.dirname, 'fixtures/shop');
const catalog = path.join(shop, 'catalog.csv');
const interactions = path.join(shop, 'interactions.csv');

afterEach(() => vi.restoreAllMocks());

/** main(argv) with stderr captured and process.exit forbidden. */
async function run(args: string[]): Promise<{ code: number; stderr: string }> {
  let stderr = '';
  vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => ((stderr += String(chunk)), true));
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.spyOn(process, 'exit').mockImplementation((c) => {
    throw new Error(`process.exit(${c}) under a caller of main()`);
  });
  const code = await main(['node', 'molar', ...args]);
  vi.restoreAllMocks();
  return { code, stderr };
}

describe('main(argv) fails with an exit code and a coded message, never a raw error', () => {
  it('walks the cases', async () => {
    const d = mkdtempSync(path.join(tmpdir(), 'molar-cli-fail-'));
    const file = (name: string, data: string | Buffer) => (writeFileSync(path.join(d, name), data), path.join(d, name));
    mkdirSync(path.join(d, 'empty'));
    mkdirSync(path.join(d, 'pwa'));
    writeFileSync(path.join(d, 'pwa/manifest.json'), '{"name":"My shop","start_url":"/"}');
    mkdirSync(path.join(d, 'half'));
    writeFileSync(path.join(d, 'half/manifest.json'), '{"format":');
    const build = (out: string, ...more: string[]) => ['build', '--catalog', catalog, '--interactions', interactions, '--out', out, '--no-train', ...more];
    const cases: [string, string[], string, RegExp][] = [
      ['a catalog that is not there', ['build', '--catalog', path.join(d, 'none.csv'), '--interactions', interactions, '--out', path.join(d, 'o1'), '--no-train'], 'IO', /none\.csv: cannot read the file/],
      ['interactions that are binary', ['build', '--catalog', catalog, '--interactions', file('bin.csv', Buffer.from([0x1f, 0x8b, 8, 0, 0xde, 0xad])), '--out', path.join(d, 'o2'), '--no-train'], 'BAD_INPUT', /bin\.csv: expected gzip data/],
      ['interactions not UTF-8', ['build', '--catalog', catalog, '--interactions', file('latin1.csv', Buffer.from('user_id,item_id\nj\xfcrgen,tea-green\n', 'latin1')), '--out', path.join(d, 'o3'), '--no-train'], 'BAD_INPUT', /latin1\.csv, line 2, field "user_id".*--encoding/],
      ['an unknown --encoding', [...build(path.join(d, 'o4')), '--encoding', 'klingon'], 'BAD_INPUT', /--encoding/],
      ['--out is a file', build(file('afile', 'x')), 'IO', /afile: the output folder already exists/],
      ['--out under a file', build(path.join(d, 'afile', 'sub')), 'IO', /cannot write the bundle/],
      ['--overwrite of a PWA folder', [...build(path.join(d, 'pwa')), '--overwrite'], 'IO', /pwa/],
      ['a bad --window', [...build(path.join(d, 'o5')), '--window', '-1'], 'BAD_INPUT', /field "--window": expected a positive integer/],
      ['--minutes with --no-train', [...build(path.join(d, 'o6')), '--minutes', '3'], 'BAD_INPUT', /--minutes/],
      ['an encoder flag without --encode', [...build(path.join(d, 'o7')), '--dtype', 'q8'], 'BAD_INPUT', /--dtype.*--encode/],
      ['eval of a folder with no manifest', ['eval', '--bundle', path.join(d, 'empty'), '--interactions', interactions], 'BUNDLE_INVALID', /no manifest\.json/],
      ['eval of a manifest that is not JSON', ['eval', '--bundle', path.join(d, 'half'), '--interactions', interactions], 'BUNDLE_INVALID', /not valid JSON/],
      ['eval of a PWA manifest', ['eval', '--bundle', path.join(d, 'pwa'), '--interactions', interactions], 'BUNDLE_INVALID', /field "format"/],
      ['train of a manifest that is not JSON', ['train', '--bundle', path.join(d, 'half'), '--interactions', interactions], 'BUNDLE_INVALID', /not valid JSON/],
    ];
    for (const [name, args, code, message] of cases) {
      const r = await run(args);
      expect([r.code, r.stderr.match(/molar: error \[(\w+)\]/)?.[1]], `${name}: ${r.stderr}`).toEqual([1, code]);
      expect(r.stderr, name).toMatch(message);
    }
  });

  it('a usage error (unknown flag, missing required flag) is exit code 1 with commander\'s message, not process.exit', async () => {
    const unknown = await run(['eval', '--bundle', 'b', '--interactions', interactions, '--frobnicate']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("unknown option '--frobnicate'");
    const missing = await run(['eval']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("required option '--bundle <dir>' not specified");
    expect((await run(['--version'])).code).toBe(0);
  });
});
