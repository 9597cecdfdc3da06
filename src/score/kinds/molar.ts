import type { MolarEntry, SasrecEntry } from '../../bundle/manifest.js';
import { checkFinite } from '../../bundle/validate.js';
import { MolarError } from '../../errors.js';
import { readItemVectors } from '../../bundle/item-vectors.js';
import { ContentModel } from '../../models/content/model.js';
import { attributeTokens, deserializeAttributes, encodeAttributes } from '../../models/fusion/attributes.js';
import { featuresFromStore, featuresFromVectors } from '../../models/fusion/features.js';
import { mixScores } from '../mix.js';
import { sequentialScorer, type Scorer, type ScorerSpec } from '../scorer.js';
import { SASREC_SCORER } from './sasrec.js';

/**
 * Molar from a bundle entry: the content model over the bundle's item vectors (fused once, on the
 * active backend), and the bundle's SASRec as the ID side, mixed as log-probabilities with the
 * weight chosen on validation. Added items go to the content model (`addItems`), which scores them
 * natively; the ID side never sees them, so they are ranked by content (score/mix.ts).
 */
export const MOLAR_SCORER: ScorerSpec<MolarEntry> = {
  priority: 200,
  async create(ctx) {
    const { manifest, entry, readFile } = ctx;
    const n = manifest.numItems;
    const textDim = Number(entry.config.textDim);
    const imageDim = Number(entry.config.imageDim);
    // the page's one parse of the file, which cold start and the re-ranker read too
    const store = await readItemVectors(readFile, entry.parts.vectors);
    if (store.numItems !== n || store.dim !== textDim + imageDim) {
      throw new MolarError('BUNDLE_INVALID', `item vectors hold ${store.numItems} x ${store.dim}, the molar model reads ${n} x ${textDim + imageDim}`, { file: entry.parts.vectors });
    }
    const attrs = entry.parts.attributes ? deserializeAttributes(await readFile(entry.parts.attributes), n + 1, entry.attributes?.length ?? 0, entry.parts.attributes) : undefined;
    const features = featuresFromStore(store, { textDim, imageDim }, attrs);
    const blob = await readFile(entry.parts.weights);
    checkFinite(new Float32Array(blob, 0, blob.byteLength >> 2), entry.parts.weights, 'the weight blob');
    const content = ContentModel.fromSaved(entry, blob, features, entry.parts.weights);
    let id: Scorer | undefined;
    try {
      content.freeze();
      const w = entry.mix.content;
      if (w < 1) {
        const sasrec = manifest.models.find((m): m is SasrecEntry => m.kind === (entry.mix.idModel ?? 'sasrec'));
        if (!sasrec) throw new MolarError('BUNDLE_INVALID', `the molar model mixes with a ${entry.mix.idModel ?? 'sasrec'} model, which the bundle does not hold`, { field: 'mix.idModel' });
        id = await SASREC_SCORER.create({ ...ctx, entry: sasrec });
      }
    } catch (e) {
      content.dispose();
      throw e;
    }
    const own = sequentialScorer(content, { owns: true });
    return {
      async score(histories) {
        // both models at once: on a GPU backend one's read-back overlaps the other's kernels
        // (the ID model knows catalog ids only: added items leave its history)
        const [c, d] = await Promise.all([own.score(histories), id?.score(histories.map((h) => h.filter((i) => i <= n)))]);
        if (!d) return c.map((row) => mixScores(row, undefined, 1));
        return c.map((row, i) => mixScores(row, d[i], entry.mix.content));
      },
      addItems(v) {
        // the head reads attributes as the catalog's were read: the same key=value tokens, the bundle's vocabulary
        // (a value the catalog never had adds nothing, as a rare one did not in training)
        const table = entry.attributes && v.attributes ? encodeAttributes(v.attributes.map(attributeTokens), entry.attributes) : undefined;
        const attrs = table ? { ptr: table.ptr.subarray(1), ids: table.ids, count: entry.attributes!.length } : undefined;
        content.addItems(featuresFromVectors(v.data, v.rows, { textDim, imageDim }, attrs), v.first);
      },
      dispose() {
        own.dispose();
        id?.dispose();
      },
    };
  },
};
