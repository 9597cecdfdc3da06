import type { SasrecEntry } from '../../bundle/manifest.js';
import { checkFinite } from '../../bundle/validate.js';
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
    const data = await readFile(name);
    checkFinite(new Float32Array(data, 0, data.byteLength >> 2), name, 'the weight blob');
    const model = SasrecModel.fromEntry(entry, data, name);
    return sequentialScorer(model, { owns: true });
  },
};
