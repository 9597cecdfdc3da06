import type { BuildContext, BuildStep } from '../bundle/build.js';
import type { ItemTagsEntry, ItemVectorsEntry } from '../bundle/manifest.js';
import { FLOAT_ITEM_VECTORS } from '../encoders/build-step-node.js';
import { ItemVectorStore } from '../items/store.js';
import { buildAttributeTable } from '../models/fusion/attributes.js';
import { fitTagger } from './fit-tagger.js';
import { serializeTagTable, TAG_LIMITS, TAGGER_FILE, tagTableOf, TAGS_FILE, topTags } from './tags.js';

/**
 * Build step `item-tags` (stage 1, default provider): fits the linear tagger on the catalog's
 * attributes from the item vectors the page will read (int8, read back), tags every item with it
 * and writes both: the tags file (what the page shows for the bundle's items) and the tagger (what
 * it tags items added with addItems() with). Without item vectors or catalog attributes there is
 * nothing to fit: it says so and adds nothing.
 */
export function itemTagsStep(): BuildStep {
  return {
    name: 'item-tags',
    afterIfPresent: ['item-vectors'],
    async run(ctx: BuildContext) {
      const v = ctx.models.find((m): m is ItemVectorsEntry => m.kind === 'item-vectors');
      if (!v) return ctx.log('item-tags: no item vectors (--encode), so no tags');
      const byId = new Map(ctx.catalog.map((c) => [c.id, c]));
      const table = buildAttributeTable(ctx.dataset.items.itemIds.map((id) => byId.get(id)?.attributes));
      if (table.vocab.length === 0) return ctx.log('item-tags: the catalog has no attribute shared by two items, so no tags');
      const m = ctx.get(FLOAT_ITEM_VECTORS);
      const data = ItemVectorStore.fromItems(m).dequantize().data;
      const fit = fitTagger(data, m.dim, table, table.vocab);
      const rows = ctx.dataset.numItems + 1;
      const perRow = Array.from({ length: rows }, (_, r) => (r === 0 ? [] : topTags(fit.tagger.scores(data.subarray(r * m.dim, (r + 1) * m.dim)), TAG_LIMITS.perItem)));
      ctx.files.set(TAGS_FILE, { data: serializeTagTable(tagTableOf(perRow, TAG_LIMITS.perItem)) });
      ctx.files.set(TAGGER_FILE, { data: fit.tagger.toBytes() });
      const entry: ItemTagsEntry = {
        kind: 'item-tags',
        files: [TAGS_FILE, TAGGER_FILE],
        provider: 'linear-tagger',
        vocab: table.vocab,
        perItem: TAG_LIMITS.perItem,
        dim: m.dim,
        parts: { tags: TAGS_FILE, tagger: TAGGER_FILE },
        fit: { ridge: fit.ridge, heldOut: fit.heldOut, ...(Number.isFinite(fit.heldOutPrecision) ? { heldOutPrecision: fit.heldOutPrecision } : {}) },
      };
      ctx.models.push(entry);
      ctx.log(`item-tags: ${table.vocab.length} attribute values, ridge ${fit.ridge}, best tag right on ${Number.isFinite(fit.heldOutPrecision) ? (100 * fit.heldOutPrecision).toFixed(1) : '-'}% of ${fit.heldOut} held-out items`);
    },
  };
}
