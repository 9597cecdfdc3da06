import type { ConfigFlag } from '../flags.js';
import { ADAPTIVE_RULES as R } from './adaptive.js';
import { DEFAULT_NEGATIVES, LR_SCHEDULES, SASREC_BLOCKS, SASREC_DEFAULTS as D, SASREC_INITS, SASREC_LOSSES, SASREC_POSITIONS, type SasrecConfig } from './config.js';

/**
 * `molar train`'s SASRec flags, one per tunable config field (config.ts documents each field), each
 * with the default `--help` shows, read from SASREC_DEFAULTS, or for the settings derived from the
 * data from ADAPTIVE_RULES (adaptive.ts), so it cannot drift from what training uses. The
 * enum rows take their values from config.ts's constant arrays, so the CLI accepts what the config
 * does. Run limits that are not config fields (--minutes, --workers, --keep-seen, …) stay in
 * cli/commands/train.ts.
 */
/** The negatives default by loss (full ce has none): '1 for bce, 256 for gbce, 3000 for sampled-ce, at most the catalog size'. */
const NEGATIVES = `${Object.entries(DEFAULT_NEGATIVES).filter(([, n]) => n > 0).map(([loss, n]) => `${n} for ${loss}`).join(', ')}, at most the catalog size`;

export const SASREC_FLAGS: readonly ConfigFlag<SasrecConfig>[] = Object.freeze([
  { flag: '--loss <loss>', field: 'loss', kind: 'enum', values: SASREC_LOSSES, help: 'bce | gbce | ce | sampled-ce', default: `from the data: ce up to ${R.fullSoftmaxItems} items, else sampled-ce` },
  { flag: '--negatives <n>', field: 'numNegatives', kind: 'int', help: 'negatives per positive (sampled losses)', default: NEGATIVES },
  { flag: '--max-len <n>', field: 'maxLen', kind: 'int', help: `most recent items read (default: from the data, ${R.lengthQuantile * 100}% of histories, within ${R.minLen}–${R.maxLen})` },
  { flag: '--hidden <n>', field: 'hidden', kind: 'int', help: 'embedding width', default: D.hidden },
  { flag: '--ffn-inner <n>', field: 'ffnInner', kind: 'int', help: 'feed-forward inner width (default: --hidden, as SASRec; RecBole uses 4 × hidden)' },
  { flag: '--blocks <n>', field: 'blocks', kind: 'int', help: 'self-attention blocks', default: D.blocks },
  { flag: '--heads <n>', field: 'heads', kind: 'int', help: 'attention heads', default: D.heads },
  { flag: '--block <b>', field: 'block', kind: 'enum', values: SASREC_BLOCKS, help: "block wiring: sasrec (the paper's: keys and values read the un-normalised input) | pre-ln", default: D.block },
  { flag: '--init <i>', field: 'init', kind: 'enum', values: SASREC_INITS, help: 'weight init: normal (N(0, 0.02²), RecBole / SASRec+) | xavier', default: D.init },
  { flag: '--positions <p>', field: 'positions', kind: 'enum', values: SASREC_POSITIONS, help: 'count learned positions from-newest | from-oldest (SASRec+)', default: 'from-oldest' },
  { flag: '--epochs <n>', field: 'maxEpochs', kind: 'int', help: 'epoch cap (early stopping usually ends sooner)', default: D.maxEpochs },
  { flag: '--patience <n>', field: 'patience', kind: 'int', help: 'epochs without a better valid NDCG@10 before stopping', default: `${D.patience}; 100 with --minutes, whose end stops training` },
  { flag: '--batch-size <n>', field: 'batchSize', kind: 'int', help: 'users per batch', default: `from the data: 32 below ${R.smallBatchBelow} users, else 64` },
  { flag: '--lr <x>', field: 'learningRate', kind: 'number', positive: true, help: 'Adam learning rate', default: `${R.learningRate} with --minutes, else 0.002` },
  { flag: '--lr-schedule <s>', field: 'lrSchedule', kind: 'enum', values: LR_SCHEDULES, help: 'constant | cosine (decays to 0 over --epochs) | cosine-time (decays to 0 over --minutes, then stops)', default: 'cosine-time with --minutes, else constant' },
  { flag: '--warmup-steps <n>', field: 'warmupSteps', kind: 'int', help: `steps over which the learning rate rises linearly to its schedule (default: ${R.warmupSteps})` },
  { flag: '--seed <n>', field: 'seed', kind: 'int', help: 'random seed', default: D.seed },
  { flag: '--dropout <x>', field: 'dropout', kind: 'number', help: 'dropout rate in [0, 1)', default: `from the data: 0.5 where the median history is under ${R.shortHistoryMedian} events, else 0.1` },
  { flag: '--no-repeat-bias', field: 'repeatBias', kind: 'bool', help: 'with --keep-seen: do not learn a score offset for items already in the history' },
]);
