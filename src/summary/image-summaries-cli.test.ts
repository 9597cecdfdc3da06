import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ImageSummariesEntry, Manifest } from '../bundle/manifest.js';
import { molar, repo } from '../cli/fixtures/run-molar.js';
import { IMAGE_SUMMARIES_FILE, parseImageSummaries } from './image-summaries.js';

/** `molar build --image-summaries` as a shop runs it: the fixture shop, captioned by the fixture model. */
const shop = path.join(repo, 'src/cli/fixtures/shop');
const models = path.join(repo, 'e2e/fixtures/tiny-gen');
const data = ['--catalog', path.join(shop, 'catalog.csv'), '--interactions', path.join(shop, 'interactions.csv'), '--no-train'];

describe('molar build --image-summaries', () => {
  it('writes summary_images.json beside items.json: a text for the one local image, empty for the rest', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'molar-cli-caption-'));
    const out = path.join(dir, 'b');
    const r = await molar(['build', ...data, '--out', out, '--image-summaries', 'tiny-captioner', '--model-dir', models], dir);
    expect(r.stderr).not.toContain('error');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('image-summaries: 1 images, 0 cached, captioning 1 with tiny-captioner');
    const m = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')) as Manifest;
    expect(m.models.find((e) => e.kind === 'image-summaries')).toMatchObject({ provider: 'hf-caption:tiny-captioner', files: [IMAGE_SUMMARIES_FILE] } satisfies Partial<ImageSummariesEntry>);
    const texts = parseImageSummaries(Uint8Array.from(readFileSync(path.join(out, IMAGE_SUMMARIES_FILE))).buffer, m.numItems);
    expect(texts.filter((t) => t !== '').length).toBe(1);
    // a path to the model folder works as well, and the cache (in the working folder) answers
    const again = await molar(['build', ...data, '--out', path.join(dir, 'c'), '--image-summaries', path.join(models, 'tiny-captioner')], dir);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain('1 cached, captioning 0');
  });

  it('names the flag when the model cannot be found, before reading any data', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'molar-cli-caption-'));
    const none = await molar(['build', ...data, '--out', path.join(dir, 'b'), '--image-summaries', 'tiny-captioner'], dir);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/error \[BAD_INPUT\]: field "--image-summaries": tiny-captioner needs --model-dir/);
    const wrong = await molar(['build', ...data, '--out', path.join(dir, 'b'), '--image-summaries', 'no-such', '--model-dir', models], dir);
    expect(wrong.stderr).toMatch(/no-such, field "--image-summaries": expected a model folder .* holds the folders tiny-captioner, tiny-gpt2/);
  });
});
