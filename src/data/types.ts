/** A catalog row as the shop knows it. Only `id` is required; the rest feeds encoders and the widget. */
export interface CatalogItem {
  id: string;
  title?: string;
  description?: string;
  /** free attributes: genres, categories, brand… joined into the item's text */
  attributes?: Record<string, string>;
  /** path (relative to the catalog file) or URL of the item image */
  image?: string;
  /** product page link used by the widget */
  url?: string;
  price?: number;
}

/** One logged interaction, before ids are mapped to integers. */
export interface Interaction {
  user: string;
  item: string;
  /** unix seconds or ms; when absent file order is the order */
  ts?: number;
}

/**
 * Item ids inside models are dense integers 1..numItems; 0 is padding in every stage
 * (RecBole's padding_idx=0, tfjs's maskZero). `itemIds[i-1]` is the external id of internal id i.
 */
export interface ItemIndex {
  itemIds: string[];
  /** external id → internal id (1-based) */
  lookup: Map<string, number>;
}

/** Per-user chronological sequences of internal item ids (1-based), users in stable order. */
export interface SequenceDataset {
  name: string;
  users: string[];
  sequences: Int32Array[];
  numItems: number;
  items: ItemIndex;
}

/** Leave-one-out split: for user u, train = seq[0..n-3], valid target = seq[n-2], test target = seq[n-1]. */
export interface LeaveOneOutSplit {
  /** training prefix per user (used for training, and as the history when predicting the valid target) */
  train: Int32Array[];
  /** validation target per user, 0 when the user has too few events */
  valid: Int32Array;
  /** test target per user, 0 when the user has too few events */
  test: Int32Array;
}
