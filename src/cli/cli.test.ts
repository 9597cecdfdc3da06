import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ItemRecord, ItemVectorsEntry, Manifest, MolarEntry, MsrEntry } from '../bundle/manifest.js';
import { loadTransformersTextEncoder } from '../encoders/hf.js';
import { ItemVectorStore } from '../items/store.js';
import { molar, repo } from './fixtures/run-molar.js';
import { DEFAULT_MIX_GRID } from '../train/molar.js';

const shop = path.join(__dirname, 'fixtures/shop');

describe('molar CLI on the fixture shop', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'molar-cli-'));
  const out = path.join(dir, 'bundle');

  it('prints help for every command', async () => {
    for (const args of [['--help'], ['build', '--help'], ['eval', '--help']]) {
      const r = await molar(args);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: molar');
      if (args[0] === 'build') for (const flag of ['--encode <encoderId>', '--model-dir <dir>', '--dtype <dtype>', '--device <device>', '--allow-remote-models']) expect(r.stdout).toContain(flag);
    }
  });

  it('builds a bundle end to end, then evaluates it', async () => {
    const b = await molar(['build', '--catalog', path.join(shop, 'catalog.csv'), '--interactions', path.join(shop, 'interactions.csv'), '--out', out, '--name', 'shop', '--no-train']); // SASRec's build step has its own test
    expect(b.stderr).not.toContain('error');
    expect(b.code).toBe(0);
    expect(b.stdout).toContain('10 items, 8 users, 30 interactions');
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.models.map((x) => x.kind)).toEqual(['popularity', 'cooccurrence']);
    expect(Object.keys(m.files).sort()).toEqual(['cooccurrence.bin', 'images/1.png', 'items.json', 'popularity.bin']);
    const items = JSON.parse(readFileSync(path.join(out, 'items.json'), 'utf8'));
    expect(items[0]).toMatchObject({ id: 'tea-green', title: 'Green Tea', image: 'images/1.png', price: 6.5 });
    // an image on another origin is left out by default (--allow-remote-images keeps it), with a warning naming the item
    expect(items[6].image).toBeUndefined();
    expect(b.stderr).toMatch(/warning: items: item "pot-iron": image "https:\/\/example.com\/pot-iron.jpg" left out, it is an absolute URL on another origin/);
    expect(items[2].text).toBe('Oolong Tea. Roasted, floral oolong. category: tea');
    // the build chose what to serve on validation, printed the report and wrote it beside the bundle, not in it
    expect(m.served?.kind).toBe('cooccurrence');
    expect(b.stdout).toMatch(/build report: shop \(8 users, 10 items, 30 interactions/);
    expect(b.stdout).toMatch(/^cooccurrence +\d\.\d{4} +\d\.\d{4} +\d\.\d{4} +\d\.\d{4} +0\.0  ← served$/m);
    const built = JSON.parse(readFileSync(`${out}.report.json`, 'utf8'));
    expect(built.served.kind).toBe('cooccurrence');
    expect(built.candidates.map((c: { model: string }) => c.model)).toEqual(['popularity', 'cooccurrence']);
    expect(built.candidates[1].test['ndcg@10']).toBeGreaterThan(0);
    expect(existsSync(path.join(out, 'report.json'))).toBe(false);

    const json = path.join(dir, 'eval.json');
    const e = await molar(['eval', '--bundle', out, '--interactions', path.join(shop, 'interactions.csv'), '--json', json]);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/model\s+cooccurrence/);
    expect(e.stdout).toMatch(/filterSeen\s+true/);
    const report = JSON.parse(readFileSync(json, 'utf8'));
    expect(report).toMatchObject({ model: 'cooccurrence', split: 'test', filterSeen: true, users: 8, ks: [10, 20] });
    // 10 items, seen ones removed: every remaining target is in the top 10
    expect(report.metrics['recall@10']).toBe(1);
    expect(report.metrics['ndcg@10']).toBeGreaterThan(0);
    expect(report.metrics['ndcg@10']).toBeLessThanOrEqual(1);

    const kept = await molar(['eval', '--bundle', out, '--interactions', path.join(shop, 'interactions.csv'), '--keep-seen', '--model', 'popularity', '--split', 'valid']);
    expect(kept.code).toBe(0);
    expect(kept.stdout).toMatch(/filterSeen\s+false/);
    expect(kept.stdout).toMatch(/model\s+popularity/);
  });

  it('trains SASRec into the bundle with --keep-seen, --dropout and --weight-average, and names a bad --dropout or decay', async () => {
    const data = ['--bundle', out, '--interactions', path.join(shop, 'interactions.csv'), '--epochs', '2', '--workers', '1', '--batch-size', '4'];
    const bad = await molar(['train', ...data, '--dropout', '1.5']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/dropout/);
    const badDecay = await molar(['train', ...data, '--weight-average', '1']);
    expect(badDecay.code).not.toBe(0);
    expect(badDecay.stderr).toMatch(/--weight-average.*\(0, 1\)|\(0, 1\).*--weight-average/s);
    const t = await molar(['train', ...data, '--keep-seen', '--dropout', '0.1', '--weight-average', '0.9', '--warmup-steps', '2']);
    expect(t.stderr).not.toMatch(/error/i);
    expect(t.code).toBe(0);
    // the data-adaptive defaults (a 10-item catalog: full softmax) are printed, a given flag marked so
    expect(t.stdout).toMatch(/trained sasrec \(ce\) on wasm: 2 epochs/);
    expect(t.stderr).toMatch(/loss ce: full softmax/);
    expect(t.stderr).toMatch(/dropout 0\.1 \(given; data suggests 0\.5\)/);
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    const sasrec = m.models.find((x) => x.kind === 'sasrec') as { config: { dropout: number; repeatBias: boolean } } | undefined;
    expect(sasrec?.config.dropout).toBe(0.1);
    expect(sasrec?.config.repeatBias).toBe(true); // --keep-seen learns how much seen items are worth
  }, 120_000);

  it('imports a SASRec trained elsewhere with --from-checkpoint (entry.json + sasrec.bin), refusing training flags beside it', async () => {
    // the folder form bench/torch_reference.py's export writes, here from the SASRec trained above, scaled so the import is visible
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    const trained = m.models.find((x) => x.kind === 'sasrec')!;
    const buf = readFileSync(path.join(out, 'sasrec.bin'));
    const weights = new Float32Array(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength)).map((x) => x * 0.5);
    const ckpt = path.join(dir, 'checkpoint');
    mkdirSync(ckpt, { recursive: true });
    writeFileSync(path.join(ckpt, 'entry.json'), JSON.stringify({ ...trained, trainedWith: { loss: 'sampled-ce', epochs: 7 } }));
    writeFileSync(path.join(ckpt, 'sasrec.bin'), new Uint8Array(weights.buffer));
    const data = ['--bundle', out, '--interactions', path.join(shop, 'interactions.csv'), '--from-checkpoint', ckpt];
    const bad = await molar(['train', ...data, '--dropout', '0.3']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/dropout.*--from-checkpoint imports weights trained elsewhere|--from-checkpoint imports weights trained elsewhere.*dropout/s);
    const r = await molar(['train', ...data, '--keep-seen']);
    expect(r.stderr).not.toMatch(/error/i);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`imported sasrec`);
    const after = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(after.models.find((x) => x.kind === 'sasrec')).toMatchObject({ trainedWith: { epochs: 7 } });
    const got = readFileSync(path.join(out, 'sasrec.bin'));
    expect(Buffer.compare(got, Buffer.from(weights.buffer))).toBe(0);
  }, 120_000);

  it('fails on bad input with file, line and field, and creates no --out', async () => {
    const bad = path.join(dir, 'bad-out');
    const r = await molar(['build', '--catalog', path.join(shop, 'catalog.csv'), '--interactions', path.join(shop, 'bad-interactions.csv'), '--out', bad]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('bad-interactions.csv, line 3, field "timestamp": expected a number');
    expect(existsSync(bad)).toBe(false);
    expect(readdirSync(dir).filter((n) => n.startsWith('bad-out'))).toEqual([]);
  });

  it('refuses to evaluate a bundle fitted on all data', async () => {
    const all = path.join(dir, 'all');
    const b = await molar(['build', '--interactions', path.join(shop, 'interactions.csv'), '--out', all, '--all-data']);
    expect(b.code).toBe(0);
    const e = await molar(['eval', '--bundle', all, '--interactions', path.join(shop, 'interactions.csv')]);
    expect(e.code).not.toBe(0);
    expect(e.stderr).toContain('all data');
  });
});

describe('molar build --encode hf-text (transformers.js) on the tiny ONNX fixtures', () => {
  // cwd is a fresh folder, so the vector cache (.cache/encoders under cwd) starts empty and the
  // first build really encodes; --model-dir is given relative to it, as a shop would type it
  const cwd = mkdtempSync(path.join(tmpdir(), 'molar-cli-hf-'));
  const tinyHf = path.join(repo, 'e2e/fixtures/tiny-hf');
  const modelDir = path.relative(cwd, tinyHf);
  // each CLI run starts tsx, tfjs and onnxruntime-node: ~20 s on a loaded machine
  const CLI_TIMEOUT = 120_000;
  const data = ['--catalog', path.join(shop, 'catalog.csv'), '--interactions', path.join(shop, 'interactions.csv'), '--no-train', '--no-images'];
  afterAll(() => rmSync(cwd, { recursive: true, force: true }));

  function bundle(out: string): { entry: ItemVectorsEntry; store: ItemVectorStore; texts: string[] } {
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    const entry = m.models.find((x): x is ItemVectorsEntry => x.kind === 'item-vectors')!;
    const bin = readFileSync(path.join(out, entry.files[0]));
    const store = ItemVectorStore.fromArrayBuffer(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
    const items = JSON.parse(readFileSync(path.join(out, 'items.json'), 'utf8')) as ItemRecord[];
    return { entry, store, texts: items.map((it) => it.text ?? '') };
  }

  /** Row i+1 of the store against row i of the provider's own vectors, within the int8 rounding (half a step). */
  async function expectProviderRows(store: ItemVectorStore, texts: string[], dtype: 'fp32' | 'q8') {
    const enc = await loadTransformersTextEncoder('tiny-bert', { localModelPath: tinyHf, dtype });
    const ref = await enc.encodeText(texts);
    enc.dispose();
    expect(store.rows).toBe(texts.length + 1);
    texts.forEach((_, i) => {
      const got = store.row(i + 1);
      const want = ref.data.subarray(i * ref.dim, (i + 1) * ref.dim);
      const err = Math.max(...Array.from(got, (x, j) => Math.abs(x - want[j])));
      expect(err, `item ${i + 1}`).toBeLessThanOrEqual(store.scales[i + 1] / 2 + 1e-6);
    });
    return ref;
  }

  it('encodes the catalog with the model from --model-dir: rows match the provider, the entry records the dtype', async () => {
    const out = path.join(cwd, 'fp32');
    const r = await molar(['build', ...data, '--out', out, '--encode', 'hf-text:tiny-bert', '--model-dir', modelDir], cwd);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('0 of 10 items cached, encoding 10 with hf-text:tiny-bert');
    const { entry, store, texts } = bundle(out);
    expect(entry.encoder).toEqual({ id: 'hf-text:tiny-bert', dim: 32, modality: 'text', hf: { dtype: 'fp32' } });
    expect(store.dim).toBe(32);
    expect(texts[2]).toBe('Oolong Tea. Roasted, floral oolong. category: tea');
    const ref = await expectProviderRows(store, texts, 'fp32');
    // not all one vector: the rows carry the texts
    expect(Math.max(...Array.from(ref.data.subarray(0, 32), (x, j) => Math.abs(x - ref.data[32 + j])))).toBeGreaterThan(0.05);

    // the same build again is served from the cache, byte for byte
    const again = path.join(cwd, 'fp32-again');
    const r2 = await molar(['build', ...data, '--out', again, '--encode', 'hf-text:tiny-bert', '--model-dir', modelDir], cwd);
    expect(r2.code).toBe(0);
    expect(r2.stderr).toContain('10 of 10 items cached, encoding 0');
    expect(readFileSync(path.join(again, 'item_vectors.bin')).equals(readFileSync(path.join(out, 'item_vectors.bin')))).toBe(true);
  }, CLI_TIMEOUT * 2);

  it('--dtype q8 loads the int8 weights, misses the fp32 cache and is recorded in the bundle', async () => {
    const out = path.join(cwd, 'q8');
    const r = await molar(['build', ...data, '--out', out, '--encode', 'hf-text:tiny-bert', '--model-dir', modelDir, '--dtype', 'q8'], cwd);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('0 of 10 items cached'); // fp32 vectors from the test above must not be reused
    const { entry, store, texts } = bundle(out);
    expect(entry.encoder.hf).toEqual({ dtype: 'q8' });
    await expectProviderRows(store, texts, 'q8');
  }, CLI_TIMEOUT);

  it('with training on, --encode also trains Molar: a molar entry aligned to the sasrec one, served first and evaluable', async () => {
    const out = path.join(cwd, 'molar');
    const train = data.filter((f) => f !== '--no-train');
    const r = await molar(['build', ...train, '--out', out, '--encode', 'hf-text:tiny-bert', '--model-dir', modelDir, '--rerank'], cwd);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/molar: \d+ epochs .* mix content [\d.]+/);
    // no --minutes: the default 10-minute budget, so SASRec's rate decays over it
    expect(r.stderr).toMatch(/lrSchedule cosine-time: decays to 0 as the budget is spent/);
    expect(r.stdout).toMatch(/^molar +\d\.\d{4}/m); // a candidate in the build report
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    const entry = m.models.find((x): x is MolarEntry => x.kind === 'molar')!;
    expect(entry.parts.vectors).toBe('item_vectors.bin');
    expect(entry.config).toMatchObject({ numItems: 10, textDim: 32, imageDim: 0 });
    expect(entry.mix.idModel).toBe('sasrec');
    expect(Object.keys(entry.trainedWith!.mixValid!).length).toBe(DEFAULT_MIX_GRID.length);
    expect(entry.attributes).toContain('category=tea'); // the fixture's category column, as attribute tokens
    // --rerank: MLLM-MSR's re-ranker, trained over the model the build chose to serve
    const msr = m.models.find((x): x is MsrEntry => x.kind === 'msr')!;
    expect(msr.firstStage).toBe(m.served!.kind);
    expect(r.stderr).toMatch(new RegExp(`msr over ${m.served!.kind}: \\d+ epochs`));
    const e = await molar(['eval', '--bundle', out, '--interactions', path.join(shop, 'interactions.csv'), '--model', 'molar'], cwd);
    expect(e.code).toBe(0);
    expect(e.stdout).toMatch(/model\s+molar/);
    expect(e.stdout).toMatch(/NDCG@10\s+0\.\d{4}/);
  }, CLI_TIMEOUT * 2);

  it('molar train --model molar trains the content model into a bundle with item vectors (content only without a sasrec), and refuses SASRec-only flags', async () => {
    const out = path.join(cwd, 'molar-train');
    expect((await molar(['build', ...data, '--out', out, '--encode', 'hf-text:tiny-bert', '--model-dir', modelDir], cwd)).code).toBe(0);
    const inter = ['--interactions', path.join(shop, 'interactions.csv')];
    const bad = await molar(['train', '--bundle', out, ...inter, '--model', 'molar', '--loss', 'ce'], cwd);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('loss configure SASRec only');
    const r = await molar(['train', '--bundle', out, ...inter, '--model', 'molar', '--epochs', '3', '--align-weight', '0.3'], cwd);
    expect(r.stderr).not.toContain('error');
    expect(r.stdout).toContain('trained molar on 3 epochs');
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    const entry = m.models.find((x): x is MolarEntry => x.kind === 'molar')!;
    expect(entry.mix).toEqual({ content: 1 }); // no ID model to mix with
    expect(entry.files).not.toContain('sasrec.bin');
    // retraining re-runs the choice among the new models, and eval serves what it chose
    expect(m.served?.candidates.molar?.['ndcg@10']).toBeGreaterThanOrEqual(0);
    expect(r.stdout).toContain(`served: ${m.served!.kind}:`);
    const e = await molar(['eval', '--bundle', out, ...inter], cwd);
    expect(e.stdout).toMatch(new RegExp(`model\\s+${m.served!.kind}\\n`));
    const own = await molar(['eval', '--bundle', out, ...inter, '--model', 'molar'], cwd);
    expect(own.stdout).toMatch(/model\s+molar/);
  }, CLI_TIMEOUT * 2);

  it('a wrong --model-dir stops the build naming the folder, and writes no --out', async () => {
    const out = path.join(cwd, 'wrong');
    const missing = path.join(cwd, 'no-such-models');
    const a = await molar(['build', ...data, '--out', out, '--encode', 'hf-text:tiny-bert', '--model-dir', missing], cwd);
    expect(a.code).not.toBe(0);
    expect(a.stderr).toContain(`molar: error [BAD_INPUT]: ${missing}, field "--model-dir": expected an existing folder`);
    // a folder that exists but does not hold the model: the folder looked in, and what it holds
    const b = await molar(['build', ...data, '--out', out, '--encode', 'hf-text:tiny-bert', '--model-dir', shop], cwd);
    expect(b.code).not.toBe(0);
    expect(b.stderr).toContain(`${path.join(shop, 'tiny-bert')}, field "--model-dir": hf-text:tiny-bert loads its model from this folder, which does not exist`);
    expect(b.stderr).toContain('holds the folders images');
    // no --model-dir at all: transformers.js would look inside node_modules, so it is asked for
    const c = await molar(['build', ...data, '--out', out, '--encode', 'hf-text:tiny-bert'], cwd);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toContain('field "--model-dir": hf-text:tiny-bert needs --model-dir <dir> holding tiny-bert/');
    expect(existsSync(out)).toBe(false);
  }, CLI_TIMEOUT);

  it('refuses an unknown --dtype or --device, and encoder flags that would be ignored, naming the flag', async () => {
    const out = path.join(cwd, 'refused');
    const hf = ['--encode', 'hf-text:tiny-bert', '--model-dir', modelDir];
    const cases: [string[], string][] = [
      [[...hf, '--dtype', 'int3'], 'field "--dtype": expected one of fp32, fp16, q8, q4, got "int3"'],
      [[...hf, '--device', 'wasm'], 'field "--device": expected one of cpu, webgpu, got "wasm"'],
      [['--encode', 'use-lite', '--dtype', 'q8'], 'field "--dtype": applies to hf-text:<model> / hf-image:<model> encoders only, and --encode use-lite has none'],
      [['--dtype', 'q8'], 'field "--dtype": only applies with --encode <encoderId>, which is not given'],
    ];
    for (const [args, message] of cases) {
      const r = await molar(['build', ...data, '--out', out, ...args], cwd);
      expect(r.code, args.join(' ')).not.toBe(0);
      expect(r.stderr).toContain(`molar: error [BAD_INPUT]: ${message}`);
    }
    expect(existsSync(out)).toBe(false);
  }, CLI_TIMEOUT);
});
