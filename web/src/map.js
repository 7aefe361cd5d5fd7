// map.js — the world choropleth: world-atlas 110m TopoJSON (vendored from npm, ISO 3166
// numeric ids) projected with d3-geo (Equal Earth) into an inline SVG, plus two insets drawn
// larger (Central America and East Africa, where producers are too small to tap on a phone).
// Countries are matched by the `iso_numeric` of /api/countries. A metric selector (the URL's
// `map=` key: production, exports, imports, consumption, ending stocks) redraws it from
// /api/rankings for the same market year. Each coloured country is focusable (a visible
// focus ring drawn on top); its tooltip shows at once on hover or focus; a mouse click or
// Enter opens the country, a tap shows the tooltip and a second tap on it opens it.
import { api } from './api.js';
import { addExports } from './export.js';
import { BAGS_PER_UNIT, conv, esc, fmtQty, UNITS } from './format.js';

// The map's libraries load with the map, not with every page (issue 16: the overview's first
// visit carried them for nothing). In order: d3-geo needs d3-array. The build rewrites each
// vendor name below to its hashed file.
const LIBS = ['vendor/d3-array.min.js', 'vendor/d3-geo.min.js', 'vendor/topojson-client.min.js'];
let libsPromise = null;
// async = false: the three download at once and run in this order (an inserted script's
// ordered execution), so the map waits one round trip for them, not three
function loadScript(src) {
  return new Promise((resolve, reject) => {
    const s = document.createElement('script');
    s.src = src;
    s.async = false;
    s.onload = () => resolve();
    s.onerror = () => reject(new Error(`map: could not load ${src}`));
    document.head.appendChild(s);
  });
}
function loadLibs() {
  if (window.d3 && window.d3.geoPath && window.topojson) return Promise.resolve();
  if (!libsPromise) {
    libsPromise = Promise.all(LIBS.map(loadScript));
    libsPromise.catch(() => { libsPromise = null; });
  }
  return libsPromise;
}

let atlasPromise = null;
function loadAtlas() {
  if (!atlasPromise) {
    atlasPromise = fetch('vendor/countries-110m.json').then((r) => {
      if (!r.ok) throw new Error(`world map: HTTP ${r.status}`);
      return r.json();
    });
    atlasPromise.catch(() => { atlasPromise = null; });
  }
  return atlasPromise;
}

export const MAP_METRICS = {
  production: 'Production', exports: 'Exports', imports: 'Imports', domestic_consumption: 'Consumption', ending_stocks: 'Ending stocks',
};

// Class breaks per metric, in 1000 60-kg bags (the API's unit); five colours, light to
// dark. One set per metric, not one for all: production and exports run to 60 M bags, the
// largest stocks hold 13 M and most under 1 M, so production's breaks put most holders of
// stocks in two classes. Each set is fixed (not recomputed per year) so that a colour means
// the same amount in every market year, and each break is a round number a reader can say
// ("1–5 M bags"). Chosen from the spread of the 2022/23 release (quintiles: production 100,
// 450, 1,050, 4,200; imports 165, 675, 1,250, 3,400; consumption 85, 300, 850, 3,300;
// ending stocks 26, 110, 364, 937 thousand bags).
const COLORS = ['#f1e4d3', '#dfbf98', '#c48e5a', '#9a5b2a', '#5a2f12'];
const BREAKS = {
  production: [100, 1000, 5000, 20000],
  exports: [100, 1000, 5000, 20000],
  imports: [250, 1000, 2500, 10000],
  domestic_consumption: [250, 1000, 2500, 10000],
  ending_stocks: [50, 250, 1000, 5000],
};
/** The classes of a metric: [{max, color}], the last one unbounded. */
export const buckets = (metric = 'production') => [...(BREAKS[metric] || BREAKS.production), Infinity]
  .map((max, i) => ({ max, color: COLORS[i] }));
const NO_DATA = '#dcdfe3';
export const bucketColor = (v, metric) => (v > 0 ? buckets(metric).find((b) => v < b.max).color : NO_DATA);

// The insets: [id, title, [[west, south], [east, north]]] in degrees.
const INSETS = [
  ['central-america', 'Central America and the Caribbean', [[-93, 6.5], [-59, 23.5]]],
  ['east-africa', 'East Africa', [[28, -12.5], [44, 15.5]]],
];

const plainNum = new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 });
/** A threshold (in 1000 bags) as people say it: { n: "1", m: "M" } for 1 M bags, 6,000 t. */
function said(v, units) {
  const x = units === 'bags' ? conv(v, units) * BAGS_PER_UNIT : conv(v, units); // bags or t
  if (x >= 1e6) return { n: plainNum.format(x / 1e6), m: ' M' };
  if (units === 'bags' && x >= 1e3) return { n: plainNum.format(x / 1e3), m: ' k' };
  return { n: plainNum.format(x), m: '' };
}

/** Legend texts: "< 100 k bags", "100 k – 1 M bags", "1–5 M bags", "≥ 20 M bags". */
export function legendBreaks(units, metric) {
  const unit = units === 'bags' ? 'bags' : 't';
  const out = [];
  let lo = 0;
  for (const b of buckets(metric)) {
    const a = said(lo, units), z = b.max === Infinity ? null : said(b.max, units);
    let text;
    if (lo === 0) text = `< ${z.n}${z.m} ${unit}`;
    else if (!z) text = `≥ ${a.n}${a.m} ${unit}`;
    else if (a.m === z.m) text = `${a.n}–${z.n}${z.m} ${unit}`;
    else text = `${a.n}${a.m} – ${z.n}${z.m} ${unit}`;
    out.push({ text: text.replace(/\s+/g, ' '), color: b.color });
    lo = b.max;
  }
  return out;
}

const viewQ = () => new URLSearchParams(location.hash.split('?')[1] || '');

/** The SVG paths of `feats` under `projection`; keeps only those inside [w, h] when clip. */
function paths(feats, values, projection, units, metric, { clip = null, idPrefix = '' } = {}) {
  const metricLabel = MAP_METRICS[metric];
  const { geoPath } = window.d3;
  const path = geoPath(projection);
  const parts = [];
  let coloured = 0;
  for (const f of feats) {
    if (clip) {
      const [[x0, y0], [x1, y1]] = path.bounds(f);
      if (!(x1 > 0 && x0 < clip[0] && y1 > 0 && y0 < clip[1])) continue;
    }
    const d = path(f);
    if (!d) continue;
    const hit = f.id ? values.get(String(f.id).padStart(3, '0')) : undefined;
    if (hit && hit.value > 0) {
      coloured += 1;
      const shown = fmtQty(hit.value, units);
      const t = `${hit.country_name}: ${metricLabel} ${shown} ${UNITS[units].short}`;
      parts.push(`<path class="country has-data" d="${d}" fill="${bucketColor(hit.value, metric)}" data-cc="${esc(hit.country_code)}" data-name="${esc(hit.country_name)}"`
        + ` data-value="${hit.value}" data-shown="${shown.replace(/,/g, '')}" data-tip="${esc(t)}"${idPrefix ? ` data-inset="${idPrefix}"` : ''} tabindex="0" role="link" aria-label="${esc(t)}"></path>`);
    } else {
      const name = (f.properties && f.properties.name) || 'Unknown';
      parts.push(`<path class="country" d="${d}" fill="${NO_DATA}" data-tip="${esc(name)}: none reported"></path>`);
    }
  }
  return { parts, coloured };
}

/**
 * Draw into `box`. values: Map iso_numeric ("076") → {value, country_code, country_name}
 * (production, for the market year on screen). onPick(country_code) opens a country.
 */
export async function drawMap(box, values, { units, title, onPick }) {
  const q = viewQ();
  const metric = MAP_METRICS[q.get('map')] ? q.get('map') : 'production';
  const [atlas, countries, other] = await Promise.all([loadAtlas(), api.countries(),
    metric === 'production' ? null : api.rankings(metric, Number(q.get('year')) || '', 100), loadLibs()]);
  if (other) {
    const iso = new Map(countries.rows.map((c) => [c.country_code, c.iso_numeric]));
    values = new Map();
    for (const r of other.rows) {
      const n = iso.get(r.country_code);
      if (n) values.set(String(n).padStart(3, '0'), r);
    }
    title = title.replace(/production/i, MAP_METRICS[metric].toLowerCase());
  }
  const label = MAP_METRICS[metric];
  const heading = box.closest('section')?.querySelector('h2');
  if (heading) heading.textContent = heading.textContent.replace(/^[A-Za-z ]+? by country/, `${label} by country`);
  const { geoEqualEarth } = window.d3;
  const feats = window.topojson.feature(atlas, atlas.objects.countries).features
    .filter((f) => f.id !== '010'); // Antarctica: no coffee, much ink
  const width = 960, height = 470;
  const projection = geoEqualEarth().fitExtent([[4, 4], [width - 4, height - 4]], { type: 'FeatureCollection', features: feats });
  const world = paths(feats, values, projection, units, metric);
  const sphere = window.d3.geoPath(projection)({ type: 'Sphere' });
  const insets = INSETS.map(([id, name, [[w, s], [e, n]]]) => {
    const iw = 460, ih = 300;
    const pr = geoEqualEarth().fitExtent([[0, 0], [iw, ih]], { type: 'MultiPoint', coordinates: [[w, s], [e, n], [w, n], [e, s]] });
    const { parts } = paths(feats, values, pr, units, metric, { clip: [iw, ih], idPrefix: id });
    return `<figure class="inset" data-inset="${id}"><figcaption>${esc(name)}</figcaption>`
      + `<svg viewBox="0 0 ${iw} ${ih}" role="group" aria-label="${esc(`${title}: inset of ${name}`)}"><rect class="sea" width="${iw}" height="${ih}"/>${parts.join('')}</svg></figure>`;
  }).join('');
  const legend = legendBreaks(units, metric).map((b) => `<li><span class="sw" style="background:${b.color}"></span>${esc(b.text)}</li>`).join('');
  box.innerHTML = `<div class="map-tools"><label class="field" for="map-metric">Map shows
      <select id="map-metric">${Object.entries(MAP_METRICS).map(([k, v]) => `<option value="${k}"${k === metric ? ' selected' : ''}>${esc(v)}</option>`).join('')}</select></label></div>
    <div class="map-stage"><svg class="world" viewBox="0 0 ${width} ${height}" role="group" aria-label="${esc(title)}" data-coloured="${world.coloured}" data-metric="${metric}" data-metric-label="${esc(label)}">`
    + `<path class="sphere" d="${sphere}"/>${world.parts.join('')}</svg>
      <div class="map-tip" role="status" aria-live="polite" hidden></div></div>
    <ul class="legend" aria-label="Map legend">${legend}<li><span class="sw nodata" style="background:${NO_DATA}"></span>none reported</li></ul>`;
  // the insets follow the map's box (its one svg stays the world map)
  for (let n = box.nextElementSibling; n && (n.classList.contains('insets') || n.classList.contains('export-bar')); n = box.nextElementSibling) n.remove();
  box.insertAdjacentHTML('afterend', `<div class="insets map" data-insets-of="${esc(box.id)}">${insets}</div>`);
  const insetBox = box.nextElementSibling;
  box.querySelector('#map-metric').addEventListener('change', (e) => {
    const qq = viewQ();
    if (e.target.value === 'production') qq.delete('map'); else qq.set('map', e.target.value);
    const route = location.hash.replace(/^#/, '').split('?')[0] || '/';
    location.hash = `${route}${qq.toString() ? `?${qq}` : ''}`;
  });
  const stage = box.querySelector('.map-stage');
  const tip = box.querySelector('.map-tip');
  let tipCc = null, lastPointer = 'mouse', pressing = false;
  const ring = (p) => {
    for (const r of [...box.querySelectorAll('path.focus-ring'), ...insetBox.querySelectorAll('path.focus-ring')]) r.remove();
    if (!p) return;
    const o = document.createElementNS('http://www.w3.org/2000/svg', 'path');
    o.setAttribute('d', p.getAttribute('d'));
    o.setAttribute('class', 'focus-ring');
    o.setAttribute('data-focus', '1');
    p.ownerSVGElement.append(o);
  };
  const showTip = (p, x, y) => {
    if (!p || !p.dataset.tip) { tip.hidden = true; tipCc = null; return; }
    const touch = lastPointer !== 'mouse' && p.classList.contains('has-data');
    tip.innerHTML = `${esc(p.dataset.tip)}${touch ? '<br><span class="muted">Tap again to open</span>' : ''}`;
    tip.hidden = false;
    tipCc = p.dataset.cc || null;
    const sb = stage.getBoundingClientRect();
    if (x === undefined) {
      const r = p.getBoundingClientRect();
      x = r.left + r.width / 2; y = r.top;
    }
    const left = Math.min(Math.max(x - sb.left, 8), sb.width - 8);
    tip.style.left = `${left}px`;
    tip.style.top = `${Math.max(y - sb.top, 0)}px`;
    tip.classList.toggle('flip', left > sb.width * 0.7);
  };
  const pathAt = (e) => e.target.closest && e.target.closest('path.country');
  for (const svg of [...box.querySelectorAll('svg'), ...insetBox.querySelectorAll('svg')]) {
    // a press focuses the shape before its click: that focus must not count as the first tap
    svg.addEventListener('pointerdown', (e) => { lastPointer = e.pointerType || 'mouse'; pressing = true; });
    svg.addEventListener('pointermove', (e) => {
      if (e.pointerType && e.pointerType !== 'mouse') return;
      lastPointer = 'mouse';
      const p = pathAt(e);
      if (p) showTip(p, e.clientX, e.clientY); else { tip.hidden = true; tipCc = null; }
    });
    svg.addEventListener('pointerleave', (e) => { if (!e.pointerType || e.pointerType === 'mouse') { tip.hidden = true; tipCc = null; } });
    svg.addEventListener('click', (e) => {
      pressing = false;
      const p = pathAt(e);
      if (!p) { tip.hidden = true; tipCc = null; return; }
      if (lastPointer !== 'mouse' && (tipCc !== p.dataset.cc || !p.dataset.cc)) { showTip(p, e.clientX, e.clientY); return; }
      if (p.classList.contains('has-data') && onPick) onPick(p.dataset.cc);
    });
    svg.addEventListener('focusin', (e) => {
      const p = pathAt(e);
      if (!p) return;
      ring(p);
      if (!pressing) showTip(p);
    });
    svg.addEventListener('focusout', () => { ring(null); tip.hidden = true; tipCc = null; });
    svg.addEventListener('keydown', (e) => {
      const p = pathAt(e);
      lastPointer = 'mouse';
      if (p && p.classList.contains('has-data') && (e.key === 'Enter' || e.key === ' ')) { e.preventDefault(); onPick && onPick(p.dataset.cc); }
      if (e.key === 'Escape') { tip.hidden = true; tipCc = null; }
    });
  }
  const mapSvg = box.querySelector('svg.world');
  mapSvg.dataset.exportName = metric;
  addExports({ main: box, units }, 'map');
  // its buttons go below the insets
  const bar = box.nextElementSibling && box.nextElementSibling.classList.contains('export-bar') ? box.nextElementSibling : null;
  if (bar) insetBox.after(bar);
  return world.coloured;
}
