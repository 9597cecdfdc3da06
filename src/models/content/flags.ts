import type { ConfigFlag } from '../flags.js';
import { MOLAR_ORDERS, type ContentConfig, type MolarTrainConfig } from './config.js';

/**
 * `molar train --model molar`'s own flags: the Molar fields SASRec has no counterpart for. The shared
 * ones (--lr, --batch-size, --epochs, --patience, --dropout, --hidden, --blocks, --heads, --max-len,
 * --block, --init, --lr-schedule, --warmup-steps, --seed) come from SASRec's table and mean the same
 * for the content model (MOLAR_SHARED_FIELDS).
 */
export const MOLAR_FLAGS: readonly ConfigFlag<ContentConfig & MolarTrainConfig>[] = Object.freeze([
  { flag: '--order <o>', field: 'order', kind: 'enum', values: MOLAR_ORDERS, help: "teacher: align to the bundle's SASRec, frozen | joint: train that SASRec with the content model and write it back (default teacher)" },
  { flag: '--align-weight <x>', field: 'alignWeight', kind: 'number', help: 'post-alignment weight α on the InfoNCE to the bundle\'s SASRec (0: off; default 0.5)' },
  { flag: '--align-tau <x>', field: 'alignTau', kind: 'number', positive: true, help: 'post-alignment temperature τ (default 0.2)' },
  { flag: '--it-weight <x>', field: 'itWeight', kind: 'number', help: 'image ↔ text contrastive task weight (0: off; default 0.1)' },
  { flag: '--it-tau <x>', field: 'itTau', kind: 'number', positive: true, help: 'image ↔ text temperature (default 0.07)' },
  { flag: '--sa-weight <x>', field: 'saWeight', kind: 'number', help: 'attributes-from-content task weight (0: off; default 0.1)' },
  { flag: '--no-ub-to-head', field: 'ubToHead', kind: 'bool', help: 'ablation w/o UB: the next-item loss trains the user model, not the fusion head (IT and SA still do)' },
  { flag: '--item-align-steps <n>', field: 'itemAlignSteps', kind: 'int', help: "item-level alignment first: steps fitting the fusion head to the bundle's SASRec item rows (default off; ML-1M: 1500, see README)" },
  { flag: '--id-residual', field: 'idResidual', kind: 'bool', help: 'add a learned ID vector to each known item\'s fused vector (cold and added items keep content alone; see README)' },
  { flag: '--id-lr-factor <x>', field: 'idLrFactor', kind: 'number', positive: true, help: 'with --id-residual: its table steps this many times the learning rate (default 1; ML-1M: 8, see README)' },
  { flag: '--user-warm-start', field: 'userWarmStart', kind: 'bool', help: "with --id-residual: the content user model starts as the bundle's SASRec (its blocks, positions and item rows; takes SASRec's shapes)" },
  { flag: '--modality-dropout <x>', field: 'modalityDropout', kind: 'number', help: 'rate at which training hides an item\'s text or image (default 0.1)' },
]);

/** SASRec flag fields that configure the content model the same way (architecture or training). */
export const MOLAR_SHARED_FIELDS = Object.freeze({
  architecture: ['maxLen', 'hidden', 'blocks', 'heads', 'block', 'init', 'seed', 'dropout'],
  training: ['maxEpochs', 'patience', 'batchSize', 'learningRate', 'lrSchedule', 'warmupSteps'],
} as const);
