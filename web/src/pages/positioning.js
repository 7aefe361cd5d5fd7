// pages/positioning.js — who holds Coffee C futures: the CFTC Commitments of Traders
// (disaggregated, futures only), one report a week. From /api/cot (every report) and
// /api/cot/index?window= (26 or 52 weeks, in the URL as ?window=26; 52 is the default) it
// shows the latest week's figures, net positions by trader category over time, open
// interest, the COT index with its extremes (>= 80, <= 20) marked, a table of the latest
// weeks with week-on-week changes, and CSV downloads of both routes.
//
// Everything here counts futures contracts (37,500 lb of green coffee each), not bags: the
// units switch does not apply. Time is a linear axis of dates, so a missing stretch of
// reports (the sample has no 2022) shows as a gap, never as adjacent weeks.
import { api, cotCsvUrl, cotIndexCsvUrl } from '../api.js';
import { addExports } from '../export.js';
import { makeChart } from '../charts.js';
import { esc, fmtDate, fmtIndex, fmtInt, fmtSignedInt } from '../format.js';

export const CATEGORIES = [
  { key: 'managed_money', label: 'Managed money', color: '#d55e00' },
  { key: 'prod_merc', label: 'Producer/merchant', color: '#6b3a17' },
  { key: 'swap', label: 'Swap dealers', color: '#0072b2' },
  { key: 'other_rept', label: 'Other reportables', color: '#009e73' },
  { key: 'nonrept', label: 'Non-reportable', color: '#8c8c8c' },
];
const PERIODS = { all: 'All reports', '3y': 'Last 3 years', '1y': 'Last 12 months' };
const TABLE_WEEKS = 12;
const DAY = 86_400_000;
export const EXTREME_HIGH = 80;
export const EXTREME_LOW = 20;

const ts = (d) => Date.parse(`${d}T00:00:00Z`);
const shortDate = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** 'high' (>= 80), 'low' (<= 20) or '' for an index value. */
export const extreme = (v) => (v === null || v === undefined ? '' : v >= EXTREME_HIGH ? 'high' : v <= EXTREME_LOW ? 'low' : '');

/** {x, y} points of rows[key], with a null point after any gap of more than 10 days so
 *  the line breaks there instead of joining reports months apart. */
function points(rows, get) {
  const out = [];
  for (let i = 0; i < rows.length; i++) {
    const x = ts(rows[i].report_date);
    if (i && x - ts(rows[i - 1].report_date) > 10 * DAY) out.push({ x: ts(rows[i - 1].report_date) + DAY, y: null });
    out.push({ x, y: get(rows[i]) });
  }
  return out;
}

/** A linear time axis over rows' report dates: a tick at each year's start ("2019") over
 *  more than two years, else at each quarter's ("Apr 2023"). */
function timeAxis(rows) {
  const min = ts(rows[0].report_date), max = ts(rows[rows.length - 1].report_date);
  const yearly = max - min > 2 * 365 * DAY;
  return {
    type: 'linear', min, max,
    afterBuildTicks: (axis) => {
      const ticks = [];
      for (let y = new Date(min).getUTCFullYear(); y <= new Date(max).getUTCFullYear(); y++) {
        for (let m = 0; m < 12; m += yearly ? 12 : 3) {
          const v = Date.UTC(y, m, 1);
          if (v >= min && v <= max) ticks.push({ value: v });
        }
      }
      // at most one label per ~56 px (a phone gets every other year)
      const step = Math.max(1, Math.ceil((ticks.length * 56) / Math.max(axis.width, 1)));
      axis.ticks = ticks.filter((_, i) => i % step === 0);
    },
    ticks: { maxRotation: 0, callback: (v) => (yearly ? String(new Date(v).getUTCFullYear()) : shortDate.format(new Date(v))) },
    grid: { color: '#ece7e1' },
  };
}

const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
const contracts = (label) => ({
  title: { display: true, text: label },
  ticks: { callback: (v) => compact.format(v).replace('-', '−') },
});

function tooltip(suffix) {
  return {
    callbacks: {
      title: (items) => (items.length ? fmtDate(new Date(items[0].parsed.x).toISOString().slice(0, 10)) : ''),
      label: (c) => `${c.dataset.label}: ${c.parsed.y === null ? '—' : suffix === 'index' ? fmtIndex(c.parsed.y) : `${fmtInt(c.parsed.y)} contracts`}`,
    },
  };
}

/** Shades the extreme bands of a 0–100 index chart, under the lines (the bands are named
 *  on a right-hand axis, outside the plot, so no label ever hides a point); svg() gives the
 *  same bands to the chart's SVG export (export.js chartSvg). */
const BANDS = [[EXTREME_HIGH, 100, 'rgba(26,127,55,.10)', 'long'], [0, EXTREME_LOW, 'rgba(180,35,24,.09)', 'short']];
const bandRects = (chart) => BANDS.map(([lo, hi, fill, side]) => {
  const { chartArea: a, scales: { y } } = chart;
  const top = y.getPixelForValue(hi);
  return { x: a.left, y: top, w: a.right - a.left, h: y.getPixelForValue(lo) - top, fill, side };
});
const extremeBands = {
  id: 'cotExtremeBands',
  beforeDatasetsDraw(chart) {
    const { ctx } = chart;
    ctx.save();
    for (const r of bandRects(chart)) {
      ctx.fillStyle = r.fill;
      ctx.fillRect(r.x, r.y, r.w, r.h);
    }
    ctx.restore();
  },
  svg(chart) {
    return {
      under: bandRects(chart).map((r) => `<rect class="extreme-${r.side}" x="${r.x.toFixed(1)}" y="${r.y.toFixed(1)}" width="${r.w.toFixed(1)}" height="${r.h.toFixed(1)}" fill="${r.fill}"/>`).join(''),
    };
  },
};

/** The right-hand axis that names the bands: "extreme long" at 90, "extreme short" at 10. */
const bandAxis = {
  position: 'right', min: 0, max: 100,
  grid: { drawOnChartArea: false, drawTicks: false },
  border: { display: false },
  afterBuildTicks: (axis) => { axis.ticks = [{ value: (EXTREME_HIGH + 100) / 2 }, { value: EXTREME_LOW / 2 }]; },
  ticks: {
    callback: (v) => (v > 50 ? ['extreme', 'long'] : ['extreme', 'short']),
    color: (c) => (c.tick && c.tick.value > 50 ? '#1a7f37' : '#b42318'),
    font: { weight: '600', size: 11 },
  },
};

function card(id, label, value, unit, delta, cls = '') {
  return `<div class="card${cls ? ` ${cls}` : ''}" data-metric="${id}"><p class="label">${esc(label)}</p>`
    + `<p class="value">${esc(value)}<span class="unit">${esc(unit)}</span></p><p class="delta">${delta}</p></div>`;
}

const change = (v, what = 'w/w') => (v === null || v === undefined
  ? '<span class="muted">no report the week before</span>'
  : `<span class="${v >= 0 ? 'up' : 'down'}">${v >= 0 ? '▲' : '▼'} ${fmtSignedInt(v)}</span> ${what}`);

/** The badge that marks an extreme index value ('' when none). */
export function extremeBadge(v) {
  const e = extreme(v);
  if (!e) return '';
  return ` <span class="badge ${e === 'high' ? 'long' : 'short'}">${e === 'high' ? 'extreme long' : 'extreme short'}</span>`;
}

export async function render(ctx) {
  const { q } = ctx;
  const window = q.get('window') === '26' ? 26 : 52;
  const period = PERIODS[q.get('period')] ? q.get('period') : 'all';
  const [pos, idx] = await Promise.all([api.cot(), api.cotIndex(window)]);
  if (ctx.stale()) return;
  ctx.setTitle('Positioning');
  const all = pos.rows;
  if (!all.length) {
    ctx.main.innerHTML = '<h1>Positioning</h1><p class="empty">No Commitments of Traders data in this snapshot.</p>';
    return;
  }
  const latest = all[all.length - 1];
  const cut = period === 'all' ? -Infinity : ts(latest.report_date) - (period === '3y' ? 3 * 365 : 365) * DAY;
  const rows = all.filter((r) => ts(r.report_date) >= cut);
  const index = idx.rows.filter((r) => ts(r.report_date) >= cut);
  const idxByDate = new Map(idx.rows.map((r) => [r.report_date, r]));
  const li = idxByDate.get(latest.report_date) || {};
  const weeks = [...all].reverse().slice(0, TABLE_WEEKS);

  const tableRows = weeks.map((r) => {
    const ix = idxByDate.get(r.report_date) || {};
    const cell = (v, chg) => `<td data-raw="${v ?? ''}">${fmtSignedInt(v)}</td><td class="${chg > 0 ? 'pos' : chg < 0 ? 'neg' : ''}" data-raw="${chg ?? ''}">${fmtSignedInt(chg)}</td>`;
    const ex = extreme(ix.managed_money_index);
    return `<tr data-date="${esc(r.report_date)}"><th scope="row">${esc(fmtDate(r.report_date))}</th>`
      + `<td data-raw="${r.open_interest ?? ''}">${fmtInt(r.open_interest)}</td>`
      + `<td class="${r.open_interest_change > 0 ? 'pos' : r.open_interest_change < 0 ? 'neg' : ''}" data-raw="${r.open_interest_change ?? ''}">${fmtSignedInt(r.open_interest_change)}</td>`
      + cell(r.managed_money_net, r.managed_money_net_change)
      + cell(r.prod_merc_net, r.prod_merc_net_change)
      + `<td data-raw="${r.swap_net ?? ''}">${fmtSignedInt(r.swap_net)}</td>`
      + `<td data-raw="${r.other_rept_net ?? ''}">${fmtSignedInt(r.other_rept_net)}</td>`
      + `<td data-raw="${r.nonrept_net ?? ''}">${fmtSignedInt(r.nonrept_net)}</td>`
      + `<td class="index${ex ? ` extreme-${ex}` : ''}" data-raw="${ix.managed_money_index ?? ''}">${fmtIndex(ix.managed_money_index)}</td></tr>`;
  }).join('');

  const mmEx = extreme(li.managed_money_index), pmEx = extreme(li.prod_merc_index);
  ctx.main.innerHTML = `
    <h1>Positioning</h1>
    <p class="lede">Who holds ICE Coffee C futures, from the CFTC’s weekly Commitments of Traders report
      (disaggregated, futures only): positions as of Tuesday, published the Friday after.
      All figures are in <strong>futures contracts of 37,500 lb</strong> (about 17 t of green coffee) each; net = long − short.</p>
    <div class="controls">
      <label class="field" for="period-select">Period
        <select id="period-select">${Object.entries(PERIODS).map(([k, v]) => `<option value="${k}"${k === period ? ' selected' : ''}>${v}</option>`).join('')}</select>
      </label>
      <div class="field field-seg"><span id="window-label">COT index window</span>
        <div class="seg" role="group" aria-labelledby="window-label">
          <button type="button" id="window-26" data-window="26" aria-pressed="${window === 26}">26 weeks</button>
          <button type="button" id="window-52" data-window="52" aria-pressed="${window === 52}">52 weeks</button>
        </div>
      </div>
      <a class="button" id="csv-positions" href="${cotCsvUrl()}" download>⬇ Positions CSV</a>
      <a class="button" id="csv-index" href="${cotIndexCsvUrl(window)}" download>⬇ Index CSV (${window} weeks)</a>
    </div>
    <h2>Week of ${esc(fmtDate(latest.report_date))} <span class="muted" style="font-weight:400">(latest report)</span></h2>
    <div class="cards" id="cot-cards">
      ${card('managed_money_net', 'Managed money net', fmtSignedInt(latest.managed_money_net), 'contracts', change(latest.managed_money_net_change))}
      ${card('prod_merc_net', 'Producer/merchant net', fmtSignedInt(latest.prod_merc_net), 'contracts', change(latest.prod_merc_net_change))}
      ${card('open_interest', 'Open interest', fmtInt(latest.open_interest), 'contracts', change(latest.open_interest_change))}
      ${card('managed_money_index', `Managed money index · ${window} w`, fmtIndex(li.managed_money_index), '/ 100',
    li.managed_money_index === null || li.managed_money_index === undefined ? `<span class="muted">fewer than ${window} reports in ${window} weeks</span>` : (extremeBadge(li.managed_money_index) || '<span class="muted">within 20–80</span>'), mmEx ? `extreme-${mmEx}` : '')}
      ${card('prod_merc_index', `Producer/merchant index · ${window} w`, fmtIndex(li.prod_merc_index), '/ 100',
    li.prod_merc_index === null || li.prod_merc_index === undefined ? `<span class="muted">fewer than ${window} reports in ${window} weeks</span>` : (extremeBadge(li.prod_merc_index) || '<span class="muted">within 20–80</span>'), pmEx ? `extreme-${pmEx}` : '')}
    </div>
    <div class="grid">
      <section class="panel wide" aria-labelledby="h-net">
        <h2 id="h-net">Net position by trader category</h2>
        <div class="chart tall" id="chart-net"></div>
        <p class="note">Long minus short futures contracts held by each category. Producer/merchant (growers, traders, roasters)
          hedge and are usually net short; managed money (funds) is the speculative side.</p>
      </section>
      <section class="panel" aria-labelledby="h-oi">
        <h2 id="h-oi">Open interest</h2>
        <div class="chart" id="chart-oi"></div>
        <p class="note">Contracts open at the report date (each counted once).</p>
      </section>
      <section class="panel" aria-labelledby="h-idx">
        <h2 id="h-idx">COT index, ${window} weeks</h2>
        <div class="chart" id="chart-index"></div>
        <p class="note">100 × (net − lowest net) ÷ (highest − lowest) over the last ${window} weekly reports; shaded bands mark
          extremes (≥ ${EXTREME_HIGH}, ≤ ${EXTREME_LOW}). No value where fewer than ${window} reports fall in those ${window} weeks.</p>
      </section>
      <section class="panel wide" aria-labelledby="h-weeks">
        <h2 id="h-weeks">Latest ${weeks.length} weeks</h2>
        <div class="table-wrap"><table id="cot-table"><caption>Net positions in contracts and week-on-week changes (Δ), newest report first; COT index of managed money over ${window} weeks</caption>
          <thead><tr><th scope="col">Report date</th><th scope="col" data-unit="contracts">Open interest</th><th scope="col" data-unit="contracts">Δ</th>
            <th scope="col" data-unit="contracts">Managed money net</th><th scope="col" data-unit="contracts">Δ</th><th scope="col" data-unit="contracts">Producer/ merchant net</th><th scope="col" data-unit="contracts">Δ</th>
            <th scope="col" data-unit="contracts">Swap dealers net</th><th scope="col" data-unit="contracts">Other reportables net</th><th scope="col" data-unit="contracts">Non-reportable net</th>
            <th scope="col">MM index (${window} w)</th></tr></thead>
          <tbody>${tableRows}</tbody></table></div>
        <p class="note">Source: CFTC Commitments of Traders, disaggregated futures-only report, ICE Futures U.S. Coffee C (market code 083731).</p>
      </section>
    </div>`;

  ctx.main.querySelector('#period-select').addEventListener('change', (e) => ctx.setQuery({ period: e.target.value === 'all' ? null : e.target.value }));
  for (const b of ctx.main.querySelectorAll('.seg button')) {
    b.addEventListener('click', () => ctx.setQuery({ window: b.dataset.window === '26' ? '26' : null }));
  }

  const span = `${fmtDate(rows[0].report_date)} to ${fmtDate(latest.report_date)}`;
  makeChart(ctx.main.querySelector('#chart-net'), `Line chart of the net futures position of each trader category, ${span}, in contracts`, {
    type: 'line',
    data: {
      datasets: CATEGORIES.map((c) => ({
        label: c.label, data: points(rows, (r) => r[`${c.key}_net`]), borderColor: c.color, backgroundColor: c.color,
        pointRadius: 0, borderWidth: c.key === 'managed_money' || c.key === 'prod_merc' ? 2.5 : 1.5,
      })),
    },
    options: { parsing: false, scales: { x: timeAxis(rows), y: contracts('net contracts (long − short)') }, plugins: { tooltip: tooltip('contracts') } },
  });
  makeChart(ctx.main.querySelector('#chart-oi'), `Area chart of Coffee C open interest, ${span}, in contracts`, {
    type: 'line',
    data: {
      datasets: [{ label: 'Open interest', data: points(rows, (r) => r.open_interest), borderColor: '#6b3a17', backgroundColor: 'rgba(107,58,23,.18)', fill: true, pointRadius: 0, borderWidth: 2 }],
    },
    options: { parsing: false, scales: { x: timeAxis(rows), y: { ...contracts('contracts'), beginAtZero: true } }, plugins: { tooltip: tooltip('contracts'), legend: { display: false } } },
  });
  const exRadius = (c) => (extreme(c.raw && c.raw.y) ? 2.5 : 0);
  makeChart(ctx.main.querySelector('#chart-index'), `Line chart of the ${window}-week COT index of managed money and producer/merchant, 0 to 100, ${span}, with extremes at or above ${EXTREME_HIGH} and at or below ${EXTREME_LOW} marked`, {
    type: 'line',
    data: {
      datasets: [
        { label: 'Managed money', data: points(index, (r) => r.managed_money_index), borderColor: '#d55e00', backgroundColor: '#d55e00', borderWidth: 2, pointRadius: exRadius, pointHoverRadius: 4 },
        { label: 'Producer/merchant', data: points(index, (r) => r.prod_merc_index), borderColor: '#6b3a17', backgroundColor: '#6b3a17', borderWidth: 1.5, pointRadius: exRadius, pointHoverRadius: 4 },
      ],
    },
    options: {
      parsing: false,
      scales: { x: timeAxis(rows), y: { min: 0, max: 100, title: { display: true, text: 'index (0–100)' }, ticks: { stepSize: 20 } }, bands: bandAxis },
      plugins: { tooltip: tooltip('index') },
    },
    plugins: [extremeBands],
  });
  addExports(ctx, 'positioning');
}
