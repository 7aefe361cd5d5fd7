// charts.js — Chart.js (window.Chart, vendored from npm) with the dashboard's theme.
// makeChart() draws into a <canvas> inside a sized .chart box and remembers the chart so
// destroyCharts() can free them all when the view changes (no leaked listeners). Each
// canvas gets role="img" and an aria-label that says what it shows.
import { fmtMY, myStatus, UNITS } from './format.js';

export const COLORS = {
  production: '#7a4419', consumption: '#0072b2', exports: '#e69f00', imports: '#56b4e9',
  stocks: '#009e73', ratio: '#cc3d8f', ratio2: '#9467bd', arabica: '#0072b2', robusta: '#d55e00', other: '#8c8c8c',
  supply: '#6b3a17',
};

const live = new Set();

function theme() {
  const C = window.Chart;
  if (!C) return;
  // text and grid colours: theme.js owns them (Chart.defaults.color / borderColor follow the
  // light or dark scheme there), so a scheme switch and a re-render recolour every chart
  const css = getComputedStyle(document.documentElement);
  if (C.__materiaThemed) return;
  C.defaults.font.family = css.fontFamily;
  C.defaults.font.size = 12;
  C.defaults.animation = false;
  C.defaults.maintainAspectRatio = false;
  C.defaults.responsive = true;
  C.defaults.plugins.legend.labels.boxWidth = 12;
  C.defaults.plugins.legend.labels.boxHeight = 12;
  C.defaults.plugins.tooltip.mode = 'index';
  C.defaults.plugins.tooltip.intersect = false;
  C.defaults.interaction = { mode: 'index', intersect: false };
  C.defaults.scales.category.ticks.maxRotation = 0;
  C.defaults.scales.category.ticks.autoSkipPadding = 8;
  C.__materiaThemed = true;
}

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });

/** A y axis for quantities in the chosen units. */
export function qtyAxis(units, extra = {}) {
  return {
    beginAtZero: true,
    title: { display: true, text: UNITS[units].axis },
    ticks: { callback: (v) => compact.format(v) },
    ...extra,
  };
}

export function tooltipQty(units) {
  return {
    callbacks: {
      label: (ctx) => {
        const v = ctx.parsed.y ?? ctx.parsed;
        if (ctx.dataset.yAxisID === 'pct') return `${ctx.dataset.label}: ${v === null ? '—' : v.toFixed(1)}%`;
        return `${ctx.dataset.label}: ${v === null ? '—' : intFmt.format(v)} ${UNITS[units].short}`;
      },
    },
  };
}

/** Market-year labels for a chart's x axis: "2022/23", the same language as the tables. */
export const myLabels = (years) => years.map((y) => fmtMY(y));

/** Tooltip title for a market-year axis: "2022/23 · USDA forecast (release 20 Dec 2022)"
 *  where the year had not ended at the release (format.js myStatus). statusOf(index) gives
 *  [market_year, release_date] of the point. */
export function myTitle(statusOf) {
  return (items) => {
    if (!items.length) return '';
    const [y, rel] = statusOf(items[0].dataIndex);
    const st = myStatus(y, rel);
    return st === 'forecast' ? `${fmtMY(y)} · USDA forecast` : st === 'estimate' ? `${fmtMY(y)} · USDA estimate` : fmtMY(y);
  };
}

/** The series break (coverage change) drawn on a chart: a dashed vertical line before the
 *  x label `at` with the text "coverage change". Enable per chart with
 *  options.plugins.seriesBreak = { at: '2002/03' } (a label of the x axis); makeChart
 *  records it on the canvas as data-series-break so a test can read it.
 *  A plugin that draws on a chart also says how in SVG (svg(chart, opts) -> {under, over}),
 *  which export.js's chartSvg puts under or over the series: a drawing only on the canvas
 *  would be missing from the exported file. */
function breakAt(chart, opts) {
  if (!opts || !opts.at) return null;
  const i = chart.data.labels.indexOf(opts.at);
  if (i < 0) return null;
  const x = chart.scales.x;
  const px = i > 0 ? (x.getPixelForValue(i) + x.getPixelForValue(i - 1)) / 2 : x.getPixelForValue(i);
  const ink = getComputedStyle(document.documentElement).getPropertyValue('--ink').trim() || '#1f1a17';
  const text = opts.text || 'coverage change';
  const { ctx } = chart;
  ctx.save();
  ctx.font = `11px ${window.Chart.defaults.font.family}`;
  const w = ctx.measureText(text).width;
  ctx.restore();
  const right = px + 4 + w > chart.chartArea.right;
  return { px, ink, text, right, tx: right ? px - 4 : px + 4 };
}

export const seriesBreakPlugin = {
  id: 'seriesBreak',
  afterDatasetsDraw(chart, _args, opts) {
    const b = breakAt(chart, opts);
    if (!b) return;
    const { top, bottom } = chart.chartArea;
    const { ctx } = chart;
    ctx.save();
    ctx.strokeStyle = b.ink;
    ctx.globalAlpha = 0.75;
    ctx.setLineDash([4, 3]);
    ctx.lineWidth = 1.5;
    ctx.beginPath();
    ctx.moveTo(b.px, top);
    ctx.lineTo(b.px, bottom);
    ctx.stroke();
    ctx.setLineDash([]);
    ctx.globalAlpha = 1;
    ctx.fillStyle = b.ink;
    ctx.font = `11px ${window.Chart.defaults.font.family}`;
    ctx.textBaseline = 'top';
    ctx.textAlign = b.right ? 'right' : 'left';
    ctx.fillText(b.text, b.tx, top + 2);
    ctx.restore();
  },
  svg(chart, opts, xml) {
    const b = breakAt(chart, opts);
    if (!b) return {};
    const { top, bottom } = chart.chartArea;
    return {
      over: `<g class="series-break"><line x1="${b.px.toFixed(1)}" y1="${top.toFixed(1)}" x2="${b.px.toFixed(1)}" y2="${bottom.toFixed(1)}" stroke="${xml(b.ink)}" stroke-opacity="0.75" stroke-width="1.5" stroke-dasharray="4 3"/>`
        + `<text x="${b.tx.toFixed(1)}" y="${(top + 2).toFixed(1)}" text-anchor="${b.right ? 'end' : 'start'}" dominant-baseline="hanging" fill="${xml(b.ink)}" font-family="sans-serif" font-size="11">${xml(b.text)}</text></g>`,
    };
  },
};

/** Create a chart in `box` (an element with class .chart); `label` is its accessible name. */
export function makeChart(box, label, config) {
  theme();
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  canvas.textContent = label;
  box.replaceChildren(canvas);
  const brk = config.options?.plugins?.seriesBreak?.at;
  if (brk) {
    canvas.dataset.seriesBreak = brk;
    canvas.setAttribute('aria-label', `${label} A dashed line marks the series break (coverage change) at ${brk}.`);
  }
  const chart = new window.Chart(canvas, { ...config, plugins: [...(config.plugins || []), seriesBreakPlugin] });
  live.add(chart);
  return chart;
}

export function destroyCharts() {
  for (const c of live) c.destroy();
  live.clear();
}
