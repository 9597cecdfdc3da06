import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { accuracyCharts, allCharts, costCharts, encoderChart, historyChart, rowsOf } from './data.js';

const DIR = path.resolve(import.meta.dirname, '../../../bench/results');
const files = Object.fromEntries(readdirSync(DIR).filter((f) => f.endsWith('.json')).map((f) => [`/bench/results/${f}`, JSON.parse(readFileSync(path.join(DIR, f), 'utf8'))]));
const rows = rowsOf(files);

describe('results page data, from the committed bench/results', () => {
  it('reads every row of every file, lists or single objects', () => {
    const expected = Object.values(files).reduce((n: number, j) => n + (Array.isArray(j) ? j.length : 1), 0);
    expect(rows).toHaveLength(expected);
    expect(new Set(rows.map((r) => r.file)).size).toBe(Object.keys(files).length);
  });

  it('accuracy charts hold test-split rows only, one chart per dataset, each figure as recorded', () => {
    const charts = accuracyCharts(rows);
    expect(charts.map((c) => c.id).sort()).toEqual(['accuracy-amazon-scientific', 'accuracy-ml-1m']);
    const ml = charts.find((c) => c.id === 'accuracy-ml-1m')!;
    const cooc = ml.rows.find((r) => r.label === 'cooccurrence')!;
    expect(cooc.values).toEqual([0.1541, 0.2656]);
    expect(cooc.source).toContain('accuracy-baselines.json');
    const recorded = rows.filter((r) => r.dataset === 'ml-1m' && (r.benchmark === 'accuracy' || r.benchmark === 'molar'));
    expect(ml.rows).toHaveLength(recorded.filter((r) => r.split === 'test' || r.benchmark === 'molar').length);
    // sorted best first
    expect(ml.rows.every((r, i) => i === 0 || r.values[0] <= ml.rows[i - 1].values[0])).toBe(true);
  });

  it('a row of another split is never plotted as test', () => {
    const valid = { benchmark: 'accuracy', dataset: 'toy', model: 'm', split: 'valid', metrics: { 'ndcg@10': 0.9, 'recall@10': 0.9 } };
    const test = { ...valid, split: 'test', metrics: { 'ndcg@10': 0.1, 'recall@10': 0.2 } };
    const [chart] = accuracyCharts(rowsOf({ 'a.json': valid, 'b.json': test, 'c.json': 'not a result', 'd.json': [{ metrics: {} }] }));
    expect(chart.rows.map((r) => r.values)).toEqual([[0.1, 0.2]]);
  });

  it('latency charts: record() percentiles by history size; encoders as ms per item, failed runs left out', () => {
    const h = historyChart(rows)!;
    expect(h.series).toEqual(['p50', 'p95', 'max']);
    expect(h.rows.find((r) => r.label === '500 stored events')!.values).toEqual([0.32, 4.83, 13.14]);
    const enc = encoderChart(rows)!;
    expect(enc.rows.find((r) => r.label === 'use-lite, browser wasm')!.values[0]).toBeCloseTo(1000 / 44.1397, 3);
    expect(enc.rows.every((r) => Number.isFinite(r.values[0]) && r.values[0] > 0)).toBe(true);
  });

  it('training time against accuracy: SASRec runs with their wall minutes, baselines as reference lines', () => {
    const ml = costCharts(rows).find((c) => c.id === 'cost-ml-1m')!;
    const withWall = rows.filter((r) => r.dataset === 'ml-1m' && r.benchmark === 'accuracy' && typeof r.metrics.wall_min === 'number');
    expect(ml.points).toHaveLength(withWall.length);
    expect(ml.points.every((p) => p.x > 0 && p.y > 0)).toBe(true);
    expect(ml.refs).toEqual(expect.arrayContaining([{ label: 'cooccurrence', y: 0.1541 }, { label: 'popularity', y: 0.018 }]));
  });

  it('every chart has rows and finite or missing (NaN) figures only', () => {
    const charts = allCharts(rows);
    expect(charts.map((c) => c.id)).toEqual(['accuracy-amazon-scientific', 'accuracy-ml-1m', 'cost-amazon-scientific', 'cost-ml-1m', 'coldstart', 'history-record', 'train-speed', 'encoders']);
    for (const c of charts) {
      if (c.kind === 'scatter') continue;
      expect(c.rows.length).toBeGreaterThan(0);
      for (const r of c.rows) expect(r.values).toHaveLength(c.series.length);
    }
  });
});
