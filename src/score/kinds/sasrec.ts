import type { SasrecEntry } from '../../bundle/manifest.js';
import { SasrecModel } from '../../models/sasrec/model.js';
import { entryFile, sequentialScorer, type ScorerSpec } from '../scorer.js';

/**
 * SASRec from a bundle entry, on the active tfjs backend. In Node the CLI picks that backend
 * (wasm) before it asks for a scorer; nothing here reaches for Node-only code, so the browser
 * build never pulls training in.
 */
export const SASREC_SCORER: ScorerSpec<SasrecEntry> = {
  priority: 100,
  async create({ entry, readFile }) {
    const name = entryFile(entry, 0);
    const model = SasrecModel.fromEntry(entry, await readFile(name), name);
    return sequentialScorer(model, { owns: true });
  },
};
