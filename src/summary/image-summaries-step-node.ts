/**
 * Build step `image-summaries` (`molar build --image-summaries <model id|path>`): stage 1's
 * generative provider over the catalog. Every item with a local image gets the captioner's text
 * (gen-caption.ts), written to its own bundle file (image-summaries.ts). Captioning is the slow
 * part of a build, so each text is cached at `<cacheDir>/<sha256>.txt`, keyed by the model, its
 * folder, dtype and length limit, and the image bytes: a re-run captions only new or changed images.
 */
import { createHash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import type { BuildStep } from '../bundle/build.js';
import type { ImageSummariesEntry } from '../bundle/manifest.js';
import type { HfDevice, HfDtype } from '../config.js';
import { nodeImageDecoder } from '../encoders/image-decode-node.js';
import { CAPTION_DEFAULTS, loadCaptioner } from './gen-caption.js';
import { IMAGE_SUMMARIES_FILE, MAX_SUMMARY_CHARS, serializeImageSummaries } from './image-summaries.js';

export interface ImageSummariesStepOptions {
  /** model id (a folder under modelDir) or a path to the model folder */
  model: string;
  modelDir?: string;
  dtype?: HfDtype;
  device?: HfDevice;
  allowRemoteModels?: boolean;
  maxNewTokens?: number;
  /** default `.cache/image-summaries` under the working directory */
  cacheDir?: string;
}

export function imageSummariesStep(o: ImageSummariesStepOptions): BuildStep {
  return {
    name: 'image-summaries',
    async run(ctx) {
      const dtype = o.dtype ?? 'fp32';
      const maxNewTokens = o.maxNewTokens ?? CAPTION_DEFAULTS.maxNewTokens;
      const cacheDir = path.resolve(o.cacheDir ?? '.cache/image-summaries');
      await fs.mkdir(cacheDir, { recursive: true });
      const byId = new Map(ctx.catalog.map((c) => [c.id, c]));
      // remote images are the page's to fetch, not the build's (as the items step)
      const images = ctx.dataset.items.itemIds.map((id) => {
        const img = byId.get(id)?.image;
        return img && !/^(https?:|data:|blob:)/i.test(img) ? path.resolve(ctx.catalogDir ?? '.', img) : undefined;
      });
      const salt = JSON.stringify({ model: o.model, modelDir: o.modelDir ? path.resolve(o.modelDir) : '', dtype, maxNewTokens });
      const keys = await Promise.all(images.map(async (file) => {
        if (!file) return undefined;
        const bytes = await fs.readFile(file).catch(() => null);
        // an unreadable file is keyed on its path, so it is tried again once it appears
        return createHash('sha256').update(salt).update('\0').update(bytes ?? `missing:${file}`).digest('hex');
      }));
      const texts: (string | undefined)[] = await Promise.all(keys.map((k) => (k ? fs.readFile(path.join(cacheDir, `${k}.txt`), 'utf8').catch(() => undefined) : Promise.resolve(''))));
      const missing = texts.map((t, i) => (t === undefined ? i : -1)).filter((i) => i >= 0);
      ctx.log(`image-summaries: ${images.filter(Boolean).length} images, ${images.filter(Boolean).length - missing.length} cached, captioning ${missing.length} with ${o.model}`);
      if (missing.length) {
        const cap = await loadCaptioner(o.model, nodeImageDecoder, {
          ...(o.modelDir ? { localModelPath: path.resolve(o.modelDir) } : {}),
          dtype, device: o.device, allowRemoteModels: o.allowRemoteModels, maxNewTokens,
        });
        try {
          for (const [n, i] of missing.entries()) {
            const [text] = await cap.summarize([images[i]!], { onWarning: (_, reason) => ctx.log(`warning: item ${JSON.stringify(ctx.dataset.items.itemIds[i])}: ${reason}; no image summary`) });
            texts[i] = text.slice(0, MAX_SUMMARY_CHARS);
            await fs.writeFile(path.join(cacheDir, `${keys[i]}.txt`), texts[i]!);
            ctx.progress(n + 1, missing.length);
          }
        } finally {
          cap.dispose();
        }
      }
      ctx.files.set(IMAGE_SUMMARIES_FILE, { data: serializeImageSummaries(texts as string[]) });
      const entry: ImageSummariesEntry = { kind: 'image-summaries', files: [IMAGE_SUMMARIES_FILE], provider: `hf-caption:${o.model}`, parts: { texts: IMAGE_SUMMARIES_FILE }, hf: { dtype, maxNewTokens } };
      ctx.models.push(entry);
    },
  };
}
