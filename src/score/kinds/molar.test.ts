import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { openBundleDir } from '../../cli/bundle-node.js';
import { resolveConfig } from '../../config.js';
import { ItemVectorStore } from '../../items/store.js';
import { useNodeBackend } from '../../train/backend-node.js';
import { createScorer } from '../registry.js';

const FIXTURE = path.resolve(import.meta.dirname, '../../../e2e/fixtures/molar-bundle');

describe('the molar scorer', () => {
  it('scores an added item from its vector and its catalog attributes as it scores the same catalog item; without them it differs; new content replaces it in place', async () => {
    await useNodeBackend('wasm');
    const bundle = await openBundleDir(FIXTURE);
    const entry = bundle.manifest.models.find((m) => m.kind === 'molar')!;
    const store = ItemVectorStore.fromArrayBuffer(await bundle.readFile('item_vectors.bin'));
    const oolong = bundle.items.findIndex((it) => it.id === 'tea-oolong') + 1;
    expect(bundle.items[oolong - 1].text).toContain('category: tea'); // its catalog row has the attribute category=tea
    const before = tf.memory().numTensors;
    // content path alone (mix weight 1), so a catalog item and an added one are on the same footing
    const scorer = await createScorer({ manifest: bundle.manifest, entry: { ...entry, mix: { content: 1 } }, readFile: bundle.readFile, config: resolveConfig() });
    const n = bundle.manifest.numItems;
    // the same vector twice: once with the catalog's attributes, once with none
    scorer.addItems!({ data: store.row(oolong), rows: 1, dim: store.dim, attributes: [{ category: 'tea' }] });
    scorer.addItems!({ data: store.row(oolong), rows: 1, dim: store.dim });
    const [row] = await scorer.score([Int32Array.of(1, 2, 5)]);
    expect(row.length).toBe(n + 3);
    expect(row[n + 1]).toBeCloseTo(row[oolong], 4); // the twin with attributes is the catalog item
    expect(Math.abs(row[n + 2] - row[oolong])).toBeGreaterThan(1e-3); // without them the head fuses another vector
    // new content for the second (the page gave it its attributes after all): it becomes the twin too, in place
    scorer.addItems!({ data: store.row(oolong), rows: 1, dim: store.dim, attributes: [{ category: 'tea' }], first: n + 2 });
    const [again] = await scorer.score([Int32Array.of(1, 2, 5)]);
    expect(again.length).toBe(n + 3);
    // (log-probabilities: the row's normaliser moved with the replaced item, so compare within the row)
    expect(again[n + 2]).toBeCloseTo(again[oolong], 4);
    expect(again[n + 1]).toBeCloseTo(again[oolong], 4);
    scorer.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
