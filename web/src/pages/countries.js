// pages/countries.js — the country index: every country of the snapshot (/api/countries)
// grouped by region, with its USDA PSD code, ISO 3166 codes and latest production, and a
// search over names and codes (USDA, ISO alpha-2, alpha-3). Search text and region are kept
// in the URL (#/countries?q=viet&region=Asia) without redrawing the page while typing.
import { api } from '../api.js';
import { canonicalHash } from '../codes.js';
import { addExports } from '../export.js';
import { esc, fmtMY, fmtQty, UNITS } from '../format.js';

const REGION_ORDER = ['South America', 'Central America and Caribbean', 'Northern America', 'Africa', 'Asia', 'Oceania', 'Europe'];

const fold = (s) => String(s || '').normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase();

/** Does row r match the search text t (already folded)? Codes match whole, names by part. */
export function matches(r, t) {
  if (!t) return true;
  const up = t.toUpperCase();
  return fold(r.country_name).includes(t) || [r.country_code, r.iso2, r.iso3].some((c) => c && c === up);
}

export async function render(ctx) {
  const { units, q } = ctx;
  const data = await api.countries();
  if (ctx.stale()) return;
  const rows = data.rows;
  const regions = [...new Set(rows.map((r) => r.region || 'Other'))]
    .sort((a, b) => (REGION_ORDER.indexOf(a) + 1 || 99) - (REGION_ORDER.indexOf(b) + 1 || 99));
  const region = regions.includes(q.get('region')) ? q.get('region') : '';
  const text = q.get('q') || '';
  const keep = new URLSearchParams();
  if (units !== 'bags' && q.get('units')) keep.set('units', q.get('units'));
  const u = UNITS[units];
  const groups = regions.map((g) => {
    const list = rows.filter((r) => (r.region || 'Other') === g).sort((a, b) => a.country_name.localeCompare(b.country_name));
    const items = list.map((r) => `<tr data-cc="${esc(r.country_code)}" data-region="${esc(g)}">`
      + `<th scope="row" class="name"><a href="${canonicalHash('country', r.country_code, keep, rows)}">${esc(r.country_name)}</a></th>`
      + `<td class="code">${esc(r.country_code)}</td><td class="code">${esc(r.iso2 || '—')}</td><td class="code">${esc(r.iso3 || '—')}</td>`
      + `<td data-raw="${r.production ?? ''}">${r.production ? fmtQty(r.production, units) : '<span class="muted">—</span>'}</td>`
      + `<td>${fmtMY(r.latest_market_year)}</td></tr>`).join('');
    return `<section class="panel region" data-region="${esc(g)}" aria-labelledby="rg-${esc(g.replace(/\W+/g, '-'))}">
      <h2 id="rg-${esc(g.replace(/\W+/g, '-'))}">${esc(g)} <span class="muted count" style="font-weight:400"></span></h2>
      <div class="table-wrap"><table class="countries" data-export="${esc(g)}"><caption class="sr">Countries of ${esc(g)}</caption>
      <thead><tr><th scope="col" class="name">Country</th><th scope="col">USDA code</th><th scope="col">ISO-2</th><th scope="col">ISO-3</th>
      <th scope="col">Production (${esc(u.short)})</th><th scope="col">Latest year</th></tr></thead><tbody>${items}</tbody></table></div></section>`;
  }).join('');
  ctx.main.innerHTML = `
    <h1>Countries</h1>
    <p class="lede">The ${rows.length} countries and groups in USDA’s PSD coffee data, by region. Addresses take USDA’s codes
      (#/country/VM) or ISO 3166 codes (#/country/VN, #/country/VNM); where the two disagree, the page asks.</p>
    <div class="controls" role="search">
      <label class="field" for="country-search">Search
        <input id="country-search" type="search" autocomplete="off" placeholder="Name or code" value="${esc(text)}"></label>
      <label class="field" for="region-select">Region
        <select id="region-select"><option value="">All regions</option>${regions.map((g) => `<option${g === region ? ' selected' : ''}>${esc(g)}</option>`).join('')}</select></label>
      <p class="note" id="country-count" aria-live="polite"></p>
    </div>
    <div id="country-groups">${groups}</div>
    <p class="empty" id="country-none" hidden>No country matches. Try a name (“Viet”), a USDA code (VM) or an ISO code (VN, VNM).</p>`;
  const input = ctx.main.querySelector('#country-search');
  const select = ctx.main.querySelector('#region-select');
  const apply = () => {
    const t = fold(input.value.trim());
    const g = select.value;
    let shown = 0;
    for (const sec of ctx.main.querySelectorAll('section.region')) {
      let n = 0;
      for (const tr of sec.querySelectorAll('tbody tr')) {
        const r = rows.find((x) => x.country_code === tr.dataset.cc);
        const ok = (!g || tr.dataset.region === g) && matches(r, t);
        tr.hidden = !ok;
        if (ok) n += 1;
      }
      sec.hidden = n === 0;
      sec.querySelector('.count').textContent = `(${n})`;
      shown += n;
    }
    ctx.main.querySelector('#country-none').hidden = shown > 0;
    ctx.main.querySelector('#country-count').textContent = `${shown} of ${rows.length} shown`;
    // the URL keeps the search without a redraw (replaceState fires no hashchange)
    const cur = new URLSearchParams(location.hash.split('?')[1] || '');
    if (input.value.trim()) cur.set('q', input.value.trim()); else cur.delete('q');
    if (g) cur.set('region', g); else cur.delete('region');
    const qs = cur.toString();
    history.replaceState(null, '', `#/countries${qs ? `?${qs}` : ''}`);
  };
  input.addEventListener('input', apply);
  select.addEventListener('change', apply);
  input.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter') return;
    const first = [...ctx.main.querySelectorAll('tbody tr')].find((tr) => !tr.hidden);
    const only = [...ctx.main.querySelectorAll('tbody tr')].filter((tr) => !tr.hidden);
    if (first && only.length === 1) first.querySelector('a').click();
  });
  apply();
  addExports(ctx, 'countries');
}
