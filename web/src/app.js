// app.js — the dashboard's shell: hash routing, URL state, the units switch, the
// freshness footer and the signed-in user's preferences (account.js: the default units,
// the country #/country opens on, the theme; the nav's Sign in / Settings link). The whole view state lives in the hash (#/country/BR?units=mt&sort=
// exports&dir=asc) so any view can be shared as a link; changing state means changing the
// hash, and every hashchange re-renders the view from it. Pages are modules under pages/
// exporting render(ctx); a newer render makes older, still-loading ones give up (ctx.stale).
import { api } from './api.js';
import { applyTheme, me, prefs } from './account.js';
import { destroyCharts } from './charts.js';
import { accountThemeChanged, applyScheme, initScheme } from './theme.js';
import { esc, fmtDate, fmtDateTime } from './format.js';
import * as home from './pages/home.js';
import { codeAnswer, canonicalHash, needsScheme, routeCode } from './codes.js';

// Routes whose path parameter is a country code (USDA's, or an ISO alias: codes.js).
const CODE_ROUTES = new Set(['country', 'revisions']);
let countryRows = null; // /api/countries' rows once loaded (links are made unambiguous with them)
const loadCountries = () => api.countries().then((c) => { countryRows = c.rows; return c.rows; });

// The overview's module is loaded with the app; every other page when it is first opened
// (issue 16: the overview's first visit carried every page's code).
const lazy = (load) => { let p = null; return () => (p ||= load().catch((e) => { p = null; throw e; })); };
const ROUTES = {
  '': () => Promise.resolve(home),
  rankings: lazy(() => import('./pages/rankings.js')),
  countries: lazy(() => import('./pages/countries.js')),
  country: lazy(() => import('./pages/country.js')),
  compare: lazy(() => import('./pages/compare.js')),
  revisions: lazy(() => import('./pages/revisions.js')),
  positioning: lazy(() => import('./pages/positioning.js')),
  signin: lazy(() => import('./pages/signin.js')),
  settings: lazy(() => import('./pages/settings.js')),
  methodology: lazy(() => import('./pages/methodology.js')),
};
const TITLES = { '': 'Overview', rankings: 'Rankings', countries: 'Countries', country: 'Country', compare: 'Compare', revisions: 'Revisions', positioning: 'Positioning',
  signin: 'Sign in', settings: 'Settings', methodology: 'Methodology' };

export function parseHash(hash = location.hash) {
  const h = hash.replace(/^#\/?/, '');
  const [pathPart, queryPart = ''] = h.split('?');
  const segs = pathPart.split('/').filter(Boolean).map(decodeURIComponent);
  return { route: segs[0] || '', param: segs[1] || '', q: new URLSearchParams(queryPart) };
}

export function buildHash(route, param, q) {
  const qs = q.toString();
  return `#/${route}${param ? `/${encodeURIComponent(param)}` : ''}${qs ? `?${qs}` : ''}`;
}

/** Go to a route, keeping the shared state (units) unless overridden. */
export function navigate(route, param = '', extra = {}) {
  const cur = parseHash();
  const q = new URLSearchParams();
  if (cur.q.get('units')) q.set('units', cur.q.get('units'));
  for (const [k, v] of Object.entries(extra)) if (v !== null && v !== undefined && v !== '') q.set(k, v);
  // the app's own codes are USDA's: one that is also another country's ISO code says so
  if (CODE_ROUTES.has(route) && param && countryRows && needsScheme(param, countryRows)) q.set('code', 'usda');
  location.hash = buildHash(route, param, q);
}

/** Change query keys of the current view (null deletes), keeping route and other keys. */
export function setQuery(updates) {
  const cur = parseHash();
  for (const [k, v] of Object.entries(updates)) {
    if (v === null || v === undefined || v === '') cur.q.delete(k); else cur.q.set(k, String(v));
  }
  location.hash = buildHash(cur.route, cur.param, cur.q);
}

/** The units of a view: the URL's when it says, else the signed-in user's default. */
export const unitsOf = (q) => (q.get('units') === 'mt' ? 'mt' : q.get('units') === 'bags' ? 'bags' : prefs().units);

/** The units switch and the nav links for the current view. */
function drawChrome(st, units) {
  for (const b of document.querySelectorAll('.units button')) b.setAttribute('aria-pressed', String(b.dataset.units === units));
  for (const a of document.querySelectorAll('.nav a')) {
    // a country's page belongs to the Countries section
    const section = st.route === 'country' ? 'countries' : (st.route || 'home');
    if (a.dataset.route === section) a.setAttribute('aria-current', 'page'); else a.removeAttribute('aria-current');
    if (a.dataset.account) continue; // the account link carries no view state
    const q = new URLSearchParams();
    if (units !== prefs().units) q.set('units', units);
    a.setAttribute('href', buildHash(a.dataset.route === 'home' ? '' : a.dataset.route, '', q));
  }
}

let renderSeq = 0;
async function render() {
  const seq = ++renderSeq;
  const st = parseHash();
  const loadPage = ROUTES[st.route];
  const main = document.getElementById('main');
  const units = unitsOf(st.q);
  delete main.dataset.ready;
  delete main.dataset.code;
  drawChrome(st, units);
  destroyCharts();
  if (!loadPage) {
    main.innerHTML = `<h1>Not found</h1><p class="lede">There is no page “${esc(st.route)}”. <a href="#/">Go to the overview</a>.</p>`;
    document.title = 'Not found — Materia';
    return;
  }
  document.title = `${TITLES[st.route]} — Materia coffee balance`;
  main.innerHTML = '<p class="loading">Loading…</p>';
  // #/country with no code opens on the user's default country (a USDA code)
  let param = st.param || (st.route === 'country' ? prefs().country : '');
  if (CODE_ROUTES.has(st.route) && param) {
    let rows;
    try { rows = await loadCountries(); } catch (err) { rows = null; }
    if (seq !== renderSeq) return;
    if (rows) {
      const res = routeCode(param, st.param ? st.q : new URLSearchParams('code=usda'), rows);
      if (res.kind !== 'ok') {
        main.innerHTML = '';
        const kind = codeAnswer(main, st.route, param, res, st.q, rows);
        // the unknown-code page is the route's own view (ready = the route, as it always was);
        // data-code says which answer it is
        main.dataset.code = kind === 'ambiguous-code' ? 'ambiguous' : 'unknown';
        main.dataset.ready = kind === 'ambiguous-code' ? kind : st.route;
        document.title = `${res.kind === 'ambiguous' ? 'Which country?' : 'Unknown country'} — Materia coffee balance`;
        return;
      }
      if (res.alias) {
        // an ISO alias: the address bar shows the country's unambiguous USDA form
        history.replaceState(null, '', canonicalHash(st.route, res.row.country_code, st.q, rows));
      }
      param = res.row.country_code;
    }
  }
  const ctx = {
    main, param, q: st.q, units,
    stale: () => seq !== renderSeq,
    setQuery, navigate,
    setTitle: (t) => { document.title = `${t} — Materia coffee balance`; },
  };
  try {
    let page;
    try {
      page = await loadPage();
    } catch (err) {
      if (!ctx.stale() && await reloadForNewBuild()) return;
      throw err;
    }
    if (ctx.stale()) return;
    await page.render(ctx);
    if (ctx.stale()) return;
    await unambiguousLinks(main);
    if (!ctx.stale()) main.dataset.ready = st.route || 'home';
  } catch (err) {
    if (ctx.stale()) return;
    main.innerHTML = `<div class="error" role="alert"><strong>Could not load this view.</strong> ${esc(err.message)}</div>`;
    main.dataset.ready = 'error';
  }
}

// A tab opened before a deploy asks for a page module of the build it was loaded with;
// that build's directory (assets/<hash>/, web/build.mjs) is gone, so the import fails (404).
// When index.html now names another build, the page is reloaded, which loads the new build
// and opens the same view; when it names this build (a network failure, a server error)
// the error is shown. A second reload within a minute is never made (no reload loop).
const RELOADED_AT = 'materia:reloaded-for-build';
async function reloadForNewBuild() {
  const mine = (new URL(import.meta.url).pathname.match(/assets\/[^/]+\//) || [])[0];
  if (!mine) return false;
  let html;
  try {
    const r = await fetch(location.pathname, { cache: 'no-cache' });
    if (!r.ok) return false;
    html = await r.text();
  } catch { return false; }
  if (html.includes(mine)) return false;
  const last = Number(sessionStorage.getItem(RELOADED_AT) || 0);
  if (Date.now() - last < 60_000) return false;
  sessionStorage.setItem(RELOADED_AT, String(Date.now()));
  location.reload();
  return true;
}

/** Pages link to countries by USDA code (#/country/CH); where that code is another
 *  country's ISO code too, the link gets code=usda so it opens what the page meant. */
async function unambiguousLinks(root) {
  let rows = countryRows;
  if (!rows) { try { rows = await loadCountries(); } catch { return; } }
  for (const a of root.querySelectorAll('a[href^="#/"]')) {
    const h = parseHash(a.getAttribute('href'));
    if (!CODE_ROUTES.has(h.route) || !h.param || h.q.get('code')) continue;
    if (needsScheme(h.param, rows)) a.setAttribute('href', canonicalHash(h.route, h.param, h.q, rows));
  }
}

async function freshness() {
  const el = document.getElementById('freshness');
  try {
    const h = await api.health();
    if (h.status !== 'ok') throw new Error(h.error || h.status);
    el.innerHTML = `USDA release <strong>${esc(fmtDate(h.release_date))}</strong> · last pipeline run ${esc(fmtDateTime(h.created_at))}`
      + ` <span class="muted">(snapshot ${esc(String(h.snapshot_id))})</span>`;
    el.dataset.release = h.release_date || '';
    el.dataset.state = 'ok';
  } catch (err) {
    el.textContent = `Data freshness unavailable: ${err.message}`;
    el.dataset.state = 'error';
  }
}

/** The nav's account link: Sign in, or Settings when someone is signed in. */
async function accountLink() {
  const who = await me();
  const a = document.getElementById('account-link');
  a.textContent = who ? 'Settings' : 'Sign in';
  a.setAttribute('href', who ? '#/settings' : '#/signin');
  a.dataset.route = who ? 'settings' : 'signin';
  a.title = who ? `Signed in as ${who.email}` : 'Sign in or create an account';
}

async function init() {
  // the opened view's page module is asked for at once, so it downloads while the account
  // is looked up below (a first visit to #/rankings waited for /account/me, then for it)
  const first = ROUTES[parseHash().route];
  if (first) first().catch(() => {}); // a failure is met again, and shown, by render()
  for (const b of document.querySelectorAll('.units button')) {
    b.addEventListener('click', () => setQuery({ units: b.dataset.units === prefs().units ? null : b.dataset.units }));
  }
  // the system's scheme (or this browser's choice) at once, then the account's preferences,
  // so the first view is drawn with them
  // (a change of scheme redraws a view with charts: their colours are set when made)
  initScheme(() => { if (document.querySelector('#main canvas')) render(); });
  await me();
  applyTheme();
  applyScheme();
  // account.js sets data-theme (sign-in, sign-out, a theme saved in Settings): a newly saved
  // light or dark is the newest explicit choice, so it replaces the switch's
  new MutationObserver((records) => {
    const t = document.documentElement.dataset.theme;
    if (records.every((r) => r.oldValue === (t ?? null))) return; // set again, unchanged
    if (t === 'light' || t === 'dark') accountThemeChanged(); else applyScheme();
  }).observe(document.documentElement, { attributes: true, attributeFilter: ['data-theme'], attributeOldValue: true });
  await accountLink();
  // signed in or out, preferences saved: the chrome follows; the settings page keeps its
  // own state (and its messages), any other view is drawn again
  document.addEventListener('account-changed', async () => {
    await accountLink();
    const st = parseHash();
    if (st.route === 'settings') drawChrome(st, unitsOf(st.q)); else render();
  });
  let lastRoute = parseHash().route;
  window.addEventListener('hashchange', () => {
    const { route } = parseHash();
    render();
    if (route !== lastRoute) document.getElementById('main').focus({ preventScroll: true });
    lastRoute = route;
  });
  render();
  freshness();
}

init();
