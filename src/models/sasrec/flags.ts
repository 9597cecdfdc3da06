import type { ConfigFlag } from '../flags.js';
import { LR_SCHEDULES, SASREC_BLOCKS, SASREC_INITS, SASREC_LOSSES, SASREC_POSITIONS, type SasrecConfig } from './config.js';

/**
 * `molar train`'s SASRec flags, one per tunable config field (config.ts documents each field). The
 * enum rows take their values from config.ts's constant arrays, so the CLI accepts what the config
 * does. Run limits that are not config fields (--minutes, --workers, --keep-seen, …) stay in
 * cli/commands/train.ts.
 */
export const SASREC_FLAGS: readonly ConfigFlag<SasrecConfig>[] = Object.freeze([
  { flag: '--loss <loss>', field: 'loss', kind: 'enum', values: SASREC_LOSSES, help: 'bce | gbce | ce | sampled-ce' },
  { flag: '--negatives <n>', field: 'numNegatives', kind: 'int', help: 'negatives per positive (sampled losses)' },
  { flag: '--max-len <n>', field: 'maxLen', kind: 'int', help: 'most recent items read (default 200 for long histories, else 50)' },
  { flag: '--hidden <n>', field: 'hidden', kind: 'int', help: 'embedding width' },
  { flag: '--ffn-inner <n>', field: 'ffnInner', kind: 'int', help: 'feed-forward inner width (default: --hidden, as SASRec; RecBole uses 4 × hidden)' },
  { flag: '--blocks <n>', field: 'blocks', kind: 'int', help: 'self-attention blocks' },
  { flag: '--heads <n>', field: 'heads', kind: 'int', help: 'attention heads' },
  { flag: '--block <b>', field: 'block', kind: 'enum', values: SASREC_BLOCKS, help: "block wiring: sasrec (the paper's: keys and values read the un-normalised input) | pre-ln" },
  { flag: '--init <i>', field: 'init', kind: 'enum', values: SASREC_INITS, help: 'weight init: normal (N(0, 0.02²), RecBole / SASRec+) | xavier' },
  { flag: '--positions <p>', field: 'positions', kind: 'enum', values: SASREC_POSITIONS, help: 'count learned positions from-newest | from-oldest (SASRec+)' },
  { flag: '--epochs <n>', field: 'maxEpochs', kind: 'int', help: 'epoch cap (early stopping usually ends sooner)' },
  { flag: '--patience <n>', field: 'patience', kind: 'int', help: 'epochs without a better valid NDCG@10 before stopping' },
  { flag: '--batch-size <n>', field: 'batchSize', kind: 'int', help: 'users per batch' },
  { flag: '--lr <x>', field: 'learningRate', kind: 'number', positive: true, help: 'Adam learning rate' },
  { flag: '--lr-schedule <s>', field: 'lrSchedule', kind: 'enum', values: LR_SCHEDULES, help: 'constant | cosine (decays to 0 over --epochs) | cosine-time (decays to 0 over --minutes, then stops)' },
  { flag: '--warmup-steps <n>', field: 'warmupSteps', kind: 'int', help: 'steps over which the learning rate rises linearly to its schedule (default: none)' },
  { flag: '--seed <n>', field: 'seed', kind: 'int', help: 'random seed' },
  { flag: '--dropout <x>', field: 'dropout', kind: 'number', help: 'dropout rate in [0, 1)' },
  { flag: '--no-repeat-bias', field: 'repeatBias', kind: 'bool', help: 'with --keep-seen: do not learn a score offset for items already in the history' },
]);
