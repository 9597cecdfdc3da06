import { entryOf, type Manifest, type MsrEntry } from '../bundle/manifest.js';
import { checkFinite } from '../bundle/validate.js';
import { MolarError } from '../errors.js';
import { readItemVectors } from '../bundle/item-vectors.js';
import { resolveMsrConfig, type MsrConfig } from '../models/msr/config.js';
import { MsrModel } from '../models/msr/model.js';
import type { WarningHandler } from '../warnings.js';
import type { TagSource } from './describe.js';
import { SummaryMemory, type SummaryStorage } from './memory.js';
import { MsrReranker } from './rerank.js';
import { deserializeTagTable, LinearTagger } from './tags.js';

/** The bundle's `msr` entry, if it has one. */
export const msrEntryOf = (m: Pick<Manifest, 'models'>): MsrEntry | undefined => m.models.map((e) => entryOf(e, 'msr')).find((e) => e !== undefined);

/**
 * The bundle's stage-3 re-ranker over the model being served, on the active tfjs backend; undefined
 * when the bundle has none, or has one trained over another first stage (its scores would be on
 * another scale: a warning says so).
 */
export async function loadMsrReranker(manifest: Manifest, readFile: (name: string) => Promise<ArrayBuffer>, o: { served: string; weight?: number; warn?: WarningHandler; storage?: SummaryStorage }): Promise<MsrReranker | undefined> {
  const e = msrEntryOf(manifest);
  if (!e) return undefined;
  if (e.firstStage !== o.served) {
    o.warn?.({ code: 'RERANKER_SKIPPED', message: `the bundle's re-ranker was trained over the "${e.firstStage}" model, and "${o.served}" is served: recommending without it` });
    return undefined;
  }
  const config = resolveMsrConfig(e.config as Partial<MsrConfig> & Pick<MsrConfig, 'numItems' | 'itemDim'>, 'BUNDLE_INVALID');
  // the page's one parse of the vectors file (the content model and cold start read it too)
  const [weights, store] = await Promise.all([readFile(e.parts.weights), readItemVectors(readFile, e.parts.vectors)]);
  if (store.dim !== config.itemDim || store.numItems !== manifest.numItems) throw new MolarError('BUNDLE_INVALID', `the re-ranker reads ${config.itemDim}-wide vectors of ${manifest.numItems} items, ${e.parts.vectors} holds ${store.numItems} of ${store.dim}`, { file: e.parts.vectors });
  const w = new Float32Array(weights.slice(0));
  checkFinite(w, e.parts.weights, 're-ranker weights');
  const model = new MsrModel(config, store.dequantize().data);
  try {
    model.setWeights(e.weights, w);
  } catch (err) {
    model.dispose();
    throw err;
  }
  const t = manifest.models.map((m) => entryOf(m, 'item-tags')).find((x) => x !== undefined);
  let tags: TagSource | undefined;
  let tagger: LinearTagger | undefined;
  try {
    if (t) {
      const [tagBytes, taggerBytes] = await Promise.all([readFile(t.parts.tags), readFile(t.parts.tagger)]);
      tags = { vocab: t.vocab, table: deserializeTagTable(tagBytes, manifest.numItems + 1, t.perItem, t.vocab.length, t.parts.tags) };
      tagger = LinearTagger.fromBytes(taggerBytes, t.vocab, t.dim, t.parts.tagger);
    }
  } catch (err) {
    model.dispose();
    throw err;
  }
  // the kept state belongs to these weights over these item vectors: another bundle's is recomputed
  const source = `${manifest.files[e.parts.weights]?.sha256}:${manifest.files[e.parts.vectors]?.sha256}`;
  const memory = o.storage && new SummaryMemory(model, o.storage, source);
  return new MsrReranker(model, o.weight ?? e.weight, tags, tagger, memory);
}
