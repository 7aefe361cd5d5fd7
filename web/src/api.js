// api.js — the dashboard's only door to data: GETs against the JSON API of
// docs/ARCHITECTURE.md §5 on the same origin (relative URLs, so a reverse proxy prefix
// still works). Answers are cached per URL for the page's life; an error answer becomes
// an Error carrying the server's message.
const cache = new Map();

export function apiGet(path) {
  if (!cache.has(path)) {
    const p = fetch(path, { headers: { Accept: 'application/json' } }).then(async (res) => {
      let body = null;
      try { body = await res.json(); } catch { body = null; }
      if (!res.ok) {
        const msg = body && body.error ? body.error : `HTTP ${res.status}`;
        throw new Error(`${path}: ${msg}`);
      }
      return body;
    });
    p.catch(() => cache.delete(path));
    cache.set(path, p);
  }
  return cache.get(path);
}

// /health: ONE request for the page's life, shared by the freshness footer (app.js), the
// export file names (export.js releaseDate) and the methodology page. Its body is the
// answer whatever the HTTP status (a degraded server says so in it: status, error); a
// failed request or an unreadable body is not kept, so the next call asks again.
let healthPromise = null;
function health() {
  if (!healthPromise) {
    healthPromise = fetch('health', { headers: { Accept: 'application/json' } }).then((r) => r.json());
    healthPromise.catch(() => { healthPromise = null; });
  }
  return healthPromise;
}

export const api = {
  health,
  countries: () => apiGet('api/countries'),
  world: () => apiGet('api/world'),
  balance: (cc) => apiGet(`api/balance/${encodeURIComponent(cc)}`),
  rankings: (metric, year, limit = 10) =>
    apiGet(`api/rankings?metric=${encodeURIComponent(metric)}${year ? `&year=${year}` : ''}&limit=${limit}`),
  revisions: (cc, attribute, marketYear) =>
    apiGet(`api/revisions/${encodeURIComponent(cc)}?attribute=${encodeURIComponent(attribute)}` +
      (marketYear ? `&market_year=${marketYear}` : '')),
  releases: () => apiGet('api/releases'),
  cot: () => apiGet('api/cot'),
  cotIndex: (window) => apiGet(`api/cot/index?window=${window === 26 ? 26 : 52}`),
};

export const cotCsvUrl = () => 'api/cot?format=csv';
export const cotIndexCsvUrl = (window) => `api/cot/index?window=${window === 26 ? 26 : 52}&format=csv`;
export const csvUrl = (cc) => `api/balance/${encodeURIComponent(cc)}?format=csv`;
