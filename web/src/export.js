// export.js — downloads of what a view shows, made in the browser from what is on screen:
//   CSV of every table and every chart, in the units on screen (the numbers as drawn, the
//     unit in the column heading), with the USDA release date in the file name;
//   PNG of every chart (its canvas at twice the screen resolution, on the page's background)
//     and of the map (its SVG, legend included, drawn at twice its size);
//   SVG of every chart: a real vector drawing rebuilt from the chart's own geometry (grid,
//     tick labels, axis titles, lines, bars, legend), and of the map (its own SVG with its
//     legend).
// One call per page, at the end of its render: addExports(ctx, 'name'). It adds a small
// toolbar to each .panel that holds a chart, the map or a table. File names:
//   materia-<page>-<block>-<units>-<release date>.<ext>, e.g.
//   materia-compare-production-1000bags-2022-12-20.csv
import { api } from './api.js';
import { esc, UNITS } from './format.js';

/** The USDA release date of the snapshot being served (api.health(), the page's one /health
 *  request), 'undated' if unknown or if the server does not say it is ok. */
export function releaseDate() {
  const el = document.getElementById('freshness');
  if (el && el.dataset.release) return Promise.resolve(el.dataset.release);
  return api.health().then((h) => (h && h.status === 'ok' && h.release_date) || 'undated', () => 'undated');
}

const unitTag = (units) => (units === 'mt' ? 't' : '1000bags');
const slug = (s) => String(s).toLowerCase().normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'data';

export async function fileName(page, block, units, ext) {
  return `materia-${slug(page)}-${slug(block)}-${unitTag(units)}-${await releaseDate()}.${ext}`;
}

function download(name, blob) {
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = name;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 10_000);
}

const csvCell = (v) => {
  const s = v === null || v === undefined ? '' : String(v);
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
};
export const toCsv = (rows) => `${rows.map((r) => r.map(csvCell).join(',')).join('\r\n')}\r\n`;

/** A number as shown ("10,365,000", "−56", "20.3%") back to a plain number; text stays. */
function plain(text) {
  const t = text.trim().replace(/\u2212/g, '-');
  if (t === '—' || t === '–' || t === '') return '';
  const n = t.replace(/,/g, '').replace(/%$/, '');
  return /^[+-]?\d+(\.\d+)?$/.test(n) ? String(Number(n)) : text.trim();
}

/** Rows of a <table> as on screen: header cells' text, body cells as plain numbers. A
 *  quantity column whose heading names no unit (the unit is in the caption) is marked
 *  <th data-qty> (in the units on screen) or <th data-unit="contracts">, and its heading in
 *  the file gets that unit: a CSV must say its unit in every quantity column. */
export function tableRows(table, units) {
  const out = [];
  const head = table.tHead ? table.tHead.rows[table.tHead.rows.length - 1] : null;
  if (head) {
    out.push([...head.cells].map((c) => {
      const text = c.textContent.replace(/[↕▲▼]/g, '').trim();
      const unit = c.dataset.unit || (c.dataset.qty !== undefined ? UNITS[units].short : '');
      return unit ? `${text} (${unit})` : text;
    }));
  }
  for (const tb of table.tBodies) {
    for (const tr of tb.rows) if (!tr.hidden) out.push([...tr.cells].map((c) => plain(c.textContent)));
  }
  return out;
}

/** Rows of a Chart.js chart: the x labels and each dataset, in the units on screen. */
export function chartRows(chart, units) {
  const labels = chart.data.labels || [];
  const axisOf = (d) => chart.scales[d.yAxisID || 'y'];
  const unitOf = (d) => {
    const title = axisOf(d)?.options?.title;
    if (title && title.display && title.text) return String(title.text);
    return UNITS[units].short;
  };
  const heads = chart.data.datasets.map((d) => `${d.label} (${unitOf(d)})`);
  const pointData = !labels.length && chart.data.datasets.some((d) => d.data.some((v) => v && typeof v === 'object' && 'x' in v));
  if (pointData) {
    // {x, y} points (a time axis in ms): one row per x, dates as YYYY-MM-DD
    const xs = [...new Set(chart.data.datasets.flatMap((d) => d.data.filter(Boolean).map((v) => v.x)))].sort((a, b) => a - b);
    const isDate = xs.length && xs[0] > 1e11;
    const out = [[isDate ? 'Date' : (chart.scales.x?.options?.title?.text || 'x'), ...heads]];
    const maps = chart.data.datasets.map((d) => new Map(d.data.filter(Boolean).map((v) => [v.x, v.y])));
    for (const x of xs) out.push([isDate ? new Date(x).toISOString().slice(0, 10) : x, ...maps.map((m) => (m.has(x) && m.get(x) !== null ? m.get(x) : ''))]);
    return out;
  }
  const xTitle = chart.scales.x?.options?.title?.display ? chart.scales.x.options.title.text : 'Market year';
  const out = [[xTitle, ...heads]];
  labels.forEach((l, i) => {
    out.push([Array.isArray(l) ? l.join(' ') : l, ...chart.data.datasets.map((d) => {
      const v = d.data[i];
      const n = v !== null && typeof v === 'object' ? v.y : v;
      return n === null || n === undefined || Number.isNaN(n) ? '' : n;
    })]);
  });
  return out;
}

const bg = () => getComputedStyle(document.querySelector('.panel') || document.body).backgroundColor || '#fff';

/** PNG of a chart on the panel's background, at 2× its on-screen size. */
export function chartPng(chart) {
  const scale = 2;
  const c = document.createElement('canvas');
  c.width = chart.width * scale;
  c.height = chart.height * scale;
  const g = c.getContext('2d');
  g.fillStyle = bg();
  g.fillRect(0, 0, c.width, c.height);
  g.drawImage(chart.canvas, 0, 0, c.width, c.height);
  return new Promise((res) => c.toBlob(res, 'image/png'));
}

const colorOf = (c, i = 0) => (Array.isArray(c) ? c[i % c.length] : c) || '#000';
const fontOf = (f) => (f ? `font-family="${esc(f.family || 'sans-serif')}" font-size="${f.size || 12}"${f.weight ? ` font-weight="${esc(f.weight)}"` : ''}` : '');

/** A vector SVG of a (line or bar) Chart.js chart, rebuilt from its laid-out geometry. */
export function chartSvg(chart, title = '') {
  const W = chart.width, H = chart.height, area = chart.chartArea;
  const p = [`<rect width="${W}" height="${H}" fill="${esc(bg())}"/>`];
  const C = window.Chart;
  const textColor = (C && C.defaults.color) || '#333';
  for (const scale of Object.values(chart.scales)) {
    if (!scale.options.display) continue;
    const grid = scale.options.grid || {};
    if (grid.display !== false && typeof scale._computeGridLineItems === 'function') {
      for (const g of scale._computeGridLineItems(area)) {
        p.push(`<line x1="${g.x1.toFixed(1)}" y1="${g.y1.toFixed(1)}" x2="${g.x2.toFixed(1)}" y2="${g.y2.toFixed(1)}" stroke="${esc(g.color || C.defaults.borderColor)}" stroke-width="${g.width || 1}"/>`);
      }
    }
    if (scale.options.ticks && scale.options.ticks.display !== false && typeof scale.getLabelItems === 'function') {
      for (const it of scale.getLabelItems(area)) {
        const o = it.options;
        const [x, y] = o.translation;
        const anchor = { left: 'start', right: 'end', center: 'middle', start: 'start', end: 'end' }[o.textAlign] || 'middle';
        const base = { top: 'hanging', middle: 'middle', bottom: 'auto' }[o.textBaseline] || 'middle';
        const lines = Array.isArray(it.label) ? it.label : [it.label];
        lines.forEach((ln, k) => {
          p.push(`<text x="${x.toFixed(1)}" y="${(y + (it.textOffset || 0) + k * (it.font?.lineHeight || 14)).toFixed(1)}" text-anchor="${anchor}" dominant-baseline="${base}" fill="${esc(o.color || textColor)}" ${fontOf(it.font)}${o.rotation ? ` transform="rotate(${(o.rotation * 180 / Math.PI).toFixed(1)} ${x.toFixed(1)} ${y.toFixed(1)})"` : ''}>${esc(ln)}</text>`);
        });
      }
    }
    const t = scale.options.title;
    if (t && t.display && t.text) {
      const size = (t.font && t.font.size) || 12;
      if (scale.isHorizontal()) p.push(`<text x="${((scale.left + scale.right) / 2).toFixed(1)}" y="${(scale.bottom - 4).toFixed(1)}" text-anchor="middle" fill="${esc(t.color || textColor)}" font-family="sans-serif" font-size="${size}">${esc(t.text)}</text>`);
      else {
        const x = scale.position === 'right' ? scale.right - size : scale.left + size;
        const y = (scale.top + scale.bottom) / 2;
        p.push(`<text x="${x.toFixed(1)}" y="${y.toFixed(1)}" text-anchor="middle" transform="rotate(${scale.position === 'right' ? 90 : -90} ${x.toFixed(1)} ${y.toFixed(1)})" fill="${esc(t.color || textColor)}" font-family="sans-serif" font-size="${size}">${esc(t.text)}</text>`);
      }
    }
  }
  // what the chart's own plugins draw (extreme bands, the series break), in their layers
  const layers = (chart.config.plugins || []).filter((pl) => typeof pl.svg === 'function')
    .map((pl) => pl.svg(chart, chart.options.plugins?.[pl.id], esc) || {});
  for (const l of layers) if (l.under) p.push(l.under);
  chart.data.datasets.forEach((d, i) => {
    const meta = chart.getDatasetMeta(i);
    if (!meta || meta.hidden || !chart.isDatasetVisible(i)) return;
    const type = meta.type || chart.config.type;
    if (type === 'bar') {
      meta.data.forEach((el, j) => {
        const pr = el.getProps(['x', 'y', 'base', 'width', 'height', 'horizontal'], true);
        if (pr.y === null || Number.isNaN(pr.y) || d.data[j] === null || d.data[j] === undefined) return;
        const top = Math.min(pr.y, pr.base), h = Math.abs(pr.base - pr.y);
        p.push(`<rect x="${(pr.x - pr.width / 2).toFixed(1)}" y="${top.toFixed(1)}" width="${pr.width.toFixed(1)}" height="${h.toFixed(1)}" fill="${esc(colorOf(d.backgroundColor, j))}"/>`);
      });
    } else {
      let path = '', pen = false;
      meta.data.forEach((el, j) => {
        const v = d.data[j];
        if (v === null || v === undefined || el.skip || Number.isNaN(el.y)) { pen = false; return; }
        path += `${pen ? 'L' : 'M'}${el.x.toFixed(1)} ${el.y.toFixed(1)}`;
        pen = true;
      });
      const dash = Array.isArray(d.borderDash) && d.borderDash.length ? ` stroke-dasharray="${d.borderDash.join(' ')}"` : '';
      p.push(`<path d="${path}" fill="none" stroke="${esc(colorOf(d.borderColor))}" stroke-width="${d.borderWidth || 2}" stroke-linejoin="round"${dash}/>`);
    }
  });
  for (const l of layers) if (l.over) p.push(l.over);
  const lg = chart.legend;
  if (lg && lg.options.display !== false && lg.legendItems && lg.legendHitBoxes) {
    const bw = lg.options.labels.boxWidth || 12, bh = lg.options.labels.boxHeight || bw;
    const font = lg.options.labels.font || C.defaults.font;
    lg.legendItems.forEach((it, k) => {
      const hb = lg.legendHitBoxes[k];
      if (!hb) return;
      p.push(`<rect x="${hb.left.toFixed(1)}" y="${(hb.top + (hb.height - bh) / 2).toFixed(1)}" width="${bw}" height="${bh}" fill="${esc(it.fillStyle)}" stroke="${esc(it.strokeStyle || it.fillStyle)}"/>`);
      p.push(`<text x="${(hb.left + bw + 8).toFixed(1)}" y="${(hb.top + hb.height / 2).toFixed(1)}" dominant-baseline="middle" fill="${esc(lg.options.labels.color || textColor)}" font-family="${esc(font.family || 'sans-serif')}" font-size="${font.size || 12}"${it.hidden ? ' text-decoration="line-through"' : ''}>${esc(it.text)}</text>`);
    });
  }
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}">`
    + `<title>${esc(title)}</title>${p.join('')}</svg>\n`;
}

/** The map's SVG as a standalone file: computed fill and stroke written onto each shape,
 *  and the legend on screen (its swatches and breaks) drawn in a band under the map, so the
 *  file can be read on its own. */
export function mapSvg(svg, title = '') {
  const copy = svg.cloneNode(true);
  const src = svg.querySelectorAll('path'), dst = copy.querySelectorAll('path');
  src.forEach((s, i) => {
    const cs = getComputedStyle(s);
    dst[i].setAttribute('fill', cs.fill);
    dst[i].setAttribute('stroke', cs.stroke);
    dst[i].setAttribute('stroke-width', cs.strokeWidth);
    for (const a of ['tabindex', 'role', 'class']) dst[i].removeAttribute(a);
  });
  copy.setAttribute('xmlns', 'http://www.w3.org/2000/svg');
  const vb = (svg.getAttribute('viewBox') || '0 0 960 470').split(/\s+/).map(Number);
  const items = [...(svg.closest('.map')?.querySelectorAll('.legend li') || [])].map((li) => ({
    color: getComputedStyle(li.querySelector('.sw') || li).backgroundColor, text: li.textContent.trim(),
  }));
  const band = items.length ? 34 : 0;
  copy.setAttribute('width', vb[2]);
  copy.setAttribute('height', vb[3] + band);
  copy.setAttribute('viewBox', `${vb[0]} ${vb[1]} ${vb[2]} ${vb[3] + band}`);
  for (const el of copy.querySelectorAll('[data-focus], .map-tip')) el.remove();
  const ns = 'http://www.w3.org/2000/svg';
  const bgRect = document.createElementNS(ns, 'rect');
  for (const [k, v] of [['x', vb[0]], ['y', vb[1]], ['width', vb[2]], ['height', vb[3] + band], ['fill', bg()]]) bgRect.setAttribute(k, v);
  copy.prepend(bgRect);
  if (items.length) {
    const g = document.createElementNS(ns, 'g');
    g.setAttribute('class', 'legend');
    const ink = getComputedStyle(document.body).color || '#333';
    const step = vb[2] / items.length;
    items.forEach((it, i) => {
      const x = vb[0] + i * step + 8, y = vb[1] + vb[3] + 10;
      const sw = document.createElementNS(ns, 'rect');
      for (const [k, v] of [['x', x], ['y', y], ['width', 14], ['height', 14], ['fill', it.color], ['stroke', ink], ['stroke-width', 0.5]]) sw.setAttribute(k, v);
      const t = document.createElementNS(ns, 'text');
      for (const [k, v] of [['x', x + 20], ['y', y + 11], ['fill', ink], ['font-family', 'sans-serif'], ['font-size', 12]]) t.setAttribute(k, v);
      t.textContent = it.text;
      g.append(sw, t);
    });
    copy.append(g);
  }
  if (title && !copy.querySelector(':scope > title')) copy.insertAdjacentHTML('afterbegin', `<title>${esc(title)}</title>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${new XMLSerializer().serializeToString(copy)}\n`;
}

/** PNG of the map: its standalone SVG (mapSvg, legend included) drawn at twice its size. */
export function mapPng(svg, title = '') {
  const text = mapSvg(svg, title);
  const [, , w, h] = text.match(/viewBox="([^"]+)"/)[1].split(/\s+/).map(Number);
  const url = URL.createObjectURL(new Blob([text], { type: 'image/svg+xml' }));
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => {
      const scale = 2;
      const c = document.createElement('canvas');
      c.width = w * scale;
      c.height = h * scale;
      c.getContext('2d').drawImage(img, 0, 0, c.width, c.height);
      URL.revokeObjectURL(url);
      c.toBlob(resolve, 'image/png');
    };
    img.onerror = () => { URL.revokeObjectURL(url); reject(new Error('map PNG: the SVG did not load as an image')); };
    img.src = url;
  });
}

/** The rows of the map's countries: name, USDA code, value in the units on screen. */
function mapRows(svg, units, metricLabel) {
  const rows = [...svg.querySelectorAll('path.has-data')].sort((a, b) => Number(b.dataset.value) - Number(a.dataset.value))
    .map((p) => [p.dataset.name || '', p.dataset.cc, p.dataset.shown ?? (Number(p.dataset.value) * UNITS[units].factor)]);
  return [['Country', 'USDA code', `${metricLabel} (${UNITS[units].short})`], ...rows];
}

function toolbar(label) {
  const bar = document.createElement('div');
  bar.className = 'export-bar';
  bar.setAttribute('role', 'group');
  bar.setAttribute('aria-label', `Download ${label}`);
  return bar;
}

function button(bar, kind, what, onClick) {
  const b = document.createElement('button');
  b.type = 'button';
  b.className = 'export';
  b.dataset.export = kind;
  b.textContent = kind.toUpperCase();
  b.title = `Download ${what} as ${kind.toUpperCase()}`;
  b.setAttribute('aria-label', `Download ${what} as ${kind.toUpperCase()}`);
  b.addEventListener('click', onClick);
  bar.append(b);
  return b;
}

const nameOf = (el, i) => {
  const h = el.closest('.panel, section')?.querySelector('h2');
  return el.dataset.export || (el.id || '').replace(/^chart-/, '') || (h ? h.textContent : `block-${i + 1}`);
};

/**
 * Adds export buttons to every chart, map and table in ctx.main. page names the files;
 * call once at the end of a page's render (after its charts are made).
 */
export function addExports(ctx, page) {
  const { main, units } = ctx;
  const C = window.Chart;
  const blocks = [];
  const all = (sel) => [...(main.matches(sel) ? [main] : []), ...main.querySelectorAll(sel)];
  main.querySelectorAll('.chart').forEach((box, i) => {
    const canvas = box.querySelector('canvas');
    const chart = canvas && C ? C.getChart(canvas) : null;
    if (chart) blocks.push({ box, kind: 'chart', chart, name: nameOf(box, i), label: canvas.getAttribute('aria-label') || '' });
  });
  all('.map').forEach((box, i) => {
    if (box.classList.contains('insets')) return; // part of the map before it
    const svg = box.querySelector('svg');
    if (svg) blocks.push({ box, kind: 'map', svg, name: svg.dataset.exportName || box.id || `map-${i + 1}`, label: svg.getAttribute('aria-label') || 'map' });
  });
  main.querySelectorAll('table').forEach((t, i) => {
    blocks.push({ box: t.closest('.table-wrap') || t, kind: 'table', table: t, name: t.id || t.dataset.metric || nameOf(t, i), label: t.caption ? t.caption.textContent : 'table' });
  });
  for (const b of blocks) {
    if (b.box.nextElementSibling && b.box.nextElementSibling.classList.contains('export-bar')) continue; // already has one
    if (b.kind === 'map' && b.box.nextElementSibling?.classList.contains('insets') && b.box.nextElementSibling.nextElementSibling?.classList.contains('export-bar')) continue;
    const what = b.kind === 'table' ? 'this table' : b.kind === 'map' ? 'this map' : 'this chart';
    const bar = toolbar(what);
    bar.dataset.block = slug(b.name);
    const csv = async () => {
      const rows = b.kind === 'table' ? tableRows(b.table, units) : b.kind === 'map' ? mapRows(b.svg, units, b.svg.dataset.metricLabel || 'Production') : chartRows(b.chart, units);
      download(await fileName(page, b.name, units, 'csv'), new Blob([toCsv(rows)], { type: 'text/csv;charset=utf-8' }));
    };
    button(bar, 'csv', what, csv);
    if (b.kind === 'chart') {
      button(bar, 'png', what, async () => download(await fileName(page, b.name, units, 'png'), await chartPng(b.chart)));
      button(bar, 'svg', what, async () => download(await fileName(page, b.name, units, 'svg'), new Blob([chartSvg(b.chart, b.label)], { type: 'image/svg+xml' })));
    } else if (b.kind === 'map') {
      button(bar, 'png', what, async () => download(await fileName(page, b.name, units, 'png'), await mapPng(b.svg, b.label)));
      button(bar, 'svg', what, async () => download(await fileName(page, b.name, units, 'svg'), new Blob([mapSvg(b.svg, b.label)], { type: 'image/svg+xml' })));
    }
    b.box.after(bar);
  }
  return blocks.length;
}
