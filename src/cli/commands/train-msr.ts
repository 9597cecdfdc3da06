import path from 'node:path';
import { writeBundle, type BundleFile } from '../../bundle/write.js';
import type { BuiltDataset } from '../../data/sequences.js';
import { leaveOneOut } from '../../data/split.js';
import { MSR_FILE, msrSummary, trainMsrOver, type MsrStepOptions } from '../../train/msr-build-step.js';
import type { NodeBundle } from '../bundle-node.js';

/**
 * `molar train --model msr`: (re)trains MLLM-MSR's default stages 2 + 3 over the bundle's best
 * model (what the Recommender serves) and its item vectors, and writes the `msr` entry into the
 * bundle, replacing an earlier one.
 */
export async function trainMsrIntoBundle(bundle: NodeBundle, dataset: BuiltDataset, o: MsrStepOptions): Promise<string> {
  const { manifest } = bundle;
  const src = { split: leaveOneOut(dataset.sequences), sequences: dataset.sequences, manifest: { numItems: manifest.numItems, models: manifest.models.filter((m) => m.kind !== 'msr') }, readFile: bundle.readFile };
  const { r, entry, bytes } = await trainMsrOver(src, o);
  const files = new Map<string, BundleFile>();
  for (const name of Object.keys(manifest.files)) if (name !== manifest.itemsFile && name !== MSR_FILE) files.set(name, { copyFrom: path.join(bundle.dir, name) });
  files.set(MSR_FILE, { data: bytes });
  // the served choice stays: the re-ranker follows the served model, it does not replace it
  await writeBundle({ out: bundle.dir, name: manifest.name, items: bundle.items, files, models: [...src.manifest.models, entry], served: manifest.served, stats: manifest.stats, overwrite: true });
  return `trained ${msrSummary(r, entry.firstStage)}; wrote ${MSR_FILE}`;
}
