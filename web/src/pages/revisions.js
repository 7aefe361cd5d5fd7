// pages/revisions.js — how USDA's estimate moved from release to release. For a country
// and attribute (in the URL) it fetches /api/revisions/{cc}?attribute= once and shows:
// the estimate path of one market year across releases (default: the latest year), the
// estimates of recent market years as published by each of the newest releases, and a
// table of that market year's releases with the change each one made. /api/releases
// lists what has been landed.
import { api } from '../api.js';
import { addExports } from '../export.js';
import { makeChart, qtyAxis, tooltipQty } from '../charts.js';
import { conv, esc, fmtDate, fmtMY, fmtQty, fmtSigned, METRICS, myStatus, UNITS } from '../format.js';

const ATTRS = ['production', 'arabica_production', 'robusta_production', 'exports', 'imports', 'domestic_consumption', 'ending_stocks', 'beginning_stocks'];
const RELEASE_COLORS = ['#6b3a17', '#0072b2', '#d55e00', '#009e73', '#cc3d8f', '#8c8c8c'];

export async function render(ctx) {
  const { units, q } = ctx;
  const cc = (ctx.param || 'BR').toUpperCase();
  const attribute = ATTRS.includes(q.get('attribute')) ? q.get('attribute') : 'production';
  const [countries, rev, releases] = await Promise.all([api.countries(), api.revisions(cc, attribute), api.releases()]);
  if (ctx.stale()) return;
  const list = [...countries.rows].sort((a, b) => a.country_name.localeCompare(b.country_name));
  const country = list.find((c) => c.country_code === cc);
  const name = country ? country.country_name : cc;
  const rows = rev.rows;
  const years = [...new Set(rows.map((r) => r.market_year))].sort((a, b) => b - a);
  const relDates = [...new Set(rows.map((r) => r.release_date))].sort();
  let my = Number(q.get('market_year')) || years[0];
  if (!years.includes(my)) my = years[0];
  const path = rows.filter((r) => r.market_year === my).sort((a, b) => String(a.release_date).localeCompare(String(b.release_date)));
  const u = UNITS[units];
  const attrLabel = METRICS[attribute] || attribute;
  ctx.setTitle(`Revisions — ${name}`);
  const tableRows = [...path].reverse().map((r) => {
    const pct = r.previous_value ? 100 * r.change / r.previous_value : null;
    const cls = r.change > 0 ? 'pos' : r.change < 0 ? 'neg' : '';
    return `<tr><th scope="row">${esc(fmtDate(r.release_date))}</th><td data-raw="${r.value ?? ''}">${fmtQty(r.value, units)}</td>`
      + `<td>${r.previous_value === null ? '<span class="muted" title="The first value this system stored for this key; USDA may have published earlier estimates before it">first stored value</span>' : fmtQty(r.previous_value, units)}</td>`
      + `<td class="${cls}">${r.change === null ? '—' : fmtSigned(r.change, units)}</td>`
      + `<td class="${cls}">${pct === null ? '—' : `${pct >= 0 ? '+' : '−'}${Math.abs(pct).toFixed(1)}%`}</td>`
      + `<td class="my-status" data-status="${myStatus(my, r.release_date) || ''}">${esc(myStatus(my, r.release_date) ? `USDA ${myStatus(my, r.release_date)}` : '—')}</td></tr>`;
  }).join('');
  const single = relDates.length <= 1;
  ctx.main.innerHTML = `
    <h1>Revisions</h1>
    <p class="lede">USDA revises each market year’s estimates in every release until the year is closed.
      Follow one estimate from the first value stored here to the latest release.</p>
    <div class="controls">
      <label class="field" for="rev-country">Country
        <select id="rev-country">${list.map((c) => `<option value="${esc(c.country_code)}"${c.country_code === cc ? ' selected' : ''}>${esc(c.country_name)}</option>`).join('')}</select></label>
      <label class="field" for="rev-attribute">Estimate
        <select id="rev-attribute">${ATTRS.map((a) => `<option value="${a}"${a === attribute ? ' selected' : ''}>${esc(METRICS[a])}</option>`).join('')}</select></label>
      <label class="field" for="rev-year">Market year
        <select id="rev-year">${years.map((y) => `<option value="${y}"${y === my ? ' selected' : ''}>${fmtMY(y)}</option>`).join('')}</select></label>
    </div>
    ${single ? `<p class="note" id="single-release" role="status">This snapshot holds ${relDates.length ? `one release (${esc(fmtDate(relDates[0]))})` : 'no release'}: every value below is the first stored value (the first this system stored, not necessarily USDA’s first estimate). Revisions appear as further USDA releases are landed.</p>` : ''}
    ${rows.length ? `<div class="grid" style="margin-top:12px">
      <section class="panel" aria-labelledby="h-path"><h2 id="h-path">${esc(name)} ${esc(attrLabel.toLowerCase())}, ${fmtMY(my)}: estimate by release</h2>
        <div class="chart" id="chart-path"></div></section>
      <section class="panel" aria-labelledby="h-vint"><h2 id="h-vint">Recent market years as published by each release</h2>
        <div class="chart" id="chart-vintages"></div></section>
      <section class="panel wide" aria-labelledby="h-tab"><h2 id="h-tab">Releases for ${fmtMY(my)}</h2>
        <div class="table-wrap"><table id="revisions-table"><caption>${esc(attrLabel)} of ${esc(name)} for market year ${fmtMY(my)}, ${esc(u.long)}, newest release first</caption>
          <thead><tr><th scope="col">Release</th><th scope="col" data-qty>Value</th><th scope="col" data-qty>Previous</th><th scope="col" data-qty>Change</th><th scope="col">Change %</th><th scope="col" title="Forecast while the market year had not ended at the release (October–September coffee year); estimate after">Status</th></tr></thead>
          <tbody>${tableRows}</tbody></table></div></section>
    </div>` : `<p class="empty">No ${esc(attrLabel.toLowerCase())} estimates for ${esc(name)}.</p>`}
    <section class="panel" aria-labelledby="h-rel" style="margin-top:16px"><h2 id="h-rel">Landed releases</h2>
      <div class="table-wrap"><table><thead><tr><th scope="col">Release date</th><th scope="col">Rows</th><th scope="col">Landed</th></tr></thead>
      <tbody>${releases.rows.map((r) => `<tr><th scope="row">${esc(fmtDate(r.release_date))}</th><td>${Number(r.rows).toLocaleString('en-US')}</td><td>${esc(String(r.landed_at ?? '').slice(0, 16).replace('T', ' '))}</td></tr>`).join('')}</tbody></table></div>
    </section>`;
  ctx.main.querySelector('#rev-country').addEventListener('change', (e) => ctx.navigate('revisions', e.target.value, { attribute: attribute === 'production' ? null : attribute }));
  ctx.main.querySelector('#rev-attribute').addEventListener('change', (e) => ctx.setQuery({ attribute: e.target.value === 'production' ? null : e.target.value, market_year: null }));
  ctx.main.querySelector('#rev-year').addEventListener('change', (e) => ctx.setQuery({ market_year: Number(e.target.value) === years[0] ? null : e.target.value }));
  if (!rows.length) return;
  makeChart(ctx.main.querySelector('#chart-path'), `Line chart of the ${attrLabel} estimate for ${name}, market year ${fmtMY(my)}, across ${path.length} USDA releases, in ${u.long}`, {
    type: 'line',
    data: {
      labels: path.map((r) => fmtDate(r.release_date)),
      datasets: [{ label: path.length === 1 ? `${fmtMY(my)}: first stored value` : `${fmtMY(my)} value by release`, data: path.map((r) => conv(r.value, units)), borderColor: '#6b3a17', backgroundColor: '#6b3a17', pointRadius: 5, borderWidth: 2, stepped: false }],
    },
    options: { scales: { x: { offset: true }, y: qtyAxis(units, { beginAtZero: false, grace: '10%' }) }, plugins: { tooltip: tooltipQty(units) } },
  });
  const recentYears = years.slice(0, 12).reverse();
  const newest = relDates.slice(-RELEASE_COLORS.length);
  makeChart(ctx.main.querySelector('#chart-vintages'), `Line chart of ${name}'s ${attrLabel} for market years ${fmtMY(recentYears[0])} to ${fmtMY(recentYears[recentYears.length - 1])} as published by the ${newest.length} newest releases, in ${u.long}`, {
    type: 'line',
    data: {
      labels: recentYears.map(fmtMY),
      datasets: newest.map((d, i) => {
        const byYear = new Map(rows.filter((r) => r.release_date === d).map((r) => [r.market_year, r.value]));
        const c = RELEASE_COLORS[(newest.length - 1 - i) % RELEASE_COLORS.length];
        return { label: `Release ${fmtDate(d)}`, data: recentYears.map((y) => conv(byYear.get(y) ?? null, units)), borderColor: c, backgroundColor: c, pointRadius: 3, borderWidth: 2, spanGaps: true };
      }),
    },
    options: { scales: { y: qtyAxis(units, { beginAtZero: false, grace: '5%' }) }, plugins: { tooltip: tooltipQty(units) } },
  });
  addExports(ctx, `revisions-${cc}-${attribute}`);
}
