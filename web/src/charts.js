// charts.js — Chart.js (window.Chart, vendored from npm) with the dashboard's theme.
// makeChart() draws into a <canvas> inside a sized .chart box and remembers the chart so
// destroyCharts() can free them all when the view changes (no leaked listeners). Each
// canvas gets role="img" and an aria-label that says what it shows.
import { UNITS } from './format.js';

export const COLORS = {
  production: '#7a4419', consumption: '#0072b2', exports: '#e69f00', imports: '#56b4e9',
  stocks: '#009e73', ratio: '#cc3d8f', arabica: '#0072b2', robusta: '#d55e00', other: '#8c8c8c',
  supply: '#6b3a17',
};

const live = new Set();

function theme() {
  const C = window.Chart;
  if (!C || C.__materiaThemed) return;
  C.defaults.font.family = getComputedStyle(document.documentElement).fontFamily;
  C.defaults.font.size = 12;
  C.defaults.color = '#5c534d';
  C.defaults.borderColor = '#ece7e1';
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

/** Create a chart in `box` (an element with class .chart); `label` is its accessible name. */
export function makeChart(box, label, config) {
  theme();
  const canvas = document.createElement('canvas');
  canvas.setAttribute('role', 'img');
  canvas.setAttribute('aria-label', label);
  canvas.textContent = label;
  box.replaceChildren(canvas);
  const chart = new window.Chart(canvas, config);
  live.add(chart);
  return chart;
}

export function destroyCharts() {
  for (const c of live) c.destroy();
  live.clear();
}
