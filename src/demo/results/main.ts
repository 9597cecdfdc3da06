/**
 * The results page: every figure in bench/results/*.json, plotted. The files are read at build
 * time (import.meta.glob), so the page fetches nothing; text reaches it through textContent only.
 */
import { allCharts, rowsOf, type Chart } from './data.js';
import { drawChart, formatValue } from './svg.js';

const files = import.meta.glob('../../../bench/results/*.json', { eager: true, import: 'default' }) as Record<string, unknown>;
const rows = rowsOf(files);
const charts = allCharts(rows);

const el = <K extends keyof HTMLElementTagNameMap>(tag: K, text?: string, cls?: string) => {
  const e = document.createElement(tag);
  if (text !== undefined) e.textContent = text;
  if (cls) e.className = cls;
  return e;
};

/** The chart's figures as a table too, for screen readers and for copying. */
function table(chart: Chart): HTMLElement {
  const details = el('details');
  details.append(el('summary', 'Figures'));
  const t = el('table');
  const cells = (tag: 'th' | 'td', values: string[], title?: string) => {
    const tr = el('tr');
    tr.append(...values.map((v) => el(tag, v)));
    if (title) (tr.firstChild as HTMLElement).title = title;
    return tr;
  };
  if (chart.kind === 'bars') {
    t.append(cells('th', ['run', ...chart.series.map((s) => `${s}${chart.unit ? ` (${chart.unit})` : ''}`)]));
    for (const r of chart.rows) t.append(cells('td', [r.label, ...r.values.map(formatValue)], r.source));
  } else {
    t.append(cells('th', ['run', chart.xLabel, chart.yLabel]));
    for (const p of chart.points) t.append(cells('td', [p.label, formatValue(p.x), formatValue(p.y)], p.source));
    for (const r of chart.refs) t.append(cells('td', [`${r.label} (baseline)`, '–', formatValue(r.y)]));
  }
  details.append(t);
  return details;
}

const figures = charts.map((chart) => {
  const fig = el('figure', undefined, 'result');
  fig.id = chart.id;
  const plot = el('div', undefined, 'plot');
  fig.append(el('h2', chart.title), el('p', chart.caption, 'caption'), plot, table(chart));
  return { chart, plot, fig };
});

function draw(): void {
  for (const { chart, plot } of figures) plot.replaceChildren(drawChart(chart, plot.clientWidth));
}

const dates = rows.map((r) => r.date).filter((d): d is string => !!d).sort();
document.getElementById('summary')!.textContent =
  `${charts.length} charts from ${new Set(rows.map((r) => r.file)).size} result files (${rows.length} recorded runs${dates.length ? `, ${dates[0]} to ${dates.at(-1)}` : ''}). Hover a bar for its file, command and machine.`;
document.getElementById('charts')!.replaceChildren(...figures.map((f) => f.fig));
draw();
let lastWidth = window.innerWidth;
window.addEventListener('resize', () => {
  if (window.innerWidth === lastWidth) return;
  lastWidth = window.innerWidth;
  draw();
});
document.body.dataset.ready = 'true';
