// map.js — the world production choropleth: world-atlas 110m TopoJSON (vendored from npm,
// ISO 3166 numeric ids) projected with d3-geo (Equal Earth) into an inline SVG. Countries
// are matched by the `iso_numeric` of /api/countries; each coloured country is a link-like
// path (keyboard focusable) with a <title> tooltip and opens that country's page.
import { esc, fmtQty, UNITS } from './format.js';

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

// Thresholds in 1000 60-kg bags (the API's unit); colours light to dark.
export const BUCKETS = [
  { max: 100, color: '#f1e4d3' }, { max: 1000, color: '#dfbf98' }, { max: 5000, color: '#c48e5a' },
  { max: 20000, color: '#9a5b2a' }, { max: Infinity, color: '#5a2f12' },
];
const NO_DATA = '#dcdfe3';
export const bucketColor = (v) => (v > 0 ? BUCKETS.find((b) => v < b.max).color : NO_DATA);

/**
 * Draw into `box`. values: Map iso_numeric ("076") → {value, country_code, country_name}.
 * onPick(country_code) is called on click or Enter.
 */
export async function drawMap(box, values, { units, title, onPick }) {
  const atlas = await loadAtlas();
  const { geoEqualEarth, geoPath } = window.d3;
  const feats = window.topojson.feature(atlas, atlas.objects.countries).features
    .filter((f) => f.id !== '010'); // Antarctica: no coffee, much ink
  const width = 960, height = 470;
  const projection = geoEqualEarth().fitExtent([[4, 4], [width - 4, height - 4]], { type: 'FeatureCollection', features: feats });
  const path = geoPath(projection);
  const parts = [];
  let coloured = 0;
  for (const f of feats) {
    const hit = f.id ? values.get(String(f.id).padStart(3, '0')) : undefined;
    const d = path(f);
    if (!d) continue;
    if (hit && hit.value > 0) {
      coloured += 1;
      const t = `${hit.country_name}: ${fmtQty(hit.value, units)} ${UNITS[units].short}`;
      parts.push(`<path class="country has-data" d="${d}" fill="${bucketColor(hit.value)}" data-cc="${esc(hit.country_code)}" data-value="${hit.value}" tabindex="0" role="link" aria-label="${esc(t)}"><title>${esc(t)}</title></path>`);
    } else {
      const name = (f.properties && f.properties.name) || 'Unknown';
      parts.push(`<path class="country" d="${d}" fill="${NO_DATA}"><title>${esc(name)}: no production reported</title></path>`);
    }
  }
  const sphere = path({ type: 'Sphere' });
  box.innerHTML = `<svg viewBox="0 0 ${width} ${height}" role="group" aria-label="${esc(title)}" data-coloured="${coloured}">`
    + `<path class="sphere" d="${sphere}"/>${parts.join('')}</svg>`;
  const legend = document.createElement('ul');
  legend.className = 'legend';
  legend.setAttribute('aria-label', 'Map legend');
  let lo = 0;
  const f = UNITS[units].factor;
  const n = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 });
  for (const b of BUCKETS) {
    const text = b.max === Infinity ? `≥ ${n.format(lo * f)}` : `${lo === 0 ? '> 0' : n.format(lo * f)} – ${n.format(b.max * f)}`;
    legend.insertAdjacentHTML('beforeend', `<li><span class="sw" style="background:${b.color}"></span>${text}</li>`);
    lo = b.max;
  }
  legend.insertAdjacentHTML('beforeend', `<li><span class="sw" style="background:${NO_DATA}"></span>none / not reported</li>`);
  legend.insertAdjacentHTML('beforeend', `<li>(${esc(UNITS[units].short)})</li>`);
  box.append(legend);
  const svg = box.querySelector('svg');
  const pick = (e) => {
    const p = e.target.closest('path.has-data');
    if (p && onPick) onPick(p.dataset.cc);
  };
  svg.addEventListener('click', pick);
  svg.addEventListener('keydown', (e) => { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); pick(e); } });
  return coloured;
}
