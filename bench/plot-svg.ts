/**
 * A line chart as SVG text (no DOM, no dependency), for bench/plot.ts: one polyline per series,
 * labelled axes from 0 to a round number over the data, and a legend. Labels come from result
 * files, which are data: every one is escaped.
 */
import { formatTick } from '../src/demo/results/svg.js';

export interface Series {
  label: string;
  points: { x: number; y: number }[];
}

export interface LineChart {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
}

// colour-blind-safe (Okabe-Ito), then two greys
const COLOURS = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#000000', '#999999'];

export const escapeXml = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** 0 .. a round top over `max`, in 4 to 5 steps of 1, 2, 2.5 or 5 × 10^k. */
export function niceTicks(max: number): number[] {
  const m = max > 0 ? max : 1;
  const step = 10 ** Math.floor(Math.log10(m / 4));
  const nice = [1, 2, 2.5, 5, 10].map((k) => k * step).find((s) => m / s <= 5)!;
  const n = Math.ceil(m / nice - 1e-9);
  return Array.from({ length: n + 1 }, (_, i) => +(i * nice).toPrecision(12));
}

/** `plotHeight` is the plot area's; the legend, one row per series under the axis, adds to it. */
export function lineChartSvg(chart: LineChart, width = 800, plotHeight = 360): string {
  const m = { left: 64, right: 24, top: 40, bottom: 52 + 18 * chart.series.length };
  const height = m.top + plotHeight + m.bottom;
  const plotW = width - m.left - m.right;
  const plotH = plotHeight;
  const all = chart.series.flatMap((s) => s.points);
  const xs = niceTicks(Math.max(0, ...all.map((p) => p.x)));
  const ys = niceTicks(Math.max(0, ...all.map((p) => p.y)));
  const X = (v: number) => m.left + (v / xs[xs.length - 1]) * plotW;
  const Y = (v: number) => m.top + plotH - (v / ys[ys.length - 1]) * plotH;
  const f = (v: number) => v.toFixed(1);
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  out.push(`<text x="${m.left}" y="22" font-size="15" font-weight="bold">${escapeXml(chart.title)}</text>`);
  for (const t of xs) {
    out.push(`<line x1="${f(X(t))}" y1="${m.top}" x2="${f(X(t))}" y2="${m.top + plotH}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${f(X(t))}" y="${m.top + plotH + 16}" text-anchor="middle">${formatTick(t)}</text>`);
  }
  for (const t of ys) {
    out.push(`<line x1="${m.left}" y1="${f(Y(t))}" x2="${m.left + plotW}" y2="${f(Y(t))}" stroke="#e4e4e4"/>`);
    out.push(`<text x="${m.left - 6}" y="${f(Y(t) + 4)}" text-anchor="end">${formatTick(t)}</text>`);
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#444"/>`);
  out.push(`<text x="${m.left + plotW / 2}" y="${m.top + plotH + 36}" text-anchor="middle">${escapeXml(chart.xLabel)}</text>`);
  out.push(`<text transform="translate(16 ${m.top + plotH / 2}) rotate(-90)" text-anchor="middle">${escapeXml(chart.yLabel)}</text>`);
  chart.series.forEach((s, i) => {
    const c = COLOURS[i % COLOURS.length];
    const dash = i >= COLOURS.length ? ' stroke-dasharray="6 3"' : '';
    const pts = s.points.map((p) => `${f(X(p.x))},${f(Y(p.y))}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${c}" stroke-width="2"${dash}/>`);
    for (const p of s.points) out.push(`<circle cx="${f(X(p.x))}" cy="${f(Y(p.y))}" r="2.5" fill="${c}"/>`);
    const ly = m.top + plotH + 58 + i * 18;
    const lx = m.left;
    out.push(`<line x1="${lx}" y1="${ly}" x2="${lx + 22}" y2="${ly}" stroke="${c}" stroke-width="2"${dash}/>`);
    out.push(`<text x="${lx + 28}" y="${ly + 4}">${escapeXml(s.label)}</text>`);
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
