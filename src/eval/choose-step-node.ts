import type { BuildContext, BuildStep } from '../bundle/build.js';
import { BUNDLE_FORMAT, BUNDLE_FORMAT_VERSION, type BlendEntry, type Manifest, type ModelEntry, type ServedChoice } from '../bundle/manifest.js';
import { bundleFileBytes, type BundleFile } from '../bundle/write.js';
import { resolveConfig } from '../config.js';
import type { LeaveOneOutSplit } from '../data/types.js';
import { COUNTS_ON_PREFIXES } from '../models/cooccurrence/build-step.js';
import { blendRow } from '../score/kinds/blend.js';
import { createScorer, scorerKinds } from '../score/registry.js';
import type { Scorer } from '../score/scorer.js';
import { useNodeBackend } from '../train/backend-node.js';
import { chooseServed } from './choose.js';
import { evaluateVariants, type EvalResult } from './evaluate.js';

/** One row of the build report: a candidate's figures on both splits and what it cost to fit. */
export interface ReportCandidate {
  model: string;
  valid: Record<string, number>;
  /** absent when the models were fitted on all data (every test target is training data) */
  test?: Record<string, number>;
  trainMinutes: number;
  served: boolean;
  /** a blend's parts and weights */
  parts?: { kind: string; weight: number }[];
}

/** What `molar build` prints at the end and writes to report.json beside the bundle (never shipped). */
export interface BuildReport {
  bundle: string;
  date: string;
  data: { users: number; items: number; interactions: number; trainedOn: BuildContext['trainedOn'] };
  protocol: { ranking: 'full'; filterSeen: boolean; validUsers: number; testUsers?: number };
  served: { kind: string; reason: string };
  candidates: ReportCandidate[];
  /** why test figures are missing, when they are */
  testNote?: string;
}

export interface ChooseStepOptions {
  /** receives the report once the choice is made (the CLI prints and writes it) */
  onReport?(report: BuildReport): void;
}

/**
 * Build step `choose`, last of the model steps: scores every model the build fitted on the
 * validation split (eval/choose.ts, with blends of each learned model and co-occurrence), serves
 * the winner (a `blend` entry is added when a blend wins) and records why in `manifest.served`.
 * Test figures are computed after the choice, for the report only: they never pick anything.
 */
export function chooseStep(o: ChooseStepOptions = {}): BuildStep {
  return {
    name: 'choose',
    after: ['popularity+cooccurrence'],
    afterIfPresent: ['sasrec', 'molar'],
    async run(ctx) {
      const draft = draftManifest({ name: ctx.name, models: ctx.models, numItems: ctx.dataset.numItems });
      // --all-data: judge the counts fitted on the training prefixes, as SASRec is (see COUNTS_ON_PREFIXES)
      const fair = ctx.find(COUNTS_ON_PREFIXES);
      const judged = async (name: string): Promise<ArrayBuffer> => fair?.get(name) ?? bundleFileBytes(ctx.files, name);
      const r = await chooseForBundle(draft, judged, ctx.split, ctx.dataset.sequences, {
        filterSeen: ctx.filterSeen,
        withTest: ctx.trainedOn === 'leave-one-out-train',
        onProgress: (d, t) => ctx.progress(d, t),
      });
      if (r.blend) ctx.models.push(r.blend);
      ctx.served = r.served;
      ctx.log(`choose: serving ${r.served.kind}: ${r.served.reason}`);
      const minutesOf = (kind: string): number => ctx.finished.find((s) => s.kinds.includes(kind))?.minutes ?? 0;
      const candidates = r.rows.map((row) => ({ ...row, trainMinutes: (row.parts ?? [{ kind: row.model }]).reduce((s, p) => s + minutesOf(p.kind), 0) }));
      o.onReport?.({
        bundle: ctx.name,
        date: new Date().toISOString(),
        data: { users: ctx.dataset.users.length, items: ctx.dataset.numItems, interactions: ctx.dataset.interactions, trainedOn: ctx.trainedOn },
        protocol: { ranking: 'full', filterSeen: ctx.filterSeen, validUsers: r.served.users, ...(r.testUsers !== undefined ? { testUsers: r.testUsers } : {}) },
        served: { kind: r.served.kind, reason: r.served.reason },
        candidates,
        // --all-data fits the count models on every event, validation items included (SASRec keeps to the prefixes)
        ...(ctx.trainedOn === 'all' ? { testNote: 'no test figures: the models were fitted on all data (--all-data), so every test target is training data. Validation figures are those of popularity and co-occurrence fitted on the training prefixes (as SASRec is), so the choice is fair; the bundle serves them fitted on everything' } : {}),
      });
    },
  };
}

/**
 * The choice for a bundle's models (the build's, or `molar train`'s rewritten set): the served
 * record, the blend entry to add when a blend won, and each candidate's valid / test figures.
 */
export async function chooseForBundle(
  manifest: Manifest,
  readFile: (name: string) => Promise<ArrayBuffer>,
  split: LeaveOneOutSplit,
  sequences: Int32Array[],
  o: { filterSeen: boolean; withTest: boolean; onProgress?: (done: number, total: number) => void },
): Promise<{ served: ServedChoice; blend?: BlendEntry; rows: Omit<ReportCandidate, 'trainMinutes'>[]; testUsers?: number }> {
  await useNodeBackend('wasm');
  const known = new Set(scorerKinds());
  const entries = manifest.models.filter((m) => known.has(m.kind) && m.kind !== 'blend');
  const config = resolveConfig();
  const scorers: { kind: string; scorer: Scorer }[] = [];
  try {
    for (const entry of entries) scorers.push({ kind: entry.kind, scorer: await createScorer({ manifest, entry, readFile, config }) });
    const choice = await chooseServed(scorers, split, sequences, { filterSeen: o.filterSeen, onProgress: o.onProgress });
    const byKind = new Map<string, ModelEntry>(entries.map((e) => [e.kind, e]));
    const blend: BlendEntry | undefined = choice.kind === 'blend' && choice.blend
      ? { kind: 'blend', parts: choice.blend.parts, files: [...new Set(choice.blend.parts.flatMap((p) => byKind.get(p.kind)!.files))] }
      : undefined;
    const figures = (r: EvalResult) => ({ ...r.metrics });
    const candidates: Record<string, Record<string, number>> = Object.fromEntries(Object.entries(choice.valid).map(([k, r]) => [k, figures(r)]));
    let test: Record<string, EvalResult> | undefined;
    if (o.withTest) {
      test = await evaluateVariants(
        {
          names: Object.keys(choice.valid),
          async score(histories) {
            const out: Record<string, Float32Array[]> = {};
            for (const s of scorers) out[s.kind] = await s.scorer.score(histories);
            if (choice.blend) {
              const parts = choice.blend.parts;
              out.blend = histories.map((_, b) => blendRow(parts.map((p) => out[p.kind][b]), parts.map((p) => p.weight)));
            }
            return out;
          },
        },
        split,
        sequences,
        { split: 'test', ks: [10, 20], filterSeen: o.filterSeen },
      );
    }
    const served: ServedChoice = { kind: choice.kind, reason: choice.reason, candidates, split: 'valid', users: choice.users, filterSeen: o.filterSeen };
    const rows = Object.keys(choice.valid).map((model) => ({ model, valid: candidates[model], ...(test ? { test: figures(test[model]) } : {}), served: model === choice.kind, ...(model === 'blend' && choice.blend ? { parts: choice.blend.parts } : {}) }));
    return { served, ...(blend ? { blend } : {}), rows, ...(test ? { testUsers: Object.values(test)[0]?.users } : {}) };
  } finally {
    for (const s of scorers) s.scorer.dispose();
  }
}

/** The manifest as the scorers need it before the bundle is written: numItems and the model entries. */
function draftManifest(ctx: Pick<BuildContext, 'name' | 'models'> & { numItems: number }): Manifest {
  return { format: BUNDLE_FORMAT, formatVersion: BUNDLE_FORMAT_VERSION, name: ctx.name, createdAt: '', generator: '', numItems: ctx.numItems, itemsFile: 'items.json', files: {}, models: ctx.models };
}

/**
 * For commands that rewrite a bundle's models (`molar train`): the old choice was made among the
 * old models, so it is made again among the new ones, an old blend entry dropped first. Returns the
 * models to write (with a new blend when one wins) and the served record.
 */
export async function chooseAgain(o: { name: string; numItems: number; models: ModelEntry[]; files: ReadonlyMap<string, BundleFile>; split: LeaveOneOutSplit; sequences: Int32Array[]; filterSeen: boolean }): Promise<{ models: ModelEntry[]; served: ServedChoice }> {
  const models = o.models.filter((m) => m.kind !== 'blend');
  const r = await chooseForBundle(draftManifest({ name: o.name, numItems: o.numItems, models }), (name) => bundleFileBytes(o.files, name), o.split, o.sequences, { filterSeen: o.filterSeen, withTest: false });
  return { models: r.blend ? [...models, r.blend] : models, served: r.served };
}
