import type { BuildContext, BuildStep } from '../bundle/build.js';
import type { ItemVectorsEntry, Manifest, ModelEntry, MsrEntry } from '../bundle/manifest.js';
import { bundleFileBytes } from '../bundle/write.js';
import { resolveConfig } from '../config.js';
import type { LeaveOneOutSplit } from '../data/types.js';
import { MolarError } from '../errors.js';
import { ItemVectorStore } from '../items/store.js';
import { msrArchitecture, type MsrConfig, type MsrTrainConfig } from '../models/msr/config.js';
import { createScorer, pickModel } from '../score/registry.js';
import { useNodeBackend } from './backend-node.js';
import { trainMsr, type FirstStageFit, type TrainMsrResult } from './msr.js';

export const MSR_FILE = 'msr.bin';

export interface MsrStepOptions {
  config?: Partial<MsrConfig>;
  train?: Partial<MsrTrainConfig>;
  minutes?: number;
  /** the history-kept protocol (as sasrecStep's keepSeen) */
  keepSeen?: boolean;
  validUsers?: number;
  progress?: boolean;
}

/** What training stages 2 + 3 needs from a bundle in the making or on disk. */
export interface MsrSource {
  split: LeaveOneOutSplit;
  sequences: Int32Array[];
  /** numItems and the model entries so far (the first stage is the best scorer among them) */
  manifest: Pick<Manifest, 'numItems' | 'models' | 'served'>;
  readFile(name: string): Promise<ArrayBuffer>;
}

/**
 * Trains the re-ranker over the best first stage `src` holds (what the Recommender would serve),
 * on the item vectors the page reads (int8, dequantised). Returns the entry and the weight bytes.
 */
export async function trainMsrOver(src: MsrSource, o: MsrStepOptions): Promise<{ r: TrainMsrResult; entry: MsrEntry; bytes: Uint8Array }> {
  await useNodeBackend();
  const v = src.manifest.models.find((m): m is ItemVectorsEntry => m.kind === 'item-vectors');
  if (!v) throw new MolarError('BAD_INPUT', 'the re-ranker reads item vectors: build with --encode <encoder id>', { field: 'encode' });
  const first = pickModel(src.manifest);
  const scorer = await createScorer({ manifest: src.manifest as Manifest, entry: first, readFile: src.readFile, config: resolveConfig() });
  try {
    const store = ItemVectorStore.fromArrayBuffer(await src.readFile(v.files[0]), v.files[0]);
    const r = await trainMsr({
      split: src.split,
      sequences: src.sequences,
      numItems: src.manifest.numItems,
      vectors: store.dequantize().data,
      itemDim: store.dim,
      firstStage: scorer,
      config: o.config,
      train: o.train,
      filterSeen: !o.keepSeen,
      validUsers: o.validUsers,
      rerankDepth: resolveConfig().score.rerankDepth,
      timeBudgetMs: o.minutes !== undefined ? o.minutes * 60_000 : undefined,
      progress: o.progress ?? true,
    });
    const entry: MsrEntry = {
      kind: 'msr',
      files: [MSR_FILE, v.files[0]],
      config: msrArchitecture(r.config),
      weights: r.weights.specs.map((s) => ({ ...s, shape: [...s.shape] })),
      parts: { weights: MSR_FILE, vectors: v.files[0] },
      firstStage: first.kind,
      weight: r.weight,
      trainedWith: {
        epochs: r.bestEpoch,
        ...(r.bestValid ? { valid: r.bestValid } : {}),
        weights: r.valid as unknown as Record<string, Record<string, number>>,
        negatives: r.train.negatives,
        hardShare: r.train.hardShare,
        rerankExamples: r.train.rerankExamples,
        ...(r.train.rerankExamples === 'valid-fold' ? { rerankFold: r.train.rerankFold } : {}),
        validUsers: r.validUsers,
        weightsHeldOut: r.validHeldOut as unknown as Record<string, Record<string, number>>,
        firstStageFit: r.firstStageFit as unknown as Record<string, Record<string, number>>,
      },
    };
    return { r, entry, bytes: new Uint8Array(r.weights.data.buffer, r.weights.data.byteOffset, r.weights.data.byteLength) };
  } finally {
    scorer.dispose();
  }
}

/** One line of what was trained, for the build log and `molar train`. */
export function msrSummary(r: TrainMsrResult, first: string): string {
  const byWeight = (v: TrainMsrResult['valid']) =>
    Object.entries(v)
      .sort((a, b) => Number(a[0]) - Number(b[0]))
      .map(([w, m]) => `${w}: ndcg@5 ${m['ndcg@5'].toFixed(4)} ndcg@10 ${m['ndcg@10'].toFixed(4)}`)
      .join(', ');
  const fit = (f: FirstStageFit) => `NDCG@10 ${f['ndcg@10'].toFixed(4)}, mean rank ${f.meanRank.toFixed(0)}`;
  const { examples, heldOut } = r.firstStageFit;
  return (
    `msr over ${first}: ${r.history.length} epochs (best ${r.bestEpoch}, stage-2 valid NDCG@10 ${r.bestValid?.['ndcg@10']?.toFixed(4) ?? '-'}), weight ${r.weight} (valid, ${r.validUsers.chosen} users: ${byWeight(r.valid)}); ` +
    `stage 3 on ${r.train.rerankExamples} (${examples.users} examples; the first stage on them ${fit(examples)}, on the ${heldOut.users} held-out users' valid ${fit(heldOut)}; held-out valid: ${byWeight(r.validHeldOut)}), first stage ${(r.firstStageMs / 1000).toFixed(0)} s, ${(r.wallMs / 60_000).toFixed(1)} min`
  );
}

/**
 * Build step `msr` (`molar build --rerank`): stages 2 + 3 over the model the build serves (after
 * `choose`; the highest-priority one without it), with the item vectors of `--encode`. Without item vectors
 * it says so and adds nothing.
 */
export function msrStep(o: MsrStepOptions = {}): BuildStep {
  return {
    name: 'msr',
    // after choose: it re-ranks the model the bundle serves
    afterIfPresent: ['item-vectors', 'popularity+cooccurrence', 'sasrec', 'molar', 'item-tags', 'choose'],
    trains: true,
    async run(ctx: BuildContext) {
      if (!ctx.models.some((m) => m.kind === 'item-vectors')) return ctx.log('msr: no item vectors (--encode), so no re-ranker');
      const src: MsrSource = { split: ctx.split, sequences: ctx.dataset.sequences, manifest: { numItems: ctx.dataset.numItems, models: ctx.models as ModelEntry[], served: ctx.served }, readFile: (name) => bundleFileBytes(ctx.files, name) };
      const { r, entry, bytes } = await trainMsrOver(src, { ...o, minutes: o.minutes ?? ctx.trainMinutes });
      ctx.files.set(MSR_FILE, { data: bytes });
      ctx.models.push(entry);
      ctx.log(msrSummary(r, entry.firstStage));
    },
  };
}
