/** Co-occurrence baseline hyperparameters, RecBole-style: one documented default each. */
export interface CooccurrenceArgs {
  /** (int) how many following items count as co-occurring with an item */
  window: number;
  /** (int) neighbours kept per item, strongest first */
  topN: number;
}

export const COOCCURRENCE_DEFAULTS: Readonly<CooccurrenceArgs> = Object.freeze({ window: 3, topN: 100 });
