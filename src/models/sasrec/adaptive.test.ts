import { describe, expect, it } from 'vitest';
import { resolveSasrecConfig } from './config.js';
import { adaptiveSasrecDefaults, ADAPTIVE_RULES, describeAdaptive, shapeOf, withAdaptive } from './adaptive.js';

const lengths = (n: number, len: number) => Array.from({ length: n }, () => len);

describe('adaptiveSasrecDefaults', () => {
  it('follows the data: long ML-1M-like histories, a big log and many users; short, sparse shop logs', () => {
    const ml = adaptiveSasrecDefaults({ users: 6040, numItems: 3416, interactions: 990_000, lengths: lengths(6040, 165) }, { budgeted: true });
    expect(ml.maxLen.value).toBe(170); // 95% of histories have 165 events, rounded up to 10
    expect(ml.loss.value).toBe('ce');
    expect(ml.dropout.value).toBe(0.1);
    expect(ml.batchSize.value).toBe(64);
    expect([ml.lrSchedule.value, ml.learningRate.value, ml.patience.value]).toEqual(['cosine-time', ADAPTIVE_RULES.learningRate, 100]);
    const shop = adaptiveSasrecDefaults({ users: 900, numItems: 60_000, interactions: 7000, lengths: [...lengths(860, 6), ...lengths(40, 900)] }, { budgeted: false });
    expect(shop.maxLen.value).toBe(50); // the 5% of heavy users do not set the window
    expect(shop.loss.value).toBe('sampled-ce');
    expect(shop.numNegatives.value).toBe(3000);
    expect(shop.dropout.value).toBe(0.5);
    expect(shop.batchSize.value).toBe(32);
    expect([shop.lrSchedule.value, shop.patience.value]).toEqual(['constant', 20]);
    // what sets dropout is the history length, not the log's size: 300 long histories still get 0.1
    expect(adaptiveSasrecDefaults({ users: 300, numItems: 3416, interactions: 47_000, lengths: lengths(300, 150) }, { budgeted: true }).dropout.value).toBe(0.1);
    expect(adaptiveSasrecDefaults({ users: 60_000, numItems: 9000, interactions: 400_000, lengths: lengths(60_000, 7) }, { budgeted: true }).dropout.value).toBe(0.5);
  });

  it('every derived config is valid, and what the user gives wins (a given loss keeps its own negatives)', () => {
    const a = adaptiveSasrecDefaults(shapeOf([Int32Array.of(1, 2, 3), Int32Array.of(2, 3), new Int32Array(0)], 30_000), { budgeted: true });
    expect(() => resolveSasrecConfig({ ...withAdaptive(a, {}), numItems: 30_000 })).not.toThrow();
    const given = withAdaptive(a, { loss: 'gbce', dropout: 0.2, batchSize: undefined });
    expect(given.loss).toBe('gbce');
    expect(given.dropout).toBe(0.2);
    expect(given.batchSize).toBe(32); // undefined is not a choice
    expect(resolveSasrecConfig({ ...given, numItems: 30_000 }).numNegatives).toBe(256); // gBCE's, not sampled-ce's 3000
    const text = describeAdaptive(a, { dropout: 0.2 });
    expect(text).toMatch(/dropout 0\.2 \(given; data suggests 0\.5\)/);
    expect(text).toMatch(/loss sampled-ce: 30000 items > 20k/);
    expect(shapeOf([Int32Array.of(1, 2, 3), new Int32Array(0)], 9)).toEqual({ users: 1, numItems: 9, interactions: 3, lengths: [3] });
  });
});
