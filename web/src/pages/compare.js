// pages/compare.js — several countries on one chart for any balance-sheet metric, the
// whole choice in the URL so it can be shared: #/compare?c=BR,VM,CO&m=production. Codes are
// USDA's or ISO aliases (codes.js); a code that names no country, or several, is listed
// above the chart and left out. Data: /api/balance/{cc} of each country (cached per URL).
import { api } from '../api.js';
import { makeChart, qtyAxis } from '../charts.js';
import { resolveCode } from '../codes.js';
import { addExports } from '../export.js';
import { conv, esc, fmtInt, fmtMY, fmtPct, METRICS, UNITS } from '../format.js';

export const COMPARE_METRICS = ['production', 'arabica_production', 'robusta_production', 'other_production', 'exports', 'imports',
  'domestic_consumption', 'beginning_stocks', 'ending_stocks', 'total_supply', 'stocks_to_use_pct'];
const LABEL = { ...METRICS, stocks_to_use_pct: 'Stocks-to-use (ending stocks ÷ consumption + exports)' };
export const DEFAULT_CODES = ['BR', 'VM', 'CO'];
const MAX = 8;
// Okabe–Ito colour-blind-safe palette, then two more
const PALETTE = ['#0072b2', '#d55e00', '#009e73', '#cc79a7', '#e69f00', '#56b4e9', '#7a4419', '#555555'];

export async function render(ctx) {
  const { units, q } = ctx;
  const rows = (await api.countries()).rows;
  if (ctx.stale()) return;
  const metric = COMPARE_METRICS.includes(q.get('m')) ? q.get('m') : 'production';
  const asked = (q.has('c') ? q.get('c').split(',') : DEFAULT_CODES).map((s) => s.trim()).filter(Boolean).slice(0, MAX);
  const picked = [], problems = [];
  for (const code of asked) {
    const res = resolveCode(code, rows, q.get('code') === 'usda' ? 'usda' : '');
    if (res.kind === 'ok') { if (!picked.includes(res.row)) picked.push(res.row); } else problems.push({ code, res });
  }
  const data = await Promise.all(picked.map((r) => api.balance(r.country_code)));
  if (ctx.stale()) return;
  const isPct = metric === 'stocks_to_use_pct';
  const years = [...new Set(data.flatMap((d) => d.rows.map((r) => r.market_year)))].sort((a, b) => a - b);
  const u = UNITS[units];
  const setCodes = (list) => ctx.setQuery({ c: list.map((r) => r.country_code).join(','), code: null });
  const problemText = problems.map(({ code, res }) => (res.kind === 'ambiguous'
    ? `“${esc(code)}” names ${res.choices.map((c) => esc(c.row.country_name)).join(' or ')}: choose it below`
    : `“${esc(code)}” names no country in this snapshot`)).join('; ');
  const others = [...rows].filter((r) => !picked.includes(r)).sort((a, b) => a.country_name.localeCompare(b.country_name));
  ctx.main.innerHTML = `
    <h1>Compare countries</h1>
    <p class="lede">${esc(LABEL[metric])} of ${picked.length ? picked.map((r) => esc(r.country_name)).join(', ') : 'no country'} by market year${isPct ? '' : `, in ${esc(u.long)}`}. The address of this page keeps the choice: share it as a link.</p>
    ${problems.length ? `<p class="error" role="alert" id="compare-problems">${problemText}.</p>` : ''}
    <div class="controls">
      <label class="field" for="metric-select">Metric
        <select id="metric-select">${COMPARE_METRICS.map((m) => `<option value="${m}"${m === metric ? ' selected' : ''}>${esc(LABEL[m])}</option>`).join('')}</select></label>
      <label class="field" for="add-country">Add a country
        <select id="add-country"${picked.length >= MAX ? ' disabled' : ''}><option value="">${picked.length >= MAX ? `At most ${MAX}` : 'Choose…'}</option>${others.map((r) => `<option value="${esc(r.country_code)}">${esc(r.country_name)}</option>`).join('')}</select></label>
    </div>
    <ul class="chips" id="compare-chips" aria-label="Countries compared">${picked.map((r, i) => `<li data-cc="${esc(r.country_code)}"><span class="sw" style="background:${PALETTE[i]}"></span>${esc(r.country_name)}`
      + ` <button type="button" data-remove="${esc(r.country_code)}" aria-label="Remove ${esc(r.country_name)}">×</button></li>`).join('')}</ul>
    <section class="panel" aria-labelledby="h-cmp">
      <h2 id="h-cmp">${esc(LABEL[metric])}${isPct ? '' : ` <span class="muted" style="font-weight:400">(${esc(u.short)})</span>`}</h2>
      ${picked.length ? `<div class="chart tall" id="chart-compare" data-export="${metric}"></div>` : '<p class="empty">Add a country to draw the chart.</p>'}
    </section>`;
  ctx.main.querySelector('#metric-select').addEventListener('change', (e) => ctx.setQuery({ m: e.target.value === 'production' ? null : e.target.value }));
  ctx.main.querySelector('#add-country').addEventListener('change', (e) => {
    const r = rows.find((x) => x.country_code === e.target.value);
    if (r) setCodes([...picked, r]);
  });
  ctx.main.querySelector('#compare-chips').addEventListener('click', (e) => {
    const b = e.target.closest('button[data-remove]');
    if (b) setCodes(picked.filter((r) => r.country_code !== b.dataset.remove));
  });
  if (!picked.length) { addExports(ctx, 'compare'); return; }
  const labels = years.map(fmtMY);
  const datasets = picked.map((r, i) => {
    const by = new Map(data[i].rows.map((x) => [x.market_year, x[metric]]));
    return {
      label: r.country_name, countryCode: r.country_code,
      data: years.map((y) => (by.has(y) ? (isPct ? by.get(y) : conv(by.get(y), units)) : null)),
      borderColor: PALETTE[i], backgroundColor: PALETTE[i], pointRadius: 0, borderWidth: 2, tension: 0.15, spanGaps: false,
    };
  });
  makeChart(ctx.main.querySelector('#chart-compare'), `Line chart of ${LABEL[metric]} of ${picked.map((r) => r.country_name).join(', ')} by market year${isPct ? ', in percent' : `, in ${u.long}`}`, {
    type: 'line',
    data: { labels, datasets },
    options: {
      scales: {
        x: { ticks: { maxTicksLimit: 10 } },
        y: isPct ? { beginAtZero: true, title: { display: true, text: 'percent' } } : qtyAxis(units),
      },
      plugins: {
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${c.parsed.y === null ? '—' : isPct ? fmtPct(c.parsed.y) : `${fmtInt(c.parsed.y)} ${u.short}`}` } },
      },
    },
  });
  addExports(ctx, 'compare');
}
