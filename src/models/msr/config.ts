import { MolarError } from '../../errors.js';

/**
 * MLLM-MSR's default stages 2 and 3 (models/msr/model.ts): the architecture a bundle carries.
 * Defaults written once, in MSR_DEFAULTS.
 */
export interface MsrConfig {
  /** (int) catalog items; ids 1..numItems, 0 = padding */
  numItems: number;
  /** (int) width of the bundle's item-vector rows the model reads */
  itemDim: number;
  /** (int) width of the projected items and of the summary state */
  hidden: number;
  /** (int) items per block: the state is updated once per block, as the paper's summary is (it uses 3) */
  blockSize: number;
  /** (int) most recent blocks read (older ones are dropped whole, so blocks keep their place from the start of the history) */
  maxBlocks: number;
  /** (int) hidden width of the re-ranker's scorer */
  rerankHidden: number;
  /** training only */
  seed: number;
}

export const MSR_DEFAULTS: Readonly<Omit<MsrConfig, 'numItems' | 'itemDim'>> = Object.freeze({ hidden: 64, blockSize: 3, maxBlocks: 16, rerankHidden: 64, seed: 42 });

/** Training knobs of stages 2 + 3 (train/msr.ts). */
export interface MsrTrainConfig {
  learningRate: number;
  batchSize: number;
  maxEpochs: number;
  patience: number;
  /** negatives per positive in stage 3's BCE (the paper: 20) */
  negatives: number;
  /**
   * share of those negatives drawn from the first stage's own top `hardDepth` (the rest uniformly
   * from unseen items): at serving the re-ranker sees only the first stage's top N, not random items
   */
  hardShare: number;
  hardDepth: number;
  /** items in the shared softmax of stage 2's next-item loss (the batch's targets, topped up at random) */
  sampleSize: number;
  /** weights of the two loss parts */
  nextWeight: number;
  rerankWeight: number;
  /**
   * what stage 3 (the re-ranker) trains on. 'valid-fold': the validation example (history = the
   * whole training prefix, target = the valid item) of a seeded `rerankFold` share of the users; the
   * other users' validation early-stops and chooses the mix weight. The first stage never trained on
   * those targets, so the first-stage score the re-ranker learns to weigh is out of sample, as at
   * serving. 'train-prefix': every user's training prefix less its last item, that item the target:
   * a target the first stage trained on, so its score there is overfit (a stacking leak) and over a
   * strong first stage the learnt combination does not transfer (weight 0 on ML-1M, msr3 rows).
   */
  rerankExamples: RerankExamples;
  /** share of the users with a validation target whose validation example trains stage 3 ('valid-fold' only) */
  rerankFold: number;
}

export const RERANK_EXAMPLES = ['valid-fold', 'train-prefix'] as const;
export type RerankExamples = (typeof RERANK_EXAMPLES)[number];

export const MSR_TRAIN_DEFAULTS: Readonly<MsrTrainConfig> = Object.freeze({ learningRate: 3e-3, batchSize: 128, maxEpochs: 30, patience: 3, negatives: 20, hardShare: 0.5, hardDepth: 50, sampleSize: 512, nextWeight: 1, rerankWeight: 1, rerankExamples: 'valid-fold', rerankFold: 0.75 });

const INTS: [keyof MsrConfig, number, number][] = [
  ['numItems', 1, 50_000_000],
  ['itemDim', 1, 1 << 16],
  ['hidden', 1, 4096],
  ['blockSize', 1, 64],
  ['maxBlocks', 1, 4096],
  ['rerankHidden', 1, 4096],
];

/** Defaults filled in and every field checked (an entry from a bundle is untrusted: BUNDLE_INVALID there). */
export function resolveMsrConfig(partial: Partial<MsrConfig> & Pick<MsrConfig, 'numItems' | 'itemDim'>, code: 'BAD_CONFIG' | 'BUNDLE_INVALID' = 'BAD_CONFIG'): MsrConfig {
  const c: MsrConfig = { ...MSR_DEFAULTS, ...partial };
  for (const [k, lo, hi] of INTS) {
    const v = c[k];
    if (!Number.isInteger(v) || v < lo || v > hi) throw new MolarError(code, `expected an integer in [${lo}, ${hi}], got ${JSON.stringify(v)}`, { field: k });
  }
  return c;
}

export function resolveMsrTrainConfig(partial: Partial<MsrTrainConfig> = {}): MsrTrainConfig {
  const c: MsrTrainConfig = { ...MSR_TRAIN_DEFAULTS, ...partial };
  const check = (k: keyof MsrTrainConfig, ok: boolean, what: string) => {
    if (!ok) throw new MolarError('BAD_CONFIG', `expected ${what}, got ${JSON.stringify(c[k])}`, { field: k });
  };
  check('learningRate', c.learningRate > 0 && c.learningRate < 1, 'a number in (0, 1)');
  for (const k of ['batchSize', 'maxEpochs', 'patience', 'negatives', 'hardDepth', 'sampleSize'] as const) check(k, Number.isInteger(c[k]) && c[k] >= 1, 'a positive integer');
  check('hardShare', c.hardShare >= 0 && c.hardShare <= 1, 'a number in [0, 1]');
  for (const k of ['nextWeight', 'rerankWeight'] as const) check(k, c[k] >= 0 && Number.isFinite(c[k]), 'a non-negative number');
  check('rerankExamples', (RERANK_EXAMPLES as readonly string[]).includes(c.rerankExamples), `one of ${RERANK_EXAMPLES.join(', ')}`);
  check('rerankFold', c.rerankFold > 0 && c.rerankFold < 1, 'a number in (0, 1)');
  return c;
}

/** The fields a bundle entry carries (training-only seed left out). */
export const msrArchitecture = (c: MsrConfig): Record<string, unknown> => ({ numItems: c.numItems, itemDim: c.itemDim, hidden: c.hidden, blockSize: c.blockSize, maxBlocks: c.maxBlocks, rerankHidden: c.rerankHidden });
