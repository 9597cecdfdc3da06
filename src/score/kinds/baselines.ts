import type { CooccurrenceEntry, PopularityEntry } from '../../bundle/manifest.js';
import { deserializeCsr, deserializeFloat32, scoreCooccurrence, scorePopularity } from '../../models/cooccurrence/cooccurrence.js';
import { checkFinite } from '../../bundle/validate.js';
import { entryFile, functionScorer, type ScorerSpec } from '../scorer.js';

/** Popularity: every shopper gets the same ranking (the bar every model must clear). */
export const POPULARITY_SCORER: ScorerSpec<PopularityEntry> = {
  priority: 1,
  async create({ manifest, entry, readFile }) {
    const name = entryFile(entry, 0);
    const pop = deserializeFloat32(await readFile(name), manifest.numItems + 1, name);
    checkFinite(pop, name, 'popularity');
    const scores = scorePopularity(pop);
    // copies keep callers free to mutate their rows
    return functionScorer(async (histories) => histories.map(() => scores.slice()));
  },
};

/** Item-to-item co-occurrence over the recent history, popularity mixed in for ties. */
export const COOCCURRENCE_SCORER: ScorerSpec<CooccurrenceEntry> = {
  priority: 10,
  async create({ manifest, entry, readFile, config }) {
    const [csrName, popName] = [entryFile(entry, 0), entryFile(entry, 1)];
    const csr = deserializeCsr(await readFile(csrName), manifest.numItems, csrName);
    const pop = deserializeFloat32(await readFile(popName), manifest.numItems + 1, popName);
    checkFinite(csr.values, csrName, 'co-occurrence weights');
    checkFinite(pop, popName, 'popularity');
    return functionScorer(async (histories) => histories.map((h) => scoreCooccurrence(h, csr, pop, config.baseline)));
  },
};
