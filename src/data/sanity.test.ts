import { describe, expect, it } from 'vitest';
import { badInput } from './fixtures/bad-input.js';
import { parseInteractions } from './interactions.js';
import { MIN_FITTED_COVERAGE, MIN_KNOWN_SHARE, checkCoverage, checkKnownItems } from './sanity.js';
import { buildSequences } from './sequences.js';

const rows = (pairs: [string, string][]) => pairs.map(([user, item]) => ({ user, item }));

describe('no silent garbage', () => {
  it('refuses a "user item rating timestamp" table read as SASRec lines, saying how to read it', () => {
    const udata = '196\t242\t3\t881250949\n186\t302\t3\t891717742\n196\t377\t1\t878887116\n';
    for (const format of ['sasrec', 'auto'] as const) {
      const e = badInput(() => parseInteractions(udata, { file: 'u.data', format }));
      expect(e.line).toBe(3);
      expect(e.message).toContain('user "196" is also on line 1');
      expect(e.message).toContain('--no-header --columns user_id,item_id,rating,timestamp');
    }
    // real SASRec files: a repeated user with one item per line, or one line per user
    expect(parseInteractions('1 5\n1 6\n2 7\n', { file: 'a.txt', format: 'sasrec' })).toHaveLength(3);
    expect(parseInteractions('1 5 6 7\n2 7 8\n', { file: 'b.txt', format: 'sasrec' })).toHaveLength(5);
  });
  it('stops when most of the log misses the catalog, naming ids in a catalog of names', () => {
    const log = rows([['u', '1'], ['u', '2'], ['v', '1'], ['v', '3']]);
    const names = ['Heat (1995)', 'Up (2009)', 'Jaws (1975)'].map((id) => ({ id }));
    const e = badInput(() => buildSequences(log, names, { file: 'ratings.csv' }));
    expect(e.file).toBe('ratings.csv');
    expect(e.message).toMatch(/^ratings\.csv, field "item": only 0% of 4 interactions \(0\) name an item in the catalog; expected at least 50%/);
    expect(e.message).toContain("the catalog's ids are names: is --catalog-id-col the id column?");
    const reverse = badInput(() => buildSequences(rows([['u', 'Heat'], ['u', 'Up']]), [{ id: '1' }, { id: '2' }]));
    expect(reverse.message).toContain('--item-col');
  });
  it('says when the item column holds ratings, and passes at the documented share', () => {
    const ratings = rows([['u', '4'], ['u', '5'], ['v', '3'], ['v', '4']]);
    const e = badInput(() => checkKnownItems(ratings, new Set(['101', '102']), { against: 'catalog' }));
    expect(e.message).toContain('looks like ratings or timestamps');
    const half = rows([['u', 'a'], ['u', 'b'], ['v', 'x'], ['v', 'y']]);
    expect(() => checkKnownItems(half, new Set(['a', 'b']), { against: 'catalog' })).not.toThrow();
    expect(MIN_KNOWN_SHARE.bundle).toBeGreaterThan(0.5);
    expect(badInput(() => checkKnownItems(half, new Set(['a', 'b']), { against: 'bundle' })).message).toContain('not the one the bundle was built from');
  });
  it('catches a rating column read as items, though every rating is a valid id', () => {
    const ids = Array.from({ length: 200 }, (_, i) => String(i + 1));
    const ratings = rows([['u', '4'], ['u', '5'], ['v', '3'], ['v', '1'], ['w', '2']]);
    const e = badInput(() => buildSequences(ratings, ids.map((id) => ({ id })), { file: 'u.data' }));
    expect(e.message).toContain('the log names only 5 distinct items (4, 5, 3, 1, 2) of a catalog of 200');
    expect(e.message).toContain('looks like ratings or timestamps');
    // against a bundle: the share of the items its models were fitted on
    const fitted = ids.slice(0, 30);
    expect(badInput(() => checkCoverage(ratings, new Set(ids), fitted, { against: 'bundle' })).message).toContain(`5 of the 30 items the bundle's models were fitted on; expected at least ${MIN_FITTED_COVERAGE * 100}%`);
    expect(() => checkCoverage(ratings, new Set(ids), fitted.slice(0, 5), { against: 'bundle' })).not.toThrow();
  });
});
