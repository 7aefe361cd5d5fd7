// codes.js — the country codes a URL may carry. USDA's PSD codes (FAS, `country_code`) are
// what the API takes, but analysts type ISO 3166-1 codes: both are accepted. The ISO codes
// of every country come from serving.countries (iso2, iso3), which has them from the seed
// seeds/fas_country_iso.csv (checked by hand against ISO 3166-1, see seeds/README.md).
// 11 two-letter codes mean one country in USDA's list and another in ISO's (CH is China to
// USDA, Switzerland to ISO): such a code asks which country is meant, and the app's own links
// to the USDA one carry `code=usda` so they never ask. Countries PSD reports only within
// the European Union aggregate (DE, FR, ...) point there.
import { esc, fmtMY } from './format.js';

// EU-27 member states (since 1 February 2020) by ISO 3166-1 alpha-2 and alpha-3, without
// Croatia, which PSD lists on its own (HR). PSD reports the others as "European Union" (E4).
export const EU_MEMBERS = {
  AT: ['AUT', 'Austria'], BE: ['BEL', 'Belgium'], BG: ['BGR', 'Bulgaria'], CY: ['CYP', 'Cyprus'], CZ: ['CZE', 'Czechia'],
  DE: ['DEU', 'Germany'], DK: ['DNK', 'Denmark'], EE: ['EST', 'Estonia'], ES: ['ESP', 'Spain'], FI: ['FIN', 'Finland'],
  FR: ['FRA', 'France'], GR: ['GRC', 'Greece'], HU: ['HUN', 'Hungary'], IE: ['IRL', 'Ireland'], IT: ['ITA', 'Italy'],
  LT: ['LTU', 'Lithuania'], LU: ['LUX', 'Luxembourg'], LV: ['LVA', 'Latvia'], MT: ['MLT', 'Malta'], NL: ['NLD', 'Netherlands'],
  PL: ['POL', 'Poland'], PT: ['PRT', 'Portugal'], RO: ['ROU', 'Romania'], SE: ['SWE', 'Sweden'], SI: ['SVN', 'Slovenia'],
  SK: ['SVK', 'Slovakia'],
};
const EU_CODE = 'E4';

/** An EU member named by an ISO code (alpha-2 or alpha-3), or null. */
function euMember(c) {
  if (EU_MEMBERS[c]) return { iso2: c, name: EU_MEMBERS[c][1] };
  const k = Object.keys(EU_MEMBERS).find((x) => EU_MEMBERS[x][0] === c);
  return k ? { iso2: k, name: EU_MEMBERS[k][1] } : null;
}

/**
 * What a code in a URL means, given /api/countries' rows.
 *   { kind: 'ok', row, alias }          one country (alias: the code was not its USDA code)
 *   { kind: 'ambiguous', choices }      [{ row, as, eu? }] — two or more countries
 *   { kind: 'unknown', eu? }            none (eu: an EU member PSD reports within E4)
 * scheme 'usda' takes the code as USDA's only (the app's own links).
 */
export function resolveCode(code, rows, scheme = '') {
  const c = String(code || '').trim().toUpperCase();
  const fas = rows.find((r) => r.country_code === c);
  if (scheme === 'usda') return fas ? { kind: 'ok', row: fas, alias: false } : { kind: 'unknown' };
  const choices = [];
  if (fas) choices.push({ row: fas, as: 'USDA code' });
  const isoKey = c.length === 2 ? 'iso2' : c.length === 3 ? 'iso3' : null;
  if (isoKey) {
    for (const r of rows) {
      if (r[isoKey] !== c) continue;
      if (r === fas) { choices[0].as = 'USDA and ISO 3166 code'; continue; }
      choices.push({ row: r, as: 'ISO 3166 code' });
    }
  }
  const eu = euMember(c);
  const euRow = eu && rows.find((r) => r.country_code === EU_CODE);
  if (eu && euRow && choices.length) choices.push({ row: euRow, as: 'ISO 3166 code', eu });
  if (choices.length === 1) return { kind: 'ok', row: choices[0].row, alias: choices[0].row.country_code !== c };
  if (choices.length > 1) return { kind: 'ambiguous', choices };
  return { kind: 'unknown', eu: eu && euRow ? { ...eu, row: euRow } : null };
}

/** Is this USDA code also another country's ISO code (so a link to it needs code=usda)? */
export function needsScheme(cc, rows) {
  return resolveCode(cc, rows).kind !== 'ok';
}

/** The hash of `route` for the USDA code cc, keeping q (URLSearchParams), unambiguous. */
export function canonicalHash(route, cc, q, rows) {
  const qq = new URLSearchParams(q);
  if (rows && needsScheme(cc, rows)) qq.set('code', 'usda'); else qq.delete('code');
  const qs = qq.toString();
  return `#/${route}/${encodeURIComponent(cc)}${qs ? `?${qs}` : ''}`;
}

const ROUTE_NOUN = { country: 'country page', revisions: 'revisions', compare: 'comparison' };

/** The page for a code that names no country, or several; sets main's content. */
export function codeAnswer(main, route, code, res, q, rows) {
  const c = esc(String(code).toUpperCase());
  const keep = new URLSearchParams(q);
  keep.delete('code');
  const link = (row) => canonicalHash(route, row.country_code, keep, rows);
  const iso = (r) => [r.iso2, r.iso3].filter(Boolean).map(esc).join(' / ');
  if (res.kind === 'ambiguous') {
    const newest = Math.max(...rows.map((r) => r.latest_market_year || 0));
    const items = res.choices.map(({ row, as, eu }) => (eu
      ? `<li data-cc="${esc(row.country_code)}"><a href="${link(row)}">${esc(row.country_name)}</a> <span class="muted">— “${c}” is ${esc(eu.name)}’s ISO 3166 code; USDA reports ${esc(eu.name)} within the European Union (USDA ${esc(row.country_code)})</span></li>`
      : `<li data-cc="${esc(row.country_code)}"><a href="${link(row)}">${esc(row.country_name)}</a>`
      + ` <span class="muted">— “${c}” is its ${esc(as)} (USDA ${esc(row.country_code)}${iso(row) ? `, ISO ${iso(row)}` : ''}`
      + `${row.latest_market_year && row.latest_market_year < newest ? `; data up to ${fmtMY(row.latest_market_year)}` : ''})</span></li>`)).join('');
    main.innerHTML = `<h1>Which country?</h1>
      <p class="lede" id="code-question">“${c}” names more than one country: USDA’s PSD country codes and ISO 3166 codes differ. Which ${esc(ROUTE_NOUN[route] || 'page')} did you mean?</p>
      <ul class="choices" id="code-choices">${items}</ul>
      <p class="note">Links on this site always name the country unambiguously; <a href="#/countries">the country index</a> lists every code.</p>`;
    return 'ambiguous-code';
  }
  const eu = res.eu ? `<p id="code-eu">${esc(res.eu.name)} (ISO ${esc(res.eu.iso2)}) is not reported on its own: USDA reports it within the <a href="${link(res.eu.row)}">European Union</a>.</p>` : '';
  main.innerHTML = `<h1>Unknown country</h1>
    <p class="lede" id="code-unknown">No country in this snapshot has the code “${c}” (as a USDA PSD code, an ISO 3166 alpha-2 or an alpha-3 code).</p>
    ${eu}<p><a href="#/countries">Choose from the country index</a>.</p>`;
  return 'unknown-code';
}

/** For a route that takes a country code: the parsed code and its resolution. */
export function routeCode(param, q, rows) {
  return resolveCode(param, rows, q.get('code') === 'usda' ? 'usda' : '');
}
