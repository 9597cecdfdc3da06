import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { resolveConfig } from '../../config.js';
import { leaveOneOut } from '../../data/split.js';
import { MolarError } from '../../errors.js';
import { evaluate, type EvalResult } from '../../eval/evaluate.js';
import { rerankedScorer } from '../../eval/reranked.js';
import { evaluateSampled, type SampledResult } from '../../eval/sampled.js';
import { loadMsrReranker } from '../../summary/load.js';
import { createScorer, pickModel, scorerKinds } from '../../score/registry.js';
import { useNodeBackend } from '../../train/backend-node.js';
import { openBundleDir } from '../bundle-node.js';
import { addDataOptions, loadForBundle, positiveInt, type DataOptions } from '../data-options.js';
import { progressBar } from '../progress.js';

interface EvalOptions extends DataOptions {
  bundle: string;
  split: 'test' | 'valid';
  keepSeen?: boolean;
  json?: string;
  model?: string;
  maxUsers?: number;
  batchSize: number;
  protocol: 'full' | 'sampled';
  negatives: number;
  seed: number;
  rerank?: boolean;
  rerankWeight?: string;
}

/** What `molar eval` prints and writes: the full-ranking result, or the sampled protocol's (eval/sampled.ts). */
export type EvalReport = (EvalResult | SampledResult) & {
  bundle: string;
  model: string;
  dataset: string;
  date: string;
  /** wall seconds of the scoring and ranking (the bundle and the log already loaded) */
  seconds: number;
};

export function register(program: Command): void {
  const cmd = program
    .command('eval')
    .description('leave-one-out, full-ranking evaluation of the best model in a bundle (NDCG, Recall, MRR)')
    .requiredOption('--bundle <dir>', 'bundle folder written by `molar build`');
  addDataOptions(cmd, false)
    .option('--split <split>', 'test (history = train + valid item) or valid (history = train prefix)', 'test')
    .option('--keep-seen', 'keep the user\'s history items in the ranking (RecBole protocol); default removes them')
    .option('--model <kind>', `evaluate this model kind instead of the best one in the bundle: ${scorerKinds().join(', ')}`)
    .option('--max-users <n>', 'evaluate only n users, spread evenly over the log (quick check)', (v) => positiveInt(v, '--max-users'))
    .option('--batch-size <n>', 'histories scored per scorer call', (v) => positiveInt(v, '--batch-size'), 256)
    .option('--protocol <protocol>', 'full: rank the whole catalog (NDCG/Recall@10, @20, MRR); sampled: rank the target among --negatives sampled unseen items (AUC, HR@5, NDCG@5; MLLM-MSR\'s protocol)', 'full')
    .option('--negatives <n>', 'sampled protocol: negatives per user', (v) => positiveInt(v, '--negatives'), 20)
    .option('--seed <n>', 'sampled protocol: seed of the negatives (the same seed gives every model the same candidates)', (v) => positiveInt(v, '--seed'), 42)
    .option('--rerank', 'follow the model with the bundle\'s MLLM-MSR re-ranker (`molar train --model msr`), as recommend() does: over its top score.rerankDepth (full) or the candidates (sampled); reported as <model>+rerank')
    .option('--rerank-weight <w>', 'with --rerank: the re-ranker\'s mix weight in [0, 1] instead of the one the bundle chose on validation')
    .option('--json <file>', 'also write the result as JSON')
    .action(async (o: EvalOptions) => {
      if (o.protocol !== 'full' && o.protocol !== 'sampled') throw new MolarError('BAD_INPUT', `expected full or sampled, got ${JSON.stringify(o.protocol)}`, { field: '--protocol' });
      if (o.protocol === 'sampled' && o.keepSeen) throw new MolarError('BAD_INPUT', 'the sampled protocol ranks unseen items only; --keep-seen applies to --protocol full', { field: '--keep-seen' });
      if (o.split !== 'test' && o.split !== 'valid') throw new MolarError('BAD_INPUT', `expected test or valid, got ${JSON.stringify(o.split)}`, { field: '--split' });
      const bundle = await openBundleDir(path.resolve(o.bundle));
      const { manifest } = bundle;
      if (manifest.stats?.trainedOn === 'all') {
        throw new MolarError('BAD_INPUT', 'this bundle was fitted on all data (--all-data), so every target is training data: rebuild without --all-data to evaluate', { field: '--bundle' });
      }
      // the bundle's item table fixes the ids, so sequences match what the models were fitted on
      const { dataset, spec } = await loadForBundle(o, bundle);
      for (const w of dataset.warnings) process.stderr.write(`warning: ${w}\n`);
      const split = leaveOneOut(dataset.sequences);
      const targets = o.split === 'test' ? split.test : split.valid;
      // an empty split would print NDCG 0.0000 as if the models had failed, when there was nothing to score
      if (!targets.some((t) => t > 0)) {
        throw new MolarError('BAD_INPUT', `no user has the 3 events on the bundle's items that a leave-one-out ${o.split} split needs (${dataset.users.length} users, ${dataset.interactions} interactions): expected the log the bundle was built from`, { field: '--interactions' });
      }
      const entry = pickModel(manifest, o.model);
      // Node's default tfjs backend is the slow pure-JS 'cpu'; wasm scores the same within 1e-4
      // (model.test.ts) and much faster. The CLI chooses it here, before any scorer exists.
      await useNodeBackend('wasm');
      const weight = o.rerankWeight === undefined ? undefined : Number(o.rerankWeight);
      if (weight !== undefined && !(weight >= 0 && weight <= 1)) throw new MolarError('BAD_INPUT', `expected a weight in [0, 1], got ${JSON.stringify(o.rerankWeight)}`, { field: '--rerank-weight' });
      if (weight !== undefined && !o.rerank) throw new MolarError('BAD_INPUT', 'only applies with --rerank', { field: '--rerank-weight' });
      const config = resolveConfig();
      const scorer = await createScorer({ manifest, entry, readFile: bundle.readFile, config });
      const reranker = o.rerank ? await loadMsrReranker(manifest, bundle.readFile, { served: entry.kind, weight, warn: (w) => process.stderr.write(`warning: ${w.message}\n`) }) : undefined;
      if (o.rerank && !reranker) {
        scorer.dispose();
        throw new MolarError('BAD_INPUT', `the bundle has no re-ranker over its "${entry.kind}" model: train one with \`molar train --model msr\``, { field: '--rerank' });
      }
      const name = reranker ? `${entry.kind}+rerank` : entry.kind;
      const bar = progressBar(`eval ${name}`);
      const t0 = Date.now();
      const common = { split: o.split, maxUsers: o.maxUsers, batchSize: o.batchSize, onProgress: (d: number, t: number) => bar.update(d, t) };
      const result =
        o.protocol === 'sampled'
          ? await evaluateSampled(scorer, split, dataset.sequences, manifest.numItems, { ...common, negatives: o.negatives, seed: o.seed, k: 5, reranker, items: bundle.items })
          : await evaluate(reranker ? rerankedScorer(scorer, reranker, { depth: config.score.rerankDepth, filterSeen: !o.keepSeen, items: bundle.items }) : scorer, split, dataset.sequences, { ...common, ks: [10, 20], filterSeen: !o.keepSeen });
      bar.stop();
      const seconds = (Date.now() - t0) / 1000;
      scorer.dispose();
      reranker?.dispose();
      const report: EvalReport = { bundle: manifest.name, model: name, dataset: spec.name, date: new Date().toISOString(), seconds, ...result };
      process.stdout.write(formatTable(report));
      if (o.json) await writeFile(path.resolve(o.json), JSON.stringify(report, null, 2) + '\n');
    });
}

export function formatTable(r: EvalReport): string {
  const rows: [string, string][] = [
    ['model', r.model],
    ['dataset', r.dataset],
    ['split', r.split],
    ['users', `${r.users} (${r.seconds.toFixed(1)} s)`],
    ...('protocol' in r ? [['protocol', `sampled, ${r.negatives} negatives, seed ${r.seed}`] as [string, string]] : [['filterSeen', String(r.filterSeen)] as [string, string]]),
    ...Object.entries(r.metrics).map(([k, v]) => [k.replace('ndcg', 'NDCG').replace('recall', 'Recall').replace('mrr', 'MRR').replace('hr', 'HR').replace('auc', 'AUC'), v.toFixed(4)] as [string, string]),
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  return rows.map(([k, v]) => `${k.padEnd(w)}  ${v}`).join('\n') + '\n';
}
