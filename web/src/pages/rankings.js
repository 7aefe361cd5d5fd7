// pages/rankings.js — top producers, exporters, importers and consumers for a market year
// (year and list length in the URL), and the world choropleth of production for that year.
// Lists come from /api/rankings; the map joins a 100-row production ranking to
// /api/countries' iso_numeric (world-atlas ids).
import { api } from '../api.js';
import { addExports } from '../export.js';
import { drawMap } from '../map.js';
import { coverageOf, esc, fmtDate, fmtMY, fmtPct, fmtQty, myStatus, UNITS } from '../format.js';

// partial: whether the list is shown for a market year before the series break (coverage
// change, format.js coverageOf). Before it PSD has producing countries only, so a share of
// world imports or consumption would be a share of producing countries' (Malaysia "39.7%"
// of world imports in 2000/01): those lists are hidden there.
const LISTS = [
  { metric: 'production', title: 'Producers', partial: true },
  { metric: 'exports', title: 'Exporters', partial: true },
  { metric: 'imports', title: 'Importers', partial: false },
  { metric: 'domestic_consumption', title: 'Consumers', partial: false },
];

function listTable(list, data, units, ctx, shareHead) {
  const max = Math.max(...data.rows.map((r) => r.value), 0) || 1;
  const head = `<thead><tr><th scope="col" class="rank">#</th><th scope="col" class="name">Country</th>`
    + `<th scope="col">${esc(UNITS[units].short)}</th><th scope="col">${esc(shareHead)}</th><th scope="col" class="barcell"><span class="sr">Relative size</span></th></tr></thead>`;
  const body = data.rows.map((r) => {
    const href = `#/country/${encodeURIComponent(r.country_code)}${units === 'mt' ? '?units=mt' : ''}`;
    return `<tr data-cc="${esc(r.country_code)}"><td class="rank">${r.rank}</td>`
      + `<td class="name"><a href="${href}">${esc(r.country_name)}</a></td>`
      + `<td class="qty" data-raw="${r.value}">${fmtQty(r.value, units)}</td><td>${fmtPct(r.share_pct)}</td>`
      + `<td class="barcell" aria-hidden="true"><div class="bar" style="width:${(100 * r.value / max).toFixed(1)}%"></div></td></tr>`;
  }).join('');
  return `<table data-metric="${list.metric}"><caption>Top ${data.rows.length} ${esc(list.title.toLowerCase())}, ${fmtMY(data.year)}</caption>${head}<tbody>${body}</tbody></table>`;
}

export async function render(ctx) {
  const { units, q } = ctx;
  const world = await api.world();
  if (ctx.stale()) return;
  // only market years with a world total (PSD's 1959/60 has one producing country)
  const cov = coverageOf(world.rows);
  const years = world.rows.filter((r) => r.production !== null && r.market_year >= cov.firstWorld).map((r) => r.market_year).reverse();
  const latest = years[0];
  let year = Number(q.get('year')) || latest;
  if (!years.includes(year)) year = latest;
  const top = [10, 15, 25].includes(Number(q.get('top'))) ? Number(q.get('top')) : 10;
  // the production list is the head of the map's 100-row ranking (shares are computed over
  // all reporting countries before the limit), so it is not fetched twice
  const partial = cov.fullFrom !== null && year < cov.fullFrom;
  const shown = (l) => !partial || l.partial;
  const [others, prodAll, countries] = await Promise.all([
    Promise.all(LISTS.filter((l) => l.metric !== 'production').map((l) => (shown(l) ? api.rankings(l.metric, year, top) : null))),
    api.rankings('production', year, 100),
    api.countries(),
  ]);
  const lists = LISTS.map((l) => (l.metric === 'production' ? { ...prodAll, rows: prodAll.rows.slice(0, top) } : others.shift()));
  if (ctx.stale()) return;
  ctx.setTitle(`Rankings ${fmtMY(year)}`);
  const wrow = world.rows.find((r) => r.market_year === year);
  const status = wrow ? myStatus(year, wrow.release_date) : null;
  const brk = cov.fullFrom !== null ? fmtMY(cov.fullFrom) : '';
  const shareHead = partial ? 'Share of reporting' : 'World share';
  const hidden = (l) => `<p class="note coverage-hidden" data-hidden="${l.metric}">Not shown for ${fmtMY(year)}: before ${brk}
    USDA’s series cover producing countries only, so no world ${l.metric === 'imports' ? 'imports' : 'consumption'} total exists to rank against.
    Choose ${brk} or later.</p>`;
  ctx.main.innerHTML = `
    <h1>Rankings</h1>
    <p class="lede">Who grows, trades and drinks the world’s coffee in market year ${fmtMY(year)}, in ${esc(UNITS[units].long)}.
      ${partial ? 'Shares are of the total over the countries reporting that year.' : 'Shares are of the world total (all reporting countries).'}
      ${status === 'forecast' ? `<span class="my-status" data-status="forecast">${fmtMY(year)} is a USDA forecast</span> in the ${esc(fmtDate(wrow.release_date))} release.` : ''}</p>
    ${partial ? `<p class="note coverage" id="coverage-note" role="note"><strong>Coverage before ${brk}:</strong> for ${fmtMY(year)} PSD holds
      ${wrow ? wrow.reporting_countries : 'only the'} producing countries; from ${brk}, when importing countries’ series begin,
      ${(world.rows.find((r) => r.market_year === cov.fullFrom) || {}).reporting_countries ?? '—'} or more.
      Producer and exporter shares are of the reporting producing countries, and the importer and consumer lists are hidden.
      <a href="#/methodology">Methodology</a></p>` : ''}
    <div class="controls">
      <label class="field" for="year-select">Market year
        <select id="year-select" name="year">${years.map((y) => `<option value="${y}"${y === year ? ' selected' : ''}>${fmtMY(y)}</option>`).join('')}</select>
      </label>
      <label class="field" for="top-select">Show
        <select id="top-select" name="top">${[10, 15, 25].map((n) => `<option value="${n}"${n === top ? ' selected' : ''}>Top ${n}</option>`).join('')}</select>
      </label>
    </div>
    <section class="panel" aria-labelledby="h-map" style="margin-bottom:16px">
      <div class="panel-head"><h2 id="h-map">Production by country, ${fmtMY(year)}</h2>
        <span class="note">Select a country to open its balance sheet.</span></div>
      <div class="map" id="map"><p class="loading">Drawing map…</p></div>
      <p class="note">The European Union reports as one bloc and produces no coffee; countries without a standard ISO code are not drawn.</p>
    </section>
    <div class="grid" id="lists">
      ${LISTS.map((l, i) => `<section class="panel" aria-labelledby="h-${l.metric}"><h2 id="h-${l.metric}">${l.title}</h2>
        ${!shown(l) ? hidden(l) : `<div class="table-wrap">${lists[i].rows.length ? listTable(l, lists[i], units, ctx, shareHead) : '<p class="empty">No data for this year.</p>'}</div>`}</section>`).join('')}
    </div>`;
  ctx.main.querySelector('#year-select').addEventListener('change', (e) => ctx.setQuery({ year: e.target.value === String(latest) ? null : e.target.value }));
  ctx.main.querySelector('#top-select').addEventListener('change', (e) => ctx.setQuery({ top: e.target.value === '10' ? null : e.target.value }));
  const iso = new Map(countries.rows.map((c) => [c.country_code, c.iso_numeric]));
  const values = new Map();
  for (const r of prodAll.rows) {
    const n = iso.get(r.country_code);
    if (n !== null && n !== undefined && n !== '') values.set(String(n).padStart(3, '0'), r);
  }
  await drawMap(ctx.main.querySelector('#map'), values, {
    units,
    title: `World map of coffee production by country, market year ${fmtMY(year)}`,
    onPick: (cc) => ctx.navigate('country', cc),
  });
  addExports(ctx, `rankings-${fmtMY(year).replace('/', '-')}`);
}
