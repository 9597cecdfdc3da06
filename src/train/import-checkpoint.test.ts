import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { isMolarError } from '../errors.js';
import { architectureOf } from '../models/sasrec/config.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { useNodeBackend } from './backend-node.js';
import { readSasrecCheckpoint } from './import-checkpoint.js';

beforeAll(async () => {
  await useNodeBackend('wasm');
});

/** A checkpoint folder as bench/torch_reference.py's export writes it, from a model of ours. */
async function checkpoint(numItems: number, edit: (entry: Record<string, unknown>, data: Float32Array) => Float32Array = (_, d) => d) {
  const m = new SasrecModel({ numItems, maxLen: 6, hidden: 8, blocks: 1, heads: 2, seed: 3 });
  const w = await m.getWeights();
  const entry: Record<string, unknown> = { kind: 'sasrec', files: ['sasrec.bin'], config: architectureOf(m.config), weights: m.specs };
  m.dispose();
  const data = edit(entry, w.data);
  const dir = mkdtempSync(path.join(tmpdir(), 'molar-ckpt-'));
  writeFileSync(path.join(dir, 'entry.json'), JSON.stringify(entry));
  writeFileSync(path.join(dir, 'sasrec.bin'), new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
  return { dir, data: w.data };
}

async function refusal(p: Promise<unknown>) {
  try {
    await p;
  } catch (e) {
    expect(isMolarError(e)).toBe(true);
    return e as Error & { field?: string; file?: string };
  }
  throw new Error('expected a MolarError');
}

describe('readSasrecCheckpoint', () => {
  it('reads an exported checkpoint back as a bundle entry with the same weights', async () => {
    const { dir, data } = await checkpoint(30);
    const r = await readSasrecCheckpoint(dir, 30);
    expect(r.entry).toMatchObject({ kind: 'sasrec', files: ['sasrec.bin'], config: { numItems: 30, hidden: 8 }, trainedWith: { epochs: 0 } });
    expect(Array.from(r.data)).toEqual(Array.from(data));
  });

  it("refuses a checkpoint for another catalog, a missing weight and a truncated blob, naming the file", async () => {
    const other = await refusal(readSasrecCheckpoint((await checkpoint(31)).dir, 30));
    expect(other.field).toBe('config.numItems');
    expect(other.message).toContain('trained for 31 items, the bundle has 30');
    const missing = await refusal(readSasrecCheckpoint((await checkpoint(30, (e, d) => ((e.weights = (e.weights as unknown[]).slice(1)), d))).dir, 30));
    expect(missing.message).toMatch(/item_embedding/);
    const short = await refusal(readSasrecCheckpoint((await checkpoint(30, (_, d) => d.subarray(0, d.length - 5))).dir, 30));
    expect(short.file).toMatch(/sasrec\.bin$/);
  });
});
