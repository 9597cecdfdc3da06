import { describe, expect, it } from 'vitest';
import { leaveOneOut } from '../data/split.js';
import { resolveMsrTrainConfig } from '../models/msr/config.js';
import { mulberry32 } from '../random.js';
import { msrExamples, rerankFold } from './msr-task.js';

/** 200 users of 1..12 events over 30 items (users of 1-2 events have no valid target) */
function data() {
  const rnd = mulberry32(11);
  const sequences = Array.from({ length: 200 }, () => Int32Array.from({ length: 1 + Math.floor(rnd() * 12) }, () => 1 + Math.floor(rnd() * 30)));
  return { sequences, split: leaveOneOut(sequences) };
}

describe('rerankFold', () => {
  it('splits the users with a valid target into a seeded share and the rest, disjoint and together all of them', () => {
    const { split } = data();
    const withValid = [...split.valid.keys()].filter((u) => split.valid[u] !== 0);
    const a = rerankFold(split.valid, 0.75, 42);
    expect(a.fold.filter((u) => a.heldOut.includes(u))).toEqual([]);
    expect([...a.fold, ...a.heldOut].sort((x, y) => x - y)).toEqual(withValid);
    expect(a.fold.length).toBe(Math.round(0.75 * withValid.length));
    // seeded: the same seed the same fold, another seed another
    expect(rerankFold(split.valid, 0.75, 42)).toEqual(a);
    expect(rerankFold(split.valid, 0.75, 43).fold).not.toEqual(a.fold);
    // not the first users: the fold is spread over the user list
    expect(a.heldOut.some((u) => u < withValid[Math.floor(withValid.length / 2)])).toBe(true);
  });

  it('refuses a share outside (0, 1) and an unknown example source', () => {
    expect(() => resolveMsrTrainConfig({ rerankFold: 1 })).toThrow(/rerankFold/);
    expect(() => resolveMsrTrainConfig({ rerankExamples: 'test' as never })).toThrow(/rerankExamples/);
    expect(resolveMsrTrainConfig().rerankExamples).toBe('valid-fold');
  });
});

describe('msrExamples', () => {
  it("valid-fold: stage 3 sees only the fold's validation examples, whose targets the first stage never trained on", () => {
    const { split } = data();
    const { fold, heldOut } = rerankFold(split.valid, 0.75, 42);
    const { users, examples } = msrExamples(split, 'valid-fold', new Set(fold));
    const rerank = users.filter((_, i) => examples[i].rerank);
    expect(rerank).toEqual(fold);
    users.forEach((u, i) => {
      const e = examples[i];
      if (e.rerank) {
        // the history is the whole training prefix (every training target of the first stage lies inside it), the target after it
        expect(e.history).toBe(split.train[u]);
        expect(e.target).toBe(split.valid[u]);
      } else {
        // a held-out user (or one without a valid target) trains stage 2 on its training prefix alone
        expect(heldOut.includes(u) || split.valid[u] === 0).toBe(true);
        expect([...e.history, e.target]).toEqual([...split.train[u]]);
      }
    });
    // every held-out user still trains stage 2
    for (const u of heldOut) if (split.train[u].length >= 2) expect(users).toContain(u);
  });

  it('train-prefix: every user with two training events, its last training item the target of both stages', () => {
    const { split } = data();
    const { users, examples } = msrExamples(split, 'train-prefix', new Set(rerankFold(split.valid, 0.75, 42).fold));
    expect(users).toEqual([...split.train.keys()].filter((u) => split.train[u].length >= 2));
    users.forEach((u, i) => {
      expect(examples[i].rerank).toBe(true);
      expect(examples[i].target).toBe(split.train[u].at(-1));
    });
  });
});
