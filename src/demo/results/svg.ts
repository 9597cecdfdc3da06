/**
 * A horizontal bar chart as inline SVG, drawn with DOM calls: every label and figure is set with
 * textContent or setAttribute (figures come from files, and files are data, never markup). Drawn
 * for one width; the page draws again when its width changes.
 */
import type { BarChart, Chart, ScatterChart } from './data.js';

const NS = 'http://www.w3.org/2000/svg';
export const SERIES_COLOURS = ['#4b32c3', '#b7a9f5', '#e08a2c'];

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Record<string, string | number>, text?: string): SVGElementTagNameMap[K] {
  const e = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, String(v));
  if (text !== undefined) e.textContent = text;
  return e;
}

/** 0.1541 → "0.154", 910.57 → "911", 0.32 → "0.32", 43437 → "43.4k" */
export function formatValue(v: number): string {
  if (!Number.isFinite(v)) return '–';
  const a = Math.abs(v);
  if (a >= 10_000) return `${(v / 1000).toFixed(1)}k`;
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return v.toFixed(1);
  if (a >= 1) return v.toFixed(2);
  return v.toFixed(3);
}

/** 1000 → "1000", 10000 → "10k", 0.01 → "0.01", 0.25 → "0.25": axis ticks, as short as they can be */
export function formatTick(v: number): string {
  if (v >= 10_000) return `${+(v / 1000).toFixed(1)}k`;
  return String(+v.toPrecision(3));
}

interface Axis {
  x: (v: number) => number;
  ticks: number[];
}

/** A linear axis from 0 to a round number over the largest value, or a log axis over whole decades. */
function axis(values: number[], log: boolean, width: number): Axis {
  const finite = values.filter((v) => Number.isFinite(v) && (!log || v > 0));
  if (log) {
    const lo = finite.length ? Math.floor(Math.log10(Math.min(...finite))) : 0;
    const hi = Math.max(lo + 1, finite.length ? Math.ceil(Math.log10(Math.max(...finite))) : 1);
    const ticks = Array.from({ length: hi - lo + 1 }, (_, i) => 10 ** (lo + i));
    return { x: (v) => (v > 0 ? ((Math.log10(v) - lo) / (hi - lo)) * width : 0), ticks };
  }
  const max = Math.max(...finite, 0) || 1;
  const step = 10 ** Math.floor(Math.log10(max / 4));
  const nice = [1, 2, 2.5, 5, 10].map((m) => m * step).find((s) => max / s <= 5)!;
  const top = Math.ceil(max / nice) * nice;
  return { x: (v) => (Math.max(0, v) / top) * width, ticks: Array.from({ length: Math.round(top / nice) + 1 }, (_, i) => i * nice) };
}

const clip = (s: string, chars: number) => (s.length <= chars ? s : `${s.slice(0, Math.max(1, chars - 1))}…`);

/**
 * Rows of bars, sorted as given, with a legend and an axis. Wide: labels left of the bars. Narrow
 * (under 560 px, a phone): each label above its bars, so the bars keep most of the width.
 */
export function drawBarChart(chart: BarChart, width: number): SVGSVGElement {
  const w = Math.max(280, Math.round(width));
  const stacked = w < 560;
  const labelW = stacked ? 0 : Math.min(300, Math.round(w * 0.4));
  const valueW = 46;
  const x0 = stacked ? 2 : labelW + 8;
  const plotW = w - x0 - valueW;
  const bar = chart.series.length > 1 ? 8 : 12;
  const labelH = stacked ? 14 : 0;
  const rowH = labelH + bar * chart.series.length + 8;
  const legendRows = stacked && chart.series.length > 2 ? 2 : 1;
  const top = 8 + 18 * legendRows;
  const plotH = chart.rows.length * rowH;
  const h = top + plotH + 24; // + axis labels
  const root = svg('svg', { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img', 'aria-labelledby': `${chart.id}-t`, class: 'chart', 'data-chart': chart.id });
  root.append(svg('title', { id: `${chart.id}-t` }, `${chart.title}${chart.unit ? ` (${chart.unit})` : ''}`));
  const { x, ticks } = axis(chart.rows.flatMap((r) => r.values), chart.log ?? false, plotW);

  // legend
  let lx = x0;
  let ly = 6;
  chart.series.forEach((name, i) => {
    const label = `${name}${chart.unit ? ` (${chart.unit})` : ''}`;
    if (lx > x0 && lx + 30 + 7 * label.length > w) [lx, ly] = [x0, ly + 18];
    root.append(svg('rect', { x: lx, y: ly, width: 12, height: 12, rx: 2, fill: SERIES_COLOURS[i] }));
    root.append(svg('text', { x: lx + 16, y: ly + 10, class: 'legend' }, label));
    lx += 30 + 7 * label.length;
  });

  // grid and ticks; a tick label is skipped where it would touch the one before
  let lastLabel = -Infinity;
  for (const t of ticks) {
    const tx = x0 + x(t);
    root.append(svg('line', { x1: tx, x2: tx, y1: top - 2, y2: top + plotH, class: 'grid' }));
    const text = formatTick(t);
    if (tx - lastLabel < 8 * text.length + 6) continue;
    lastLabel = tx;
    const half = 3.2 * text.length; // ticks at the edges are anchored inward, not cut off
    const anchor = tx - half < 0 ? 'start' : tx + half > w ? 'end' : 'middle';
    root.append(svg('text', { x: tx, y: top + plotH + 16, 'text-anchor': anchor, class: 'tick' }, text));
  }

  const chars = Math.floor((stacked ? w : labelW) / 6.4);
  chart.rows.forEach((row, r) => {
    const y = top + r * rowH + 4;
    const g = svg('g', { class: 'row', 'data-label': row.label });
    g.append(svg('title', {}, `${row.label}\n${chart.series.map((s, i) => `${s}: ${formatValue(row.values[i])}${chart.unit ? ` ${chart.unit}` : ''}`).join(', ')}\n${row.source}`));
    const label = clip(row.label, chars);
    g.append(stacked
      ? svg('text', { x: x0, y: y + 9, class: 'label' }, label)
      : svg('text', { x: labelW, y: y + (rowH - 8) / 2 + 4, 'text-anchor': 'end', class: 'label' }, label));
    row.values.forEach((v, i) => {
      const by = y + labelH + i * bar;
      const bw = Number.isFinite(v) ? Math.max(1, x(v)) : 0;
      g.append(svg('rect', { x: x0, y: by, width: bw, height: bar - 1, fill: SERIES_COLOURS[i], 'data-value': Number.isFinite(v) ? v : '' }));
      // the first series' figure is printed; the others are in the hover title and the table
      if (i === 0) g.append(svg('text', { x: x0 + bw + 4, y: by + bar - 1, class: 'value' }, formatValue(v)));
    });
    root.append(g);
  });
  return root;
}

/** Dots on linear axes from round numbers below and above the data, with dashed reference lines. */
export function drawScatter(chart: ScatterChart, width: number): SVGSVGElement {
  const w = Math.max(280, Math.round(width));
  const h = Math.round(Math.min(360, Math.max(240, w * 0.45)));
  const m = { left: 48, right: 12, top: 24, bottom: 38 };
  const pw = w - m.left - m.right;
  const ph = h - m.top - m.bottom;
  const root = svg('svg', { viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img', 'aria-labelledby': `${chart.id}-t`, class: 'chart', 'data-chart': chart.id });
  root.append(svg('title', { id: `${chart.id}-t` }, chart.title));
  const xs = axis(chart.points.map((p) => p.x), false, pw);
  const ys = [...chart.points.map((p) => p.y), ...chart.refs.map((r) => r.y)];
  const yAxis = axis(ys, false, ph);
  const X = (v: number) => m.left + xs.x(v);
  const Y = (v: number) => m.top + ph - yAxis.x(v);
  for (const t of xs.ticks) {
    root.append(svg('line', { x1: X(t), x2: X(t), y1: m.top, y2: m.top + ph, class: 'grid' }));
    root.append(svg('text', { x: X(t), y: m.top + ph + 14, 'text-anchor': 'middle', class: 'tick' }, formatTick(t)));
  }
  for (const t of yAxis.ticks) {
    root.append(svg('line', { x1: m.left, x2: m.left + pw, y1: Y(t), y2: Y(t), class: 'grid' }));
    root.append(svg('text', { x: m.left - 4, y: Y(t) + 3, 'text-anchor': 'end', class: 'tick' }, formatTick(t)));
  }
  root.append(svg('text', { x: m.left + pw / 2, y: h - 4, 'text-anchor': 'middle', class: 'legend' }, chart.xLabel));
  root.append(svg('text', { x: m.left, y: 12, class: 'legend' }, chart.yLabel));
  for (const r of chart.refs) {
    const g = svg('g', { class: 'ref' });
    g.append(svg('line', { x1: m.left, x2: m.left + pw, y1: Y(r.y), y2: Y(r.y), stroke: SERIES_COLOURS[2], 'stroke-dasharray': '5 4' }));
    g.append(svg('text', { x: m.left + pw - 2, y: Y(r.y) - 3, 'text-anchor': 'end', class: 'value' }, `${r.label} ${formatValue(r.y)}`));
    root.append(g);
  }
  for (const p of chart.points) {
    const g = svg('g', { class: 'row', 'data-label': p.label });
    g.append(svg('title', {}, `${p.label}\n${chart.yLabel}: ${formatValue(p.y)}, ${chart.xLabel}: ${formatValue(p.x)}\n${p.source}`));
    g.append(svg('circle', { cx: X(p.x), cy: Y(p.y), r: 4.5, fill: SERIES_COLOURS[0], 'fill-opacity': 0.7, 'data-x': p.x, 'data-y': p.y }));
    root.append(g);
  }
  return root;
}

export function drawChart(chart: Chart, width: number): SVGSVGElement {
  return chart.kind === 'bars' ? drawBarChart(chart, width) : drawScatter(chart, width);
}
