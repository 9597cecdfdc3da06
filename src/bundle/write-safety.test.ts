/** writeBundle's safety around `out` (issue 21 §4): what --overwrite may replace, and temp folders after an interrupted build. */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { STALE_TEMP_MS, writeBundle } from './write.js';

const fresh = () => mkdtempSync(path.join(tmpdir(), 'molar-safety-'));
const write = (out: string) => writeBundle({ out, name: 't', items: [{ id: 'a' }], files: new Map(), models: [], overwrite: true });

describe('writeBundle --overwrite', () => {
  it('replaces only a folder whose manifest.json is a molar bundle', async () => {
    const dir = fresh();
    const cases: [string, string | undefined][] = [
      ['pwa', JSON.stringify({ name: 'My Shop', start_url: '/', display: 'standalone' })],
      ['broken', '{ not json'],
      ['null', 'null'],
      ['other-format', JSON.stringify({ format: 'molar-bundle-ish', formatVersion: 1 })],
      ['none', undefined],
    ];
    for (const [name, manifest] of cases) {
      const out = path.join(dir, name);
      mkdirSync(out);
      writeFileSync(path.join(out, 'index.html'), 'the shop');
      if (manifest !== undefined) writeFileSync(path.join(out, 'manifest.json'), manifest);
      const e = await write(out).catch((x) => x);
      expect(isMolarError(e, 'IO'), name).toBe(true);
      expect(e.message).toMatch(/not a bundle/);
      expect(readFileSync(path.join(out, 'index.html'), 'utf8'), name).toBe('the shop');
    }
    const bundle = path.join(dir, 'bundle');
    await write(bundle);
    await write(bundle); // a bundle is replaced
    expect(readdirSync(bundle).sort()).toEqual(['items.json', 'manifest.json']);
    expect(readdirSync(dir).filter((n) => n.includes('.tmp-'))).toEqual([]);
  });
});

describe('writeBundle temp folders', () => {
  it('sweeps temp folders of earlier builds whose process is gone or that are stale, and no others', async () => {
    const dir = fresh();
    const out = path.join(dir, 'b');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!; // a pid that has exited
    const old = new Date(Date.now() - STALE_TEMP_MS - 60_000);
    const mk = (name: string, mtime?: Date) => {
      mkdirSync(path.join(dir, name, 'images'), { recursive: true });
      if (mtime) utimesSync(path.join(dir, name), mtime, mtime);
    };
    mk(`b.tmp-${dead}-0123abcd`);
    mk(`b.tmp-${dead}-0123abcd.old`);
    mk(`b.tmp-${process.pid}-deadbeef`, old); // alive, but an hour old: nothing writes that long
    mk(`b.tmp-${process.pid}-cafebabe`); // alive and fresh: may be another write in progress
    mk(`other.tmp-${dead}-0123abcd`); // another bundle's
    mk('b.tmp-notes'); // not our pattern
    await write(out);
    expect(readdirSync(dir).sort()).toEqual(['b', `b.tmp-${process.pid}-cafebabe`, 'b.tmp-notes', `other.tmp-${dead}-0123abcd`].sort());
  });

  it('removes its temp folder when the build is stopped by SIGTERM or SIGINT, and dies of that signal', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const dir = fresh();
      const fifo = path.join(dir, 'stuck.fifo');
      // copying from a FIFO that nobody writes blocks: the build is stopped mid-write, temp folder on disk
      spawnSync('mkfifo', [fifo]);
      const script = `
        import { writeBundle } from ${JSON.stringify(path.resolve(import.meta.dirname, 'write.ts'))};
        await writeBundle({ out: ${JSON.stringify(path.join(dir, 'b'))}, name: 't', items: [], models: [],
          files: new Map([['a.bin', { data: 'x' }], ['b.png', { copyFrom: ${JSON.stringify(fifo)} }]]),
          onFile: (_d, _t, name) => { if (name === 'a.bin') console.log('writing'); } });`;
      // node itself (tsx as a loader), not the tsx CLI, which would relay the signal and exit with a code
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
      await new Promise<void>((resolve) => child.stdout.on('data', (d: Buffer) => d.includes('writing') && resolve()));
      expect(readdirSync(dir).some((n) => n.startsWith('b.tmp-'))).toBe(true);
      child.kill(signal);
      const [, sig] = await new Promise<[number | null, string | null]>((resolve) => child.on('exit', (c, s) => resolve([c, s])));
      expect(sig, signal).toBe(signal);
      expect(readdirSync(dir), signal).toEqual(['stuck.fifo']);
      expect(existsSync(path.join(dir, 'b'))).toBe(false);
    }
  });
});
