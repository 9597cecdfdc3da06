import { describe, expect, it } from 'vitest';
import { eagerFiles } from './widget-size.js';

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
