// pages/home.js — the overview: headline figures for the latest market year (with the
// change from the year before), world production vs consumption, ending stocks with
// stocks-to-use, and the Arabica/Robusta split, from /api/world; next to the balance-sheet
// cards, the latest CFTC COT index of managed money (52 and 26 weeks, /api/cot/index),
// linking to the Positioning page. A snapshot without COT data still shows the balance.
import { api } from '../api.js';
import { addExports } from '../export.js';
import { COLORS, makeChart, myLabels, myTitle, qtyAxis, tooltipQty } from '../charts.js';
import { conv, coverageOf, esc, fmtCompact, fmtDate, fmtIndex, fmtMY, fmtPct, fmtSignedInt, myStatus, STU, stuCons, UNITS } from '../format.js';
import { extreme, extremeBadge } from './positioning.js';

// The series break (USDA's series for importing countries begin) comes from the data:
// format.js coverageOf(); in PSD's coffee data it is 2002/03.

const ptsDelta = (v, p, prev) => {
  if (p === null || p === undefined || v === null || v === undefined) return '<span class="muted">no earlier year</span>';
  const d = v - p;
  return `<span class="${d >= 0 ? 'up' : 'down'}">${d >= 0 ? '▲ +' : '▼ −'}${Math.abs(d).toFixed(1)} pts</span> vs ${fmtMY(prev.market_year)}`;
};

/** The stocks-to-use card: both measures, each named by its formula. */
function stuCard(cur, prev) {
  const one = (id, v, p, name) => `<p class="value stu" data-stu="${id}">${esc(fmtPct(v))}<span class="unit">${esc(name)}</span></p>`
    + `<p class="delta">${ptsDelta(v, p, prev)}</p>`;
  return `<div class="card" data-metric="stocks_to_use_pct"><p class="label">Stocks-to-use</p>`
    + one('cons', stuCons(cur), prev ? stuCons(prev) : null, '÷ consumption')
    + one('use', cur.stocks_to_use_pct, prev ? prev.stocks_to_use_pct : null, '÷ (consumption + exports)')
    + '</div>';
}

function card(label, key, cur, prev, units, isPct = false) {
  const v = cur[key], p = prev ? prev[key] : null;
  let value, unit = '', delta = '<span class="muted">no earlier year</span>';
  if (isPct) {
    value = fmtPct(v);
    if (p !== null && p !== undefined && v !== null) {
      const d = v - p;
      delta = `<span class="${d >= 0 ? 'up' : 'down'}">${d >= 0 ? '▲ +' : '▼ −'}${Math.abs(d).toFixed(1)} pts</span> vs ${fmtMY(prev.market_year)}`;
    }
  } else {
    ({ num: value, unit } = fmtCompact(v, units));
    if (p) {
      const d = (v - p) / p * 100;
      delta = `<span class="${d >= 0 ? 'up' : 'down'}">${d >= 0 ? '▲ +' : '▼ −'}${Math.abs(d).toFixed(1)}%</span> vs ${fmtMY(prev.market_year)}`;
    }
  }
  return `<div class="card" data-metric="${key}"><p class="label">${esc(label)}</p>`
    + `<p class="value">${esc(value)}<span class="unit">${esc(unit)}</span></p><p class="delta">${delta}</p></div>`;
}

/** The COT index cards (52 and 26 weeks) of the latest report, or a note when the
 *  snapshot has none. idx = [answer for 52, answer for 26] (null on error). */
function cotCards(idx, units) {
  const [i52, i26] = idx;
  const last = i52 && i52.rows.length ? i52.rows[i52.rows.length - 1] : null;
  if (!last || !i26) return '<p class="note" id="cot-none">No CFTC positioning data in this snapshot.</p>';
  const l26 = i26.rows.find((r) => r.report_date === last.report_date) || {};
  const q = units === 'mt' ? '&units=mt' : '';
  const one = (n, v) => {
    const ex = extreme(v);
    const delta = v === null || v === undefined
      ? `<span class="muted">fewer than ${n} reports in the last ${n} weeks</span>`
      : `${extremeBadge(v).trim() || '<span class="muted">within 20–80</span>'}`;
    return `<div class="card${ex ? ` extreme-${ex}` : ''}" data-metric="cot_index_${n}w">`
      + `<p class="label"><a href="#/positioning?window=${n}${q}">COT index, managed money · ${n} weeks</a></p>`
      + `<p class="value">${esc(fmtIndex(v))}<span class="unit">/ 100</span></p><p class="delta">${delta}</p></div>`;
  };
  return `<h2>Futures positioning <span class="muted" style="font-weight:400">(CFTC, week of ${esc(fmtDate(last.report_date))})</span></h2>
    <div class="cards" id="cot-headline">
      ${one(52, last.managed_money_index)}
      ${one(26, l26.managed_money_index)}
      <div class="card" data-metric="managed_money_net"><p class="label">Managed money net</p>
        <p class="value">${esc(fmtSignedInt(last.managed_money_net))}<span class="unit">contracts</span></p>
        <p class="delta"><a id="cot-link" href="#/positioning${q ? `?${q.slice(1)}` : ''}">Positioning →</a></p></div>
    </div>`;
}

export async function render(ctx) {
  const { units } = ctx;
  const soft = (p) => p.catch(() => null); // COT is a second source: its absence is no error here
  const [world, ...idx] = await Promise.all([api.world(), soft(api.cotIndex(52)), soft(api.cotIndex(26))]);
  if (ctx.stale()) return;
  // Leading years that only a handful of countries report (PSD's 1960) are not a world total.
  const all = world.rows.filter((r) => r.production);
  const cov = coverageOf(world.rows);
  const firstFull = all.findIndex((r) => r.market_year === cov.firstWorld);
  const FULL_COVERAGE = cov.fullFrom === null ? null : String(cov.fullFrom);
  const period = FULL_COVERAGE && ctx.q.get('from') === FULL_COVERAGE ? FULL_COVERAGE : 'all';
  const rows = all.slice(Math.max(firstFull, 0)).filter((r) => period === 'all' || r.market_year >= Number(FULL_COVERAGE));
  const brk = FULL_COVERAGE && rows[0].market_year < cov.fullFrom ? fmtMY(cov.fullFrom) : null;
  // before the break, consumption is producing countries' only: a stocks-to-use ratio over
  // it is no world ratio (it ran to 500%), so the ratios are drawn from the break on
  const okStu = (r) => cov.fullFrom === null || r.market_year >= cov.fullFrom;
  if (!rows.length) { ctx.main.innerHTML = '<p class="empty">No world data in this snapshot.</p>'; return; }
  const cur = rows[rows.length - 1], prev = rows.length > 1 ? rows[rows.length - 2] : null;
  const years = rows.map((r) => r.market_year);
  const labels = myLabels(years);
  const status = myStatus(cur.market_year, cur.release_date);
  const title = myTitle((i) => [rows[i].market_year, rows[i].release_date]);
  const u = UNITS[units];
  ctx.main.innerHTML = `
    <h1>World coffee balance</h1>
    <p class="lede">Supply and demand of green coffee summed over the ${cur.reporting_countries} countries USDA reports,
      market years ${fmtMY(years[0])} to ${fmtMY(cur.market_year)}. Figures in ${esc(u.long)}.</p>
    <div class="controls">
      <label class="field" for="period-select">Period
        <select id="period-select"><option value="all"${period === 'all' ? ' selected' : ''}>All years (${fmtMY(all[Math.max(firstFull, 0)].market_year)} on)</option>
          ${FULL_COVERAGE ? `<option value="${FULL_COVERAGE}"${period === FULL_COVERAGE ? ' selected' : ''}>${fmtMY(Number(FULL_COVERAGE))} on (importing countries covered)</option>` : ''}</select>
      </label>
    </div>
    <h2 id="h-latest">Market year ${fmtMY(cur.market_year)} <span class="muted" style="font-weight:400">(latest in this release${status ? `: <span class="my-status" data-status="${status}">USDA ${status}</span> in the ${esc(fmtDate(cur.release_date))} release` : ''})</span></h2>
    <div class="cards" id="headline">
      ${card('Production', 'production', cur, prev, units)}
      ${card('Consumption', 'domestic_consumption', cur, prev, units)}
      ${card('Exports', 'exports', cur, prev, units)}
      ${card('Ending stocks', 'ending_stocks', cur, prev, units)}
      ${stuCard(cur, prev)}
    </div>
    ${cotCards(idx, units)}
    <div class="grid">
      <section class="panel wide" aria-labelledby="h-pc">
        <div class="panel-head"><h2 id="h-pc">Production vs consumption</h2></div>
        <div class="chart tall" id="chart-prodcons"></div>
        ${brk ? `<p class="note" id="coverage-note">Series break at ${brk} (dashed line): USDA’s series for importing countries begin in ${brk}; before that, consumption, imports and stocks cover producing countries only. <a href="#/methodology">Methodology</a></p>` : ''}
      </section>
      <section class="panel" aria-labelledby="h-st">
        <h2 id="h-st">Ending stocks and stocks-to-use</h2>
        <div class="chart" id="chart-stocks"></div>
        <p class="note" id="stu-note">Two stocks-to-use measures: ${esc(STU.cons.short)} = ${esc(STU.cons.formula)}; ${esc(STU.use.short)} = ${esc(STU.use.formula)} (the API’s stocks_to_use_pct)${brk ? `; drawn from ${brk}, as before it consumption covers producing countries only` : ''}.</p>
      </section>
      <section class="panel" aria-labelledby="h-ar">
        <h2 id="h-ar">Arabica / Robusta split</h2>
        <div class="chart" id="chart-split"></div>
        <p class="note">${fmtMY(cur.market_year)}: Arabica ${fmtPct(100 * cur.arabica_production / cur.production)},
          Robusta ${fmtPct(100 * cur.robusta_production / cur.production)} of production.</p>
      </section>
    </div>`;
  ctx.main.querySelector('#period-select').addEventListener('change', (e) => ctx.setQuery({ from: e.target.value === 'all' ? null : e.target.value }));
  const series = (k) => rows.map((r) => conv(r[k], units));
  makeChart(ctx.main.querySelector('#chart-prodcons'),
    `Line chart of world production and consumption, ${fmtMY(years[0])} to ${fmtMY(cur.market_year)}, in ${u.long}.`, {
      type: 'line',
      data: {
        labels,
        datasets: [
          { label: 'Production', data: series('production'), borderColor: COLORS.production, backgroundColor: COLORS.production, pointRadius: 0, borderWidth: 2.5, tension: 0.15 },
          { label: 'Consumption', data: series('domestic_consumption'), borderColor: COLORS.consumption, backgroundColor: COLORS.consumption, pointRadius: 0, borderWidth: 2.5, tension: 0.15 },
        ],
      },
      options: { scales: { y: qtyAxis(units), x: { ticks: { maxTicksLimit: 14 } } }, plugins: { tooltip: { ...tooltipQty(units), callbacks: { ...tooltipQty(units).callbacks, title } }, seriesBreak: { at: brk } } },
    });
  makeChart(ctx.main.querySelector('#chart-stocks'),
    `Bar chart of world ending stocks with lines of both stocks-to-use measures in percent, ${fmtMY(years[0])} to ${fmtMY(cur.market_year)}.`, {
      data: {
        labels,
        datasets: [
          { type: 'bar', label: 'Ending stocks', data: series('ending_stocks'), backgroundColor: COLORS.stocks, yAxisID: 'y', order: 2 },
          { type: 'line', label: `${STU.cons.short} %`, data: rows.map((r) => (okStu(r) ? stuCons(r) : null)), borderColor: COLORS.ratio, backgroundColor: COLORS.ratio, pointRadius: 0, borderWidth: 2, yAxisID: 'pct', order: 1 },
          { type: 'line', label: `${STU.use.short} %`, data: rows.map((r) => (okStu(r) ? r.stocks_to_use_pct : null)), borderColor: COLORS.ratio2, backgroundColor: COLORS.ratio2, borderDash: [5, 3], pointRadius: 0, borderWidth: 2, yAxisID: 'pct', order: 1 },
        ],
      },
      options: {
        scales: {
          y: qtyAxis(units),
          pct: { position: 'right', beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: 'stocks-to-use %' }, ticks: { callback: (v) => `${v}%` } },
          x: { ticks: { maxTicksLimit: 10 } },
        },
        plugins: { tooltip: { ...tooltipQty(units), callbacks: { ...tooltipQty(units).callbacks, title } }, seriesBreak: { at: brk } },
      },
    });
  const splitRows = rows.filter((r) => (r.arabica_production || 0) + (r.robusta_production || 0) > 0);
  makeChart(ctx.main.querySelector('#chart-split'),
    `Stacked area chart of world Arabica, Robusta and other production by market year, in ${u.long}.`, {
      type: 'line',
      data: {
        labels: myLabels(splitRows.map((r) => r.market_year)),
        // each band filled from the one below it ('origin', then '-1'), in the legend's own
        // opaque colour: bands filled from the origin overlapped, so Arabica showed
        // through Robusta's translucent fill in a colour no legend entry has
        datasets: [
          { label: 'Arabica', data: splitRows.map((r) => conv(r.arabica_production, units)), borderColor: COLORS.arabica, backgroundColor: COLORS.arabica, fill: 'origin', pointRadius: 0, borderWidth: 1.5 },
          { label: 'Robusta', data: splitRows.map((r) => conv(r.robusta_production, units)), borderColor: COLORS.robusta, backgroundColor: COLORS.robusta, fill: '-1', pointRadius: 0, borderWidth: 1.5 },
          { label: 'Other', data: splitRows.map((r) => conv(r.other_production, units)), borderColor: COLORS.other, backgroundColor: COLORS.other, fill: '-1', pointRadius: 0, borderWidth: 1 },
        ],
      },
      options: {
        scales: { y: { ...qtyAxis(units), stacked: true }, x: { ticks: { maxTicksLimit: 10 } } },
        plugins: { tooltip: { ...tooltipQty(units), callbacks: { ...tooltipQty(units).callbacks, title: myTitle((i) => [splitRows[i].market_year, splitRows[i].release_date]) } } },
      },
    });
  addExports(ctx, 'overview');
}
