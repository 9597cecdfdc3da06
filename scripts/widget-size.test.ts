import { describe, expect, it } from 'vitest';
import { eagerFiles, eagerModules, moduleGroup, type BuiltChunk } from './widget-size.js';

describe('eagerFiles', () => {
  it('follows static imports from the entry and leaves dynamic ones out', () => {
    const manifest = {
      'src/widget/index.ts': { file: 'molar-recs.js', isEntry: true, imports: ['_core.js'], dynamicImports: ['node_modules/webgl/index.js'] },
      '_core.js': { file: 'chunks/core.js', imports: ['_runtime.js'] },
      '_runtime.js': { file: 'chunks/runtime.js', imports: ['_core.js'] },
      'node_modules/webgl/index.js': { file: 'chunks/webgl.js', isDynamicEntry: true, imports: ['_core.js', '_big.js'] },
      '_big.js': { file: 'chunks/big.js' },
    };
    expect(eagerFiles(manifest)).toEqual(['chunks/core.js', 'chunks/runtime.js', 'molar-recs.js']);
  });

  it('refuses a manifest without exactly one entry, or with a dangling import', () => {
    expect(() => eagerFiles({ a: { file: 'a.js' } })).toThrow(/one entry/);
    expect(() => eagerFiles({ a: { file: 'a.js', isEntry: true, imports: ['_gone.js'] } })).toThrow(/_gone\.js/);
  });
});

describe('eagerModules', () => {
  const root = '/r';
  it('lists the modules of the statically imported chunks only, largest first, grouped by package or src folder', () => {
    const big = 'x'.repeat(50) + Array.from({ length: 400 }, (_, i) => i * 7919).join(',');
    const chunks: BuiltChunk[] = [
      { fileName: 'molar-recs.js', isEntry: true, imports: ['chunks/core.js'], modules: { '/r/src/widget/molar-recs.ts': { code: 'let a = 1;' } } },
      { fileName: 'chunks/core.js', isEntry: false, imports: [], modules: { '/r/node_modules/@tensorflow/tfjs-core/dist/engine.js': { code: big }, '/r/src/config.ts': { code: null } } },
      { fileName: 'chunks/lazy.js', isEntry: false, imports: ['chunks/core.js'], modules: { '/r/node_modules/papaparse/papaparse.min.js': { code: big + big } } },
    ];
    const mods = eagerModules(chunks, root);
    expect(mods.map((m) => m.id)).toEqual(['node_modules/@tensorflow/tfjs-core/dist/engine.js', 'src/widget/molar-recs.ts', 'src/config.ts']);
    expect(mods.map((m) => m.group)).toEqual(['@tensorflow/tfjs-core', 'src/widget', 'src/config.ts']);
    expect(mods[0].gzipKb).toBeGreaterThan(mods[1].gzipKb);
    expect(mods[2].gzipKb).toBe(0);
  });

  it('names groups from the innermost node_modules', () => {
    expect(moduleGroup('/r/node_modules/a/node_modules/idb/build/index.js', root)).toBe('idb');
    expect(moduleGroup('\0molar-tf-core', root)).toBe('molar-tf-core');
  });
});
