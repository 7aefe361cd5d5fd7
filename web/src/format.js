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

/** A quantity in the chosen units, full precision with separators ("10,365,000"). */
export function fmtQty(v, units) {
  const x = conv(v, units);
  return x === null || Number.isNaN(x) ? '—' : intFmt.format(x);
}

/** A headline quantity: millions with one decimal ("172.8 M bags", "10.4 M t"), else in full ("75,000 bags"). */
export function fmtCompact(v, units) {
  const x = conv(v, units);
  if (x === null || Number.isNaN(x)) return { num: '—', unit: '' };
  const n = units === 'bags' ? x * 1000 : x;
  const unit = units === 'bags' ? 'bags' : 't';
  if (Math.abs(n) >= 1e6) return { num: oneFmt.format(n / 1e6), unit: `M ${unit}` };
  return { num: intFmt.format(n), unit };
}

/** A plain count with separators ("217,692"): COT contracts, not a quantity of coffee. */
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
