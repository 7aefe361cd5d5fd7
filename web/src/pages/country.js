// pages/country.js — one country's balance sheet: a country selector, headline figures
// for its latest market year, production (by coffee type) and trade/use charts, the
// balance sheet by market year as a table sortable on every column (sort state in the
// URL), and a CSV download straight from the API (/api/balance/{cc}?format=csv).
import { api, csvUrl } from '../api.js';
import { addExports } from '../export.js';
import { COLORS, makeChart, myLabels, myTitle, qtyAxis, tooltipQty } from '../charts.js';
import { conv, esc, fmtCompact, fmtDate, fmtMY, fmtPct, fmtQty, myStatus, STU, stuCons, UNITS } from '../format.js';

const COLS = [
  { key: 'market_year', label: 'Market year', kind: 'year' },
  { key: 'production', label: 'Production' },
  { key: 'arabica_production', label: 'Arabica' },
  { key: 'robusta_production', label: 'Robusta' },
  { key: 'other_production', label: 'Other' },
  { key: 'beginning_stocks', label: 'Beginning stocks' },
  { key: 'imports', label: 'Imports' },
  { key: 'total_supply', label: 'Total supply' },
  { key: 'exports', label: 'Exports' },
  { key: 'domestic_consumption', label: 'Consumption' },
  { key: 'ending_stocks', label: 'Ending stocks' },
  { key: 'stu_cons_pct', label: STU.cons.short, kind: 'pct', title: STU.cons.formula },
  { key: 'stocks_to_use_pct', label: STU.use.short, kind: 'pct', title: STU.use.formula },
];
const DEFAULT_CC = 'BR';
let refocusSort = null;

function cell(col, r, units) {
  const v = r[col.key];
  if (col.kind === 'year') {
    const st = myStatus(v, r.release_date);
    return `<th scope="row">${fmtMY(v)}${st === 'forecast' ? ' <abbr class="my-status" data-status="forecast" title="USDA forecast in the release of this snapshot">F</abbr>' : ''}</th>`;
  }
  if (col.kind === 'pct') return `<td>${fmtPct(v)}</td>`;
  return `<td data-col="${col.key}" data-raw="${v ?? ''}">${fmtQty(v, units)}</td>`;
}

function sortRows(rows, key, dir) {
  const m = dir === 'asc' ? 1 : -1;
  return [...rows].sort((a, b) => {
    const x = a[key], y = b[key];
    if (x === y) return (a.market_year - b.market_year) * m;
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (x < y ? -1 : 1) * m;
  });
}

function tableHtml(rows, units, sort, dir, name) {
  const head = COLS.map((c) => {
    const aria = c.key === sort ? (dir === 'asc' ? 'ascending' : 'descending') : 'none';
    return `<th scope="col" aria-sort="${aria}"${c.title ? ` title="${esc(c.title)}"` : ''}${c.kind ? '' : ' data-qty'}><button type="button" data-sort="${c.key}">${esc(c.label)}</button></th>`;
  }).join('');
  const body = sortRows(rows, sort, dir).map((r) => `<tr data-year="${r.market_year}">${COLS.map((c) => cell(c, r, units)).join('')}</tr>`).join('');
  return `<table id="balance-table"><caption>Balance sheet of ${esc(name)} by market year, ${esc(UNITS[units].long)} (select a column heading to sort)</caption>`
    + `<thead><tr>${head}</tr></thead><tbody>${body}</tbody></table>`;
}

export async function render(ctx) {
  const { units, q } = ctx;
  const countries = await api.countries();
  if (ctx.stale()) return;
  const list = [...countries.rows].sort((a, b) => a.country_name.localeCompare(b.country_name));
  const cc = (ctx.param || DEFAULT_CC).toUpperCase();
  if (!list.some((c) => c.country_code === cc)) {
    ctx.main.innerHTML = `<h1>Unknown country</h1><p class="lede">No country with code “${esc(cc)}” in this snapshot. <a href="#/country">Choose a country</a>.</p>`;
    return;
  }
  const data = await api.balance(cc);
  if (ctx.stale()) return;
  const rows = data.rows.map((r) => ({ ...r, stu_cons_pct: stuCons(r) }));
  const name = data.country.country_name;
  const sort = COLS.some((c) => c.key === q.get('sort')) ? q.get('sort') : 'market_year';
  const dir = q.get('dir') === 'asc' ? 'asc' : 'desc';
  ctx.setTitle(name);
  const cur = rows[rows.length - 1], prev = rows[rows.length - 2];
  const cards = [['Production', 'production'], ['Exports', 'exports'], ['Imports', 'imports'], ['Consumption', 'domestic_consumption'], ['Ending stocks', 'ending_stocks']]
    .map(([label, k]) => {
      const { num, unit } = fmtCompact(cur ? cur[k] : null, units);
      let delta = '<span class="muted">—</span>';
      if (cur && prev && prev[k]) {
        const d = (cur[k] - prev[k]) / prev[k] * 100;
        delta = `<span class="${d >= 0 ? 'up' : 'down'}">${d >= 0 ? '▲ +' : '▼ −'}${Math.abs(d).toFixed(1)}%</span> vs ${fmtMY(prev.market_year)}`;
      }
      return `<div class="card" data-metric="${k}"><p class="label">${label}</p><p class="value">${esc(num)}<span class="unit">${esc(unit)}</span></p><p class="delta">${delta}</p></div>`;
    }).join('');
  const meta = [data.country.region, data.country.iso3].filter(Boolean).map(esc).join(' · ');
  ctx.main.innerHTML = `
    <h1 id="country-name">${esc(name)}</h1>
    <p class="lede">${meta ? `${meta}. ` : ''}Market years ${fmtMY(rows[0]?.market_year)} to ${fmtMY(cur?.market_year)}; latest shown below in ${esc(UNITS[units].long)}.</p>
    <div class="controls">
      <label class="field" for="country-select">Country
        <select id="country-select" name="country">${list.map((c) => `<option value="${esc(c.country_code)}"${c.country_code === cc ? ' selected' : ''}>${esc(c.country_name)}</option>`).join('')}</select>
      </label>
      ${units === 'mt'
    ? '<button type="button" class="button" id="csv-link">⬇ Download CSV <span class="muted" style="font-weight:400">(metric tons)</span></button>'
    : `<a class="button" id="csv-link" href="${csvUrl(cc)}" download>⬇ Download CSV <span class="muted" style="font-weight:400">(1000 bags)</span></a>`}
      <a class="button" href="#/revisions/${encodeURIComponent(cc)}${units === 'mt' ? '?units=mt' : ''}">Revisions</a>
    </div>
    ${cur ? `<h2 id="h-latest">Market year ${fmtMY(cur.market_year)}${myStatus(cur.market_year, cur.release_date) === 'forecast' ? ` <span class="muted" style="font-weight:400">(<span class="my-status" data-status="forecast">USDA forecast</span> in the ${esc(fmtDate(cur.release_date))} release)</span>` : ''}</h2><div class="cards" id="headline">${cards}</div>` : ''}
    <div class="grid">
      <section class="panel" aria-labelledby="h-prod"><h2 id="h-prod">Production by type</h2><div class="chart" id="chart-production"></div></section>
      <section class="panel" aria-labelledby="h-use"><h2 id="h-use">Trade, consumption and stocks</h2><div class="chart" id="chart-use"></div></section>
    </div>
    <section class="panel" aria-labelledby="h-table">
      <div class="panel-head"><h2 id="h-table">Balance sheet</h2><span class="note">Production = Arabica + Robusta + Other; supply = beginning stocks + production + imports; distribution = exports + consumption + ending stocks. F = USDA forecast (market year not ended at the release). <a href="#/methodology">Methodology</a></span></div>
      <div class="table-wrap" id="table-box">${tableHtml(rows, units, sort, dir, name)}</div>
    </section>`;
  ctx.main.querySelector('#country-select').addEventListener('change', (e) => {
    const keep = {};
    if (q.get('sort')) keep.sort = q.get('sort');
    if (q.get('dir')) keep.dir = q.get('dir');
    ctx.navigate('country', e.target.value, keep);
  });
  ctx.main.querySelector('#table-box').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-sort]');
    if (!b) return;
    const key = b.dataset.sort;
    const nextDir = key === sort ? (dir === 'asc' ? 'desc' : 'asc') : (key === 'market_year' ? 'desc' : 'desc');
    refocusSort = key;
    ctx.setQuery({ sort: key === 'market_year' && nextDir === 'desc' ? null : key, dir: nextDir === 'desc' ? null : nextDir });
  });
  if (refocusSort) {
    ctx.main.querySelector(`button[data-sort="${refocusSort}"]`)?.focus();
    refocusSort = null;
  }
  const labels = myLabels(rows.map((r) => r.market_year));
  const title = myTitle((i) => [rows[i].market_year, rows[i].release_date]);
  const tip = { ...tooltipQty(units), callbacks: { ...tooltipQty(units).callbacks, title } };
  const s = (k) => rows.map((r) => conv(r[k], units));
  const u = UNITS[units];
  makeChart(ctx.main.querySelector('#chart-production'), `Stacked bar chart of ${name}'s Arabica, Robusta and other production by market year, in ${u.long}`, {
    type: 'bar',
    data: {
      labels,
      datasets: [
        { label: 'Arabica', data: s('arabica_production'), backgroundColor: COLORS.arabica },
        { label: 'Robusta', data: s('robusta_production'), backgroundColor: COLORS.robusta },
        { label: 'Other', data: s('other_production'), backgroundColor: COLORS.other },
      ],
    },
    options: { scales: { x: { stacked: true, ticks: { maxTicksLimit: 10 } }, y: { ...qtyAxis(units), stacked: true } }, plugins: { tooltip: tip } },
  });
  makeChart(ctx.main.querySelector('#chart-use'), `Line chart of ${name}'s exports, imports, consumption and ending stocks by market year, in ${u.long}`, {
    type: 'line',
    data: {
      labels,
      datasets: [
        { label: 'Exports', data: s('exports'), borderColor: COLORS.exports, backgroundColor: COLORS.exports },
        { label: 'Imports', data: s('imports'), borderColor: COLORS.imports, backgroundColor: COLORS.imports },
        { label: 'Consumption', data: s('domestic_consumption'), borderColor: COLORS.consumption, backgroundColor: COLORS.consumption },
        { label: 'Ending stocks', data: s('ending_stocks'), borderColor: COLORS.stocks, backgroundColor: COLORS.stocks, borderDash: [5, 3] },
      ].map((d) => ({ ...d, pointRadius: 0, borderWidth: 2, tension: 0.15 })),
    },
    options: { scales: { y: qtyAxis(units), x: { ticks: { maxTicksLimit: 10 } } }, plugins: { tooltip: tip } },
  });
  addExports(ctx, `country-${cc}`);
  // The CSV button gives the balance sheet in the units on screen: in 1000 bags it is the
  // API's own CSV (every column, as published); in metric tons, which the API does not
  // serve, it is the balance table's download (every market year, in t).
  if (units === 'mt') {
    ctx.main.querySelector('#csv-link').addEventListener('click', () => {
      ctx.main.querySelector('.export-bar[data-block="balance-table"] button[data-export="csv"]').click();
    });
  }
}
