// account.js — the dashboard's door to the account routes (/account/..., same origin, the
// session cookie sent by the browser). me() asks who is signed in (null when nobody, or when
// the server has no account side; asked only when the server's signed-in marker cookie is
// there); post() sends JSON with the session's CSRF token (the
// browser adds Origin itself). Preferences apply across the dashboard through prefs():
// units (bags / tonnes → the units switch's default), default country, theme.
let current; // undefined: not asked yet; null: signed out; object: GET /account/me

export async function me(refresh = false) {
  if (current !== undefined && !refresh) return current;
  // The session cookie is HttpOnly; the server sets a readable marker beside it. Without
  // the marker nobody is signed in here: no request (an anonymous visit costs nothing).
  if (!/(?:^|;\s*)materia_signed_in=1(?:;|$)/.test(document.cookie)) {
    current = null;
    return current;
  }
  try {
    const res = await fetch('account/me', { headers: { Accept: 'application/json' }, cache: 'no-store' });
    current = res.ok ? await res.json() : null;
    if (!current) document.cookie = 'materia_signed_in=; Path=/; Max-Age=0'; // the session is over
  } catch {
    current = null;
  }
  return current;
}

export function forget() { current = null; }

/** The error message of an account answer, or `HTTP <status>`. */
async function errorOf(res) {
  try {
    const b = await res.json();
    if (b && b.error) return b.error;
  } catch { /* no JSON body */ }
  return `HTTP ${res.status}`;
}

/** POST JSON to an account route; resolves to { ok, status, body, error }. */
export async function post(path, body) {
  const headers = { 'Content-Type': 'application/json', Accept: 'application/json' };
  if (current && current.csrf_token) headers['X-CSRF-Token'] = current.csrf_token;
  const res = await fetch(path, { method: 'POST', headers, body: JSON.stringify(body ?? {}), cache: 'no-store' });
  if (res.ok) {
    let data = null;
    try { data = await res.json(); } catch { data = null; }
    if (data && data.csrf_token && current) current.csrf_token = data.csrf_token; // rotated
    return { ok: true, status: res.status, body: data };
  }
  return { ok: false, status: res.status, error: await errorOf(res) };
}

/** GET an account route; resolves to { ok, status, body, error }. */
export async function get(path) {
  const res = await fetch(path, { headers: { Accept: 'application/json' }, cache: 'no-store' });
  if (res.ok) return { ok: true, status: res.status, body: await res.json() };
  return { ok: false, status: res.status, error: await errorOf(res) };
}

/** The saved preferences in the dashboard's terms (defaults when signed out). */
export function prefs() {
  const p = (current && current.preferences) || {};
  return {
    units: p.units === 'tonnes' ? 'mt' : 'bags',
    country: p.default_country || '',
    theme: p.theme === 'light' || p.theme === 'dark' ? p.theme : 'system',
  };
}

/** Applies the signed-in user's theme (system: the browser's colour scheme decides);
 *  signed out, the page keeps its standard look. */
export function applyTheme() {
  if (current) document.documentElement.dataset.theme = prefs().theme;
  else delete document.documentElement.dataset.theme;
}
