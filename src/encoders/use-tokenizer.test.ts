import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { sampleItems } from './sample-node.js';
import { useLiteDir } from './sources-node.js';
import { UseTokenizer } from './use-tokenizer.js';

const require = createRequire(import.meta.url);

describe('UseTokenizer', () => {
  it('gives the same ids as the @energetic-ai/embeddings tokenizer', async () => {
    const vocab = require(`${useLiteDir()}/vocab.json`);
    // the package builds its tokenizer in the constructor and needs no model for that
    const { EmbeddingsModel } = require('@energetic-ai/embeddings');
    const ref = new EmbeddingsModel({ vocabulary: vocab, model: null }).tokenizer;
    const ours = new UseTokenizer(vocab);
    const { items } = await sampleItems({ limit: 400 });
    const texts = [
      ...items.map((i) => i.title ?? i.id),
      '',
      ' ',
      'Amélie (Le Fabuleux Destin d\'Amélie Poulain) (2001)',
      'ＦＵＬＬ width', // NFKC folds it
      'emoji 🎬 and 漢字 unknown symbols ~~~',
      'a  b   c',
    ];
    let pieces = 0;
    for (const t of texts) {
      const a = ours.encode(t);
      expect(a).toEqual(ref.encode(t));
      pieces += a.length;
    }
    expect(pieces).toBeGreaterThan(texts.length);
  });
});

describe('USE-lite chunking', () => {
  it('chunkEnd caps texts and tokens per call, and never returns an empty chunk', async () => {
    const { chunkEnd } = await import('./use-lite.js');
    const ids = [[1, 2], [3], [4, 5, 6], [7]];
    expect(chunkEnd(ids, 0, 10, Infinity)).toBe(4);
    expect(chunkEnd(ids, 0, 2, Infinity)).toBe(2);
    expect(chunkEnd(ids, 0, 10, 3)).toBe(2);
    expect(chunkEnd(ids, 2, 10, 2)).toBe(3); // a text longer than the cap goes alone
    expect(chunkEnd(ids, 3, 10, 1)).toBe(4);
  });
});
