// theme.js — light and dark. The page follows the system's colour scheme unless someone
// chose: the header's switch (kept in this browser, localStorage "materia-scheme") or the
// signed-in account's theme preference (account.js sets <html data-theme>: light, dark or
// system). An explicit choice wins over the system; the switch, being the latest and the
// nearest, wins over the account's (saving the theme in Settings clears the switch). The
// result is <html data-color="light|dark">, which styles.css keys on. Charts get their text
// and grid colours for the scheme when they are made (a Chart.js plugin), so a change of
// scheme redraws the view.
const KEY = 'materia-scheme';
const CHOICES = ['system', 'light', 'dark'];
const media = window.matchMedia ? window.matchMedia('(prefers-color-scheme: dark)') : null;

export function localChoice() {
  try { const v = localStorage.getItem(KEY); return CHOICES.includes(v) ? v : 'system'; } catch { return 'system'; }
}
function setLocalChoice(v) {
  try { if (v === 'system') localStorage.removeItem(KEY); else localStorage.setItem(KEY, v); } catch { /* private mode */ }
}

/** 'light' or 'dark': the switch, else the account's explicit theme, else the system's. */
export function effectiveScheme() {
  const local = localChoice();
  if (local !== 'system') return local;
  const acct = document.documentElement.dataset.theme;
  if (acct === 'light' || acct === 'dark') return acct;
  return media && media.matches ? 'dark' : 'light';
}

const CHART = {
  light: { text: '#5c534d', grid: '#ece7e1' },
  dark: { text: '#cfc5bd', grid: '#3d3631' },
};
export const chartColors = () => CHART[effectiveScheme()];
const DARK_SWAP = { '#7a4419': '#d39a63', '#6b3a17': '#d39a63', '#5a2f12': '#c98a52' };

let onChange = () => {};

/** Apply the scheme; returns it. Redraws (onChange) when it changed. */
export function applyScheme() {
  const root = document.documentElement;
  const s = effectiveScheme();
  const changed = root.dataset.color !== s;
  root.dataset.color = s;
  root.style.colorScheme = s;
  const btn = document.getElementById('scheme-switch');
  if (btn) {
    const local = localChoice();
    btn.dataset.choice = local;
    btn.setAttribute('aria-pressed', String(s === 'dark'));
    btn.title = local === 'system' ? `Dark mode (now following the system: ${s})` : `Dark mode: ${local === 'dark' ? 'on' : 'off'} (chosen here)`;
    btn.querySelector('.scheme-label').textContent = s === 'dark' ? 'Dark' : 'Light';
  }
  if (changed && root.dataset.schemeReady) onChange(s);
  root.dataset.schemeReady = '1';
  return s;
}

/** Chart.js plugin: in dark, a chart's own fixed grid/tick colours and the palette's dark
 *  browns are swapped for ones readable on a dark panel, before its first layout. */
const chartPlugin = {
  id: 'materia-scheme',
  beforeInit(chart) {
    const c = chartColors();
    if (effectiveScheme() !== 'dark') return;
    // the palette's dark browns vanish on a dark panel: their lighter kin
    for (const d of chart.config.data.datasets || []) {
      for (const k of ['borderColor', 'backgroundColor']) if (typeof d[k] === 'string' && DARK_SWAP[d[k].toLowerCase()]) d[k] = DARK_SWAP[d[k].toLowerCase()];
    }
    const o = chart.config.options || {};
    for (const sc of Object.values(o.scales || {})) {
      if (sc.grid && typeof sc.grid.color === 'string') sc.grid.color = c.grid;
      if (sc.ticks && typeof sc.ticks.color === 'string') sc.ticks.color = c.text;
    }
  },
};

/** Set up the switch (button#scheme-switch) and the listeners; redraw() draws the view again. */
export function initScheme(redraw) {
  onChange = redraw;
  const C = window.Chart;
  if (C) {
    // Chart.js copies its defaults into a chart's options when the chart is made; charts.js
    // sets the text and grid colours once, for light. Here they follow the scheme instead.
    Object.defineProperty(C.defaults, 'color', { get: () => chartColors().text, set: () => {}, configurable: true });
    Object.defineProperty(C.defaults, 'borderColor', { get: () => chartColors().grid, set: () => {}, configurable: true });
    C.register(chartPlugin);
  }
  const btn = document.getElementById('scheme-switch');
  if (btn) {
    btn.addEventListener('click', () => {
      // the switch flips what is on screen; back to the system's scheme when that is what it shows
      const next = effectiveScheme() === 'dark' ? 'light' : 'dark';
      const sys = media && media.matches ? 'dark' : 'light';
      const acct = document.documentElement.dataset.theme;
      const underlying = acct === 'light' || acct === 'dark' ? acct : sys;
      setLocalChoice(next === underlying ? 'system' : next);
      applyScheme();
    });
  }
  if (media) media.addEventListener('change', () => applyScheme());
  window.addEventListener('storage', (e) => { if (e.key === KEY) applyScheme(); });
  applyScheme();
}

/** The account's theme changed (saved in Settings): that newer choice replaces the switch's. */
export function accountThemeChanged() {
  setLocalChoice('system');
  applyScheme();
}
