import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { buildBundle, type BuildStep } from '../bundle/build.js';
import type { ItemRecord } from '../bundle/manifest.js';
import { buildSequences } from '../data/sequences.js';
import type { CatalogItem } from '../data/types.js';
import { ItemVectorStore } from '../items/store.js';
import { itemsStep } from '../items/build-step-node.js';
import { encodeStep, FLOAT_ITEM_VECTORS, ITEM_VECTORS_FILE } from './build-step-node.js';
import type { Matrix, TextEncoder } from './types.js';

// The encode step, with the model swapped for a spy: what matters here is what the step hands
// the encoder and to later steps, not the model (encoders.test.ts runs the real ones).
const seen = vi.hoisted(() => ({ texts: [] as string[] }));
vi.mock('./node.js', async () => {
  const { ItemEncoder } = await import('./item-encoder.js');
  const spy: TextEncoder = {
    id: 'use-lite',
    dim: 3,
    modality: 'text',
    async encodeText(texts) {
      seen.texts.push(...texts);
      return { data: Float32Array.from(texts.flatMap((t) => [t.length, 1, -2])), rows: texts.length, dim: 3 };
    },
    dispose() {},
  };
  return { useNodeBackend: async () => 'cpu', loadNodeItemEncoder: async () => new ItemEncoder(spy, null) };
});

const catalog: CatalogItem[] = [
  { id: 'mug', title: '  White Mug ', description: ' ', attributes: { colour: '', size: ' L ', glaze: '  ', tags: 'gift|kitchen' } },
  { id: 'tea', title: 'Green Tea', description: 'Loose-leaf sencha', attributes: { category: 'tea' } },
  { id: 'pot' },
];
const dataset = buildSequences(['mug', 'tea', 'pot', 'mug', 'tea'].map((item) => ({ user: 'u', item })), catalog, { name: 'shop' });
const fresh = () => mkdtempSync(path.join(tmpdir(), 'molar-encode-step-'));

describe('the item-vectors build step', () => {
  it("encodes exactly the text items.json holds, also for blank and padded attribute values", async () => {
    seen.texts.length = 0;
    const out = path.join(fresh(), 'b');
    await buildBundle({ out, dataset, catalog, steps: [itemsStep(), encodeStep({ encoder: 'use-lite', cacheDir: path.join(fresh(), 'cache') })] });
    const items = JSON.parse(readFileSync(path.join(out, 'items.json'), 'utf8')) as ItemRecord[];
    expect(items.map((it) => it.text ?? '')).toEqual(seen.texts);
    expect(items[0].text).toBe('White Mug. size: L. tags: gift, kitchen');
  });

  it('runs before a step that needs its float vectors, wherever that step is listed', async () => {
    let floats: Matrix | undefined;
    const fusion: BuildStep = { name: 'fusion', after: ['item-vectors'], async run(ctx) { floats = ctx.get(FLOAT_ITEM_VECTORS); } };
    const out = path.join(fresh(), 'b');
    // listed as `molar build` lists an extraBuildSteps entry: before the --encode step
    await buildBundle({ out, dataset, catalog, steps: [itemsStep(), fusion, encodeStep({ encoder: 'use-lite', cacheDir: path.join(fresh(), 'cache') })] });
    expect([floats?.rows, floats?.dim]).toEqual([3, 3]);
    // the file holds the same vectors, int8-quantised per row: row r of the floats is id r+1
    const store = ItemVectorStore.fromArrayBuffer(Uint8Array.from(readFileSync(path.join(out, ITEM_VECTORS_FILE))).buffer);
    for (let r = 0; r < 3; r++) {
      const row = store.row(r + 1);
      for (let j = 0; j < 3; j++) expect(Math.abs(row[j] - floats!.data[r * 3 + j])).toBeLessThanOrEqual(store.scales[r + 1] / 2 + 1e-6);
    }
  });
});
