import { adaptiveSasrecDefaults, type DataShape, type Derived } from '../sasrec/adaptive.js';
import type { ContentConfig, MolarTrainConfig } from './config.js';

type AdaptiveContentField = 'maxLen' | 'dropout';
type AdaptiveMolarTrainField = 'batchSize' | 'learningRate' | 'lrSchedule' | 'warmupSteps' | 'patience';

export interface AdaptiveMolar {
  config: { [K in AdaptiveContentField]: Derived<ContentConfig[K]> };
  train: { [K in AdaptiveMolarTrainField]: Derived<MolarTrainConfig[K]> };
}

/**
 * Molar's content model's data-adaptive defaults: the rows of SASRec's (models/sasrec/adaptive.ts)
 * that the two models share, by the same rules. The content model reads the same sequences through
 * the same causal transformer, so what the history lengths and the number of users say about window,
 * regularisation and step count carries over; the rules were measured on SASRec, not on Molar (the
 * build's choice on validation decides whether Molar is served at all). When it is aligned to a
 * SASRec, its window is that model's (`alignedMaxLen`): both must read the same items.
 */
export function adaptiveMolarDefaults(data: DataShape, o: { budgeted: boolean; alignedMaxLen?: number }): AdaptiveMolar {
  const s = adaptiveSasrecDefaults(data, { budgeted: o.budgeted });
  return {
    config: {
      maxLen: o.alignedMaxLen !== undefined ? { value: o.alignedMaxLen, why: "the SASRec it is aligned to reads this window" } : s.maxLen,
      dropout: s.dropout,
    },
    train: { batchSize: s.batchSize, learningRate: s.learningRate, lrSchedule: s.lrSchedule, warmupSteps: s.warmupSteps, patience: s.patience },
  };
}

/** The derived values under what the caller gave (given wins), as the two partial configs trainMolar takes. */
export function withAdaptiveMolar(a: AdaptiveMolar, given: { config?: Partial<ContentConfig>; train?: Partial<MolarTrainConfig> }): { config: Partial<ContentConfig>; train: Partial<MolarTrainConfig> } {
  const values = <T extends object>(d: T) => Object.fromEntries(Object.entries(d).map(([k, v]) => [k, (v as Derived<unknown>).value]));
  const set = <T extends object>(g: T | undefined) => Object.fromEntries(Object.entries(g ?? {}).filter(([, v]) => v !== undefined));
  return { config: { ...values(a.config), ...set(given.config) } as Partial<ContentConfig>, train: { ...values(a.train), ...set(given.train) } as Partial<MolarTrainConfig> };
}

/** One line per derived setting, marking those the caller gave. */
export function describeAdaptiveMolar(a: AdaptiveMolar, given: { config?: Partial<ContentConfig>; train?: Partial<MolarTrainConfig> }): string {
  const lines = (d: object, g: object | undefined) =>
    Object.entries(d).map(([k, v]) => {
      const mine = (g as Record<string, unknown> | undefined)?.[k];
      const dv = v as Derived<unknown>;
      return mine !== undefined ? `  ${k} ${String(mine)} (given; data suggests ${String(dv.value)})` : `  ${k} ${String(dv.value)}: ${dv.why}`;
    });
  return [...lines(a.config, given.config), ...lines(a.train, given.train)].join('\n');
}
