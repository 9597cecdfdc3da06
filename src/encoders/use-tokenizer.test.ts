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
