import { describe, expect, it } from 'vitest';
import { adaptiveSasrecDefaults, type DataShape } from '../sasrec/adaptive.js';
import { adaptiveMolarDefaults, describeAdaptiveMolar, withAdaptiveMolar } from './adaptive.js';

// an Amazon-like shop: short histories (median 5), 1,000 users
const short: DataShape = { users: 1000, numItems: 900, interactions: 6000, lengths: Array.from({ length: 1000 }, (_, i) => 3 + (i % 5)) };
// an ML-1M-like one: long histories, 3,000 users
const long: DataShape = { users: 3000, numItems: 3400, interactions: 300_000, lengths: Array.from({ length: 3000 }, (_, i) => 40 + (i % 150)) };

describe('adaptiveMolarDefaults', () => {
  it("follows SASRec's rules for the rows the two models share", () => {
    for (const data of [short, long]) {
      const s = adaptiveSasrecDefaults(data, { budgeted: true });
      const m = adaptiveMolarDefaults(data, { budgeted: true });
      expect(m.config.dropout.value).toBe(s.dropout.value);
      expect(m.config.maxLen.value).toBe(s.maxLen.value);
      expect(m.train.batchSize.value).toBe(s.batchSize.value);
      expect(m.train.lrSchedule.value).toBe('cosine-time');
    }
    expect(adaptiveMolarDefaults(short, { budgeted: true }).config.dropout.value).toBe(0.5);
    expect(adaptiveMolarDefaults(long, { budgeted: true }).config.dropout.value).toBe(0.1);
    expect(adaptiveMolarDefaults(long, { budgeted: false }).train).toMatchObject({ lrSchedule: { value: 'constant' }, patience: { value: 20 } });
  });
  it('reads the window of the SASRec it is aligned to', () => {
    const m = adaptiveMolarDefaults(long, { budgeted: true, alignedMaxLen: 120 });
    expect(m.config.maxLen.value).toBe(120);
    expect(m.config.maxLen.why).toMatch(/aligned/);
  });
  it('what the caller gives wins, and the description says so', () => {
    const m = adaptiveMolarDefaults(short, { budgeted: true });
    const given = { config: { dropout: 0.3, hidden: 32 }, train: { batchSize: 16, alignWeight: 1 } };
    const { config, train } = withAdaptiveMolar(m, given);
    expect(config).toMatchObject({ dropout: 0.3, hidden: 32, maxLen: m.config.maxLen.value });
    expect(train).toMatchObject({ batchSize: 16, alignWeight: 1, learningRate: m.train.learningRate.value });
    const text = describeAdaptiveMolar(m, given);
    expect(text).toContain('dropout 0.3 (given; data suggests 0.5)');
    expect(text).toContain('batchSize 16 (given; data suggests 32)');
    expect(text).toMatch(/maxLen \d+: 95% of histories/);
  });
});
