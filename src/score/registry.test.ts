import { describe, expect, it } from 'vitest';
import type { ModelEntry } from '../bundle/manifest.js';
import { isMolarError } from '../errors.js';
import { resolveConfig } from '../config.js';
import { createScorer, pickModel, registerScorer, scorerKinds } from './registry.js';
import { functionScorer } from './scorer.js';

const manifest = (models: ModelEntry[]) => ({ numItems: 3, models });
const pop: ModelEntry = { kind: 'popularity', files: ['popularity.bin'] };

describe('score registry', () => {
  it('serves the highest-priority kind it knows and skips unknown kinds and item vectors', () => {
    const future: ModelEntry = { kind: 'hologram-v9', files: ['h.bin'], layers: 300 };
    const vectors: ModelEntry = { kind: 'item-vectors', files: ['v.bin'], dim: 4, encoder: { id: 'use-lite', dim: 4, modality: 'text' } };
    expect(pickModel(manifest([future, vectors, pop])).kind).toBe('popularity');
    expect(pickModel(manifest([pop, { kind: 'cooccurrence', files: ['c.bin', 'popularity.bin'], nnz: 0, topN: 1, window: 1 }])).kind).toBe('cooccurrence');
  });

  it('names the known kinds when nothing can be served or an unknown kind is asked for', () => {
    const none = (() => { try { pickModel(manifest([{ kind: 'hologram-v9', files: [] }])); } catch (e) { return e; } })();
    expect(isMolarError(none, 'UNKNOWN_KIND')).toBe(true);
    expect((none as Error).message).toContain('popularity, cooccurrence, sasrec');
    const asked = (() => { try { pickModel(manifest([pop]), 'hologram-v9'); } catch (e) { return e; } })();
    expect(isMolarError(asked, 'UNKNOWN_KIND')).toBe(true);
  });

  it('a new kind is one registerScorer call: picked by priority and created from its entry', async () => {
    registerScorer('constant', {
      priority: 1000,
      async create({ manifest: m }) {
        return functionScorer(async (h) => h.map(() => Float32Array.from({ length: m.numItems + 1 }, (_, i) => (i === 0 ? -Infinity : i))));
      },
    });
    expect(scorerKinds()).toContain('constant');
    const m = { ...manifest([pop, { kind: 'constant', files: [] }]), format: 'molar-bundle', formatVersion: 1, name: 't', createdAt: '', generator: '', itemsFile: 'items.json', files: {} } as const;
    const entry = pickModel(m);
    expect(entry.kind).toBe('constant');
    const scorer = await createScorer({ manifest: m, entry, readFile: async () => new ArrayBuffer(0), config: resolveConfig() });
    expect(Array.from((await scorer.score([new Int32Array([1])]))[0])).toEqual([-Infinity, 1, 2, 3]);
    scorer.dispose();
  });
});
