// format.js — numbers and units. The API speaks PSD's unit (1000 60-kg bags); the units
// switch shows either that or metric tons (one 1000-bag unit = 60 t). Every quantity on
// screen goes through conv() so the switch changes all of them at once.
export const UNITS = {
  bags: { key: 'bags', factor: 1, short: '1000 bags', long: 'thousand 60-kg bags', axis: '1000 × 60-kg bags' },
  mt: { key: 'mt', factor: 60, short: 't', long: 'metric tons', axis: 'metric tons' },
};

const intFmt = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const oneFmt = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export const conv = (v, units) => (v === null || v === undefined ? null : v * UNITS[units].factor);
/** Bags in one PSD unit (1000 bags): a quantity in bags, not thousands, is conv(v, 'bags') * this. */
export const BAGS_PER_UNIT = 1000;

/** A quantity in the chosen units, full precision with separators ("10,365,000"). */
export function fmtQty(v, units) {
  const x = conv(v, units);
  return x === null || Number.isNaN(x) ? '—' : intFmt.format(x);
}

/** A headline quantity: millions with one decimal ("172.8 M bags", "10.4 M t"), else in full ("75,000 bags"). */
export function fmtCompact(v, units) {
  const x = conv(v, units);
  if (x === null || Number.isNaN(x)) return { num: '—', unit: '' };
  const n = units === 'bags' ? x * BAGS_PER_UNIT : x;
  const unit = units === 'bags' ? 'bags' : 't';
  if (Math.abs(n) >= 1e6) return { num: oneFmt.format(n / 1e6), unit: `M ${unit}` };
  return { num: intFmt.format(n), unit };
}

/** A plain number with separators ("217,692"): a count (COT contracts), or a quantity
 *  already in the chosen units (conv()), e.g. a chart's tooltip value. */
export const fmtInt = (v) => (v === null || v === undefined || Number.isNaN(v) ? '—' : intFmt.format(v));

/** A signed count: "+1,234", "−56" or "0" (a true minus sign). */
export const fmtSignedInt = (v) => {
  if (v === null || v === undefined || Number.isNaN(v)) return '—';
  const s = intFmt.format(Math.abs(v));
  return v > 0 ? `+${s}` : v < 0 ? `−${s}` : '0';
};

/** A COT index (0–100) with one decimal, or "—" where the window is not full. */
export const fmtIndex = (v) => (v === null || v === undefined || Number.isNaN(v) ? '—' : oneFmt.format(v));

export const fmtPct = (v) => (v === null || v === undefined || Number.isNaN(v) ? '—' : `${oneFmt.format(v)}%`);

/** A signed change: "+1,234" or "−56". */
export function fmtSigned(v, units) {
  const x = conv(v, units);
  if (x === null || Number.isNaN(x)) return '—';
  const s = intFmt.format(Math.abs(x));
  return x > 0 ? `+${s}` : x < 0 ? `−${s}` : '0';
}

/** PSD numbers a coffee market year by the year it ends in: Market_Year 2023 is 2022/23.
 * (The December 2022 release's newest year, 2023, carries USDA's 2022/23 forecast: world
 * production 172.8 million bags, as in that month's "Coffee: World Markets and Trade".) */
export const fmtMY = (y) => (y === null || y === undefined ? '—' : `${Number(y) - 1}/${String(Number(y) % 100).padStart(2, '0')}`);

/** A market-year axis/table label for any value that may already be a label. */
export const myLabel = (y) => (typeof y === 'string' && y.includes('/') ? y : fmtMY(y));

/** A market year in a CSV file the dashboard writes ("2022/23"), under the header
 *  market_year_label as in the API's own CSV (/api/balance, /api/world): files speak the
 *  screen's year language. */
export const csvMY = (y) => fmtMY(y);

/** Coverage of PSD's world sums, decided from the data (serving.world_balance's
 *  reporting_countries), never from a constant:
 *  - firstWorld: the first market year with at least a quarter of the most countries ever
 *    reporting (PSD's 1959/60 has 2: not a world total, never offered as one);
 *  - fullFrom: the series break — the first market year from which every year has at least
 *    90% of the most countries ever reporting. In the PSD coffee data this is 2002/03
 *    (Market_Year 2003): reporting countries jump from 56 producing countries to 80+, as
 *    USDA's series for importing countries (EU, United States, Japan, …) begin; before it,
 *    imports, consumption and stocks cover producing countries only.
 *  rows: world rows ({market_year, reporting_countries}) in market-year order. */
export function coverageOf(rows) {
  const rs = rows.filter((r) => r.production !== null && r.production !== undefined);
  const most = Math.max(0, ...rs.map((r) => r.reporting_countries || 0));
  const fw = rs.find((r) => (r.reporting_countries || 0) >= most / 4);
  let fullFrom = null;
  for (let i = rs.length - 1; i >= 0 && (rs[i].reporting_countries || 0) >= 0.9 * most; i--) fullFrom = rs[i].market_year;
  const firstWorld = fw ? fw.market_year : null;
  return { most, firstWorld, fullFrom: fullFrom !== null && firstWorld !== null && fullFrom > firstWorld ? fullFrom : null };
}

/** USDA's status of a market year's figures in a release: 'forecast' while the market
 *  year had not ended by the release date, else 'estimate'. PSD's coffee Market_Year N is
 *  the marketing year (N−1)/N, taken as the October–September coffee year (ICO's crop year,
 *  on which USDA's world coffee tables are based), so it ends on 30 September of N: in the
 *  December 2022 release, 2022/23 (N = 2023, ends Sep 2023) is a forecast and 2021/22 an
 *  estimate. Countries whose local marketing year ends earlier (Brazil: June) follow the
 *  same rule, as USDA labels its world tables. null when the release date is unknown. */
export function myStatus(y, releaseDate) {
  if (y === null || y === undefined || !releaseDate) return null;
  const rel = String(releaseDate).slice(0, 10);
  const end = `${Number(y)}-09-30`;
  return rel <= end ? 'forecast' : 'estimate';
}

/** "2022/23 (USDA forecast)" or "2021/22" (estimates go unmarked on axes, marked in tables). */
export const fmtMYStatus = (y, releaseDate) => (myStatus(y, releaseDate) === 'forecast' ? `${fmtMY(y)} (USDA forecast)` : fmtMY(y));

/** The two stocks-to-use measures, in percent (null where the denominator is 0 or missing):
 *  stuCons = ending stocks ÷ domestic consumption; stuUse = ending stocks ÷ (domestic
 *  consumption + exports), the API's stocks_to_use_pct. */
export function stuCons(r) {
  const d = r ? r.domestic_consumption : null;
  return d === null || d === undefined || d === 0 || r.ending_stocks === null || r.ending_stocks === undefined ? null : 100 * r.ending_stocks / d;
}
export const STU = {
  cons: { label: 'Stocks-to-use (÷ consumption)', short: 'Stocks ÷ consumption', formula: 'ending stocks ÷ domestic consumption' },
  use: { label: 'Stocks-to-use (÷ consumption + exports)', short: 'Stocks ÷ (consumption + exports)', formula: 'ending stocks ÷ (domestic consumption + exports)' },
};

export const fmtDate = (d) => {
  if (!d) return '—';
  const t = new Date(String(d).length === 10 ? `${d}T00:00:00Z` : String(d).replace(' ', 'T') + (/[zZ+]/.test(String(d).slice(10)) ? '' : 'Z'));
  if (Number.isNaN(t.getTime())) return String(d);
  return t.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
};

export const fmtDateTime = (d) => {
  if (!d) return '—';
  const t = new Date(String(d).replace(' ', 'T') + (/[zZ]|[+-]\d\d:?\d\d$/.test(String(d)) ? '' : 'Z'));
  if (Number.isNaN(t.getTime())) return String(d);
  return `${t.toLocaleDateString('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' })} ${t.toISOString().slice(11, 16)} UTC`;
};

/** Escape text for innerHTML. Every string from the API passes through here. */
export function esc(s) {
  return String(s ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]));
}

export const METRICS = {
  production: 'Production',
  arabica_production: 'Arabica production',
  robusta_production: 'Robusta production',
  other_production: 'Other production',
  beginning_stocks: 'Beginning stocks',
  imports: 'Imports',
  bean_imports: 'Bean imports',
  total_supply: 'Total supply',
  exports: 'Exports',
  bean_exports: 'Bean exports',
  domestic_consumption: 'Domestic consumption',
  ending_stocks: 'Ending stocks',
  total_distribution: 'Total distribution',
};
