import * as tf from '@tensorflow/tfjs';
import type { SasrecEntry } from '../bundle/manifest.js';
import { MolarError } from '../errors.js';
import { SasrecModel } from '../models/sasrec/model.js';
import { sequentialScorer } from '../score/scorer.js';
import type { ScorerSpec } from './scorers.js';

/**
 * `molar eval` scorer for a bundle's SASRec entry. In Node the default tfjs backend is the slow
 * pure-JS 'cpu'; the wasm backend scores the same within 1e-4 (model.test.ts) and much faster,
 * so it is switched on here when nothing better was chosen.
 */
export const SASREC_SCORER: ScorerSpec = {
  priority: 100,
  async create({ entry, readFile }) {
    const e = entry as SasrecEntry;
    const name = e.files[0];
    if (!name) throw new MolarError('BUNDLE_INVALID', 'sasrec model lists no weight file', { field: 'files' });
    if (typeof process !== 'undefined' && process.versions?.node && tf.getBackend() === 'cpu') {
      const { useNodeBackend } = await import('../train/backend-node.js');
      await useNodeBackend('wasm');
    }
    const model = SasrecModel.fromEntry(e, await readFile(name), name);
    return sequentialScorer(model, { owns: true });
  },
};
