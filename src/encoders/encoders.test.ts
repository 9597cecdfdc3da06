import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import jpeg from 'jpeg-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { ItemVectorStore } from '../items/store.js';
import { encodeStep, FLOAT_ITEM_VECTORS } from './build-step-node.js';
import { itemText } from './item-encoder.js';
import { cosine, getRow, rowCosines } from './matrix.js';
import { exportBuiltinEncoders, loadNodeItemEncoder, useNodeBackend } from './node.js';
import { weightBytes } from './sources.js';
import type { EncodeProgress, Matrix } from './types.js';

const LOAD_TIMEOUT = 60_000;

function solidJpeg(r: number, g: number, b: number, w = 40, h = 60): Uint8Array {
  const data = Buffer.alloc(w * h * 4);
  for (let i = 0; i < w * h; i++) data.set([r, g, (b + (i % w)) % 256, 255], i * 4);
  return new Uint8Array(jpeg.encode({ data, width: w, height: h }, 90).data);
}

describe('built-in encoders (wasm backend)', () => {
  let tmp: string;
  beforeAll(async () => {
    await useNodeBackend('wasm');
    tmp = await mkdtemp(path.join(os.tmpdir(), 'molar-enc-'));
  });
  afterAll(() => rm(tmp, { recursive: true, force: true }));

  it('item text joins title, description and attributes', () => {
    expect(itemText({ title: 'Heat (1995)', description: ' ', attributes: { genres: 'Action|Crime' } })).toBe('Heat (1995). genres: Action, Crime');
  });

  it('fuses USE-lite and MobileNetV2: L2-normalised halves, zero image half + warning for a bad image, no tensor leak', async () => {
    const events: EncodeProgress[] = [];
    const enc = await loadNodeItemEncoder('use-lite+mobilenetv2', { onProgress: (e) => events.push(e) });
    expect(enc.id).toBe('use-lite+mobilenetv2');
    expect(enc.dim).toBe(512 + 1280);
    expect(events.filter((e) => e.status === 'ready').length).toBe(2);
    const items = [
      { id: 'a', title: 'Toy Story (1995)', attributes: { genres: 'Animation|Children' }, image: solidJpeg(250, 10, 10) },
      { id: 'b', title: 'Toy Story 2 (1999)', attributes: { genres: 'Animation|Children' }, image: solidJpeg(240, 20, 10) },
      { id: 'c', title: 'Schindler\'s List (1993)', attributes: { genres: 'Drama|War' }, image: new Uint8Array([1, 2, 3]) },
      { id: 'd', title: '', image: undefined },
    ];
    const warnings: string[] = [];
    const before = tf.memory().numTensors;
    const m = await enc.encodeItems(items, { batchSize: 2, onWarning: (id, r) => warnings.push(`${id}: ${r}`) });
    expect(tf.memory().numTensors).toBe(before);
    expect([m.rows, m.dim]).toEqual([4, 1792]);
    const text = (r: number) => getRow(m, r).subarray(0, 512);
    const image = (r: number) => getRow(m, r).subarray(512);
    const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    expect(norm(text(0))).toBeCloseTo(1, 4);
    expect(norm(image(0))).toBeCloseTo(1, 4);
    expect(norm(image(2))).toBe(0);
    expect(norm(image(3))).toBe(0);
    expect(warnings.map((w) => w.split(':')[0]).sort()).toEqual(['c', 'd']);
    // the two Toy Story titles are closer to each other than to Schindler's List
    expect(cosine(text(0), text(1))).toBeGreaterThan(cosine(text(0), text(2)) + 0.1);
    expect(cosine(image(0), image(1))).toBeGreaterThan(0.9);
    enc.dispose();
    enc.dispose(); // twice is safe
    await expect(enc.text!.encodeText(['x'])).rejects.toSatisfy((e: unknown) => isMolarError(e, 'DISPOSED'));
  }, LOAD_TIMEOUT);

  it('MobileNetV2 composites transparency over white: the stored colour of a transparent pixel does not matter', async () => {
    const enc = await loadNodeItemEncoder('mobilenetv2');
    // 32x32, an opaque red square in the middle; the rest transparent (in two colours) or opaque white
    const sticker = (rest: number[]) => {
      const data = new Uint8Array(32 * 32 * 4);
      for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) {
        const inside = x >= 8 && x < 24 && y >= 8 && y < 24;
        data.set(inside ? [220, 30, 30, 255] : rest, (y * 32 + x) * 4);
      }
      return { data, width: 32, height: 32 };
    };
    const m = await enc.image!.encodeImages([sticker([76, 105, 113, 0]), sticker([0, 0, 0, 0]), sticker([255, 255, 255, 255]), sticker([0, 0, 0, 255])]);
    const row = (r: number) => getRow(m, r);
    const maxDiff = (a: Float32Array, b: Float32Array) => a.reduce((d, x, i) => Math.max(d, Math.abs(x - b[i])), 0);
    expect(maxDiff(row(0), row(1))).toBeLessThan(1e-5);
    expect(maxDiff(row(0), row(2))).toBeLessThan(1e-5);
    // and the test can fail: an opaque black background is a different picture
    expect(maxDiff(row(0), row(3))).toBeGreaterThan(1e-2);
    enc.dispose();
  }, LOAD_TIMEOUT);

  it('quantized USE-lite is >= 3.5x smaller with cosine >= 0.99 and loads back through tfjs', async () => {
    const [rep] = await exportBuiltinEncoders(tmp, { quantize: true, encoders: ['use-lite'] });
    expect(rep.float32Bytes / rep.writtenBytes).toBeGreaterThan(3.5);
    expect(weightBytes([{ name: 'w', shape: [2, 3], dtype: 'float32', quantization: { dtype: 'uint8', min: 0, scale: 1 } }])).toBe(6);
    const titles = ['Heat (1995)', 'Jumanji (1995)', 'Sense and Sensibility (1995)', 'GoldenEye (1995)', 'The Usual Suspects (1995)'].map((title, i) => ({ id: String(i), title }));
    const ref = await loadNodeItemEncoder('use-lite');
    const q = await loadNodeItemEncoder('use-lite', { modelDir: tmp });
    const c = rowCosines(await ref.encodeItems(titles), await q.encodeItems(titles));
    ref.dispose();
    q.dispose();
    expect(c.min).toBeGreaterThan(0.99);
    expect(c.min).toBeLessThan(1); // it really is a different (quantized) model
  }, LOAD_TIMEOUT);

  it('build step writes item_vectors.bin + an item-vectors entry, and a re-run hits the cache', async () => {
    const catalog = [
      { id: 'x1', title: 'Green tea', description: 'Loose-leaf sencha' },
      { id: 'x2', title: 'Black tea', attributes: { category: 'tea' } },
    ];
    const ctx = () => {
      const logs: string[] = [];
      const artifacts = new Map<string, unknown>();
      return {
        name: 't', catalog, catalogDir: tmp, dataset: { items: { itemIds: ['x1', 'x2'] } },
        files: new Map(), models: [] as unknown[], put: (key: { name: string }, v: unknown) => artifacts.set(key.name, v),
        log: (s: string) => logs.push(s), progress: () => {}, logs, artifacts,
      };
    };
    const step = encodeStep({ encoder: 'use-lite', cacheDir: path.join(tmp, 'cache') });
    const a = ctx();
    await step.run(a as never);
    expect(a.logs[0]).toMatch(/0 of 2 items cached/);
    const store = ItemVectorStore.fromArrayBuffer((a.files.get('item_vectors.bin').data as Uint8Array).slice().buffer);
    expect([store.rows, store.dim]).toEqual([3, 512]);
    // the floats later steps read: one row per item, which the int8 file holds to within its step
    const floats = a.artifacts.get(FLOAT_ITEM_VECTORS.name) as Matrix;
    expect([floats.rows, floats.dim]).toEqual([2, 512]);
    const row2 = store.row(2);
    expect(Math.max(...row2.map((v, j) => Math.abs(v - floats.data[512 + j])))).toBeLessThanOrEqual(store.scales[2] / 2 + 1e-6);
    expect(a.models[0]).toMatchObject({ kind: 'item-vectors', dim: 512, encoder: { id: 'use-lite', dim: 512, modality: 'text' } });
    const b = ctx();
    catalog[1] = { ...catalog[1], title: 'Oolong tea' };
    await step.run(b as never);
    expect(b.logs[0]).toMatch(/1 of 2 items cached, encoding 1/);
  }, LOAD_TIMEOUT);
});
