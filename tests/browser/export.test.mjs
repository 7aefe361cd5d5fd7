// export.test.mjs — downloads in Chromium against a real `materia serve`: CSV of a chart, a
// table and the map in the units on screen with the USDA release date in the file name;
// PNG of a chart (a real PNG at twice the drawn size); SVG of a chart (vector: one path
// per series, the tick labels as text) and of the map (legend included), the map's PNG. Desktop and phone (the buttons are
// on screen). Screenshots: screenshots/export-*.png.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { chartData, openView, shot, withDashboard } from './lib.mjs';

async function grab(page, sel) {
  const [d] = await Promise.all([page.waitForEvent('download'), page.click(sel)]);
  const file = await d.path();
  return { name: d.suggestedFilename(), buf: fs.readFileSync(file) };
}
const csvRows = (buf) => buf.toString('utf8').trim().split(/\r\n/).map((l) => l.split(','));

test('exports', { timeout: 600_000 }, async (t) => {
  await withDashboard('export', async ({ base, page, watch }) => {
    const health = await (await page.request.get(`${base}health`)).json();
    const release = health.release_date;
    assert.match(release, /^\d{4}-\d{2}-\d{2}$/);
    const br = (await (await page.request.get(`${base}api/balance/BR`)).json()).rows;

    await t.test('chart CSV in 1000 bags, then in metric tons, release date in the name', async () => {
      await openView(page, base, '#/compare?c=BR', 'compare');
      let f = await grab(page, '.export-bar[data-block="production"] button[data-export="csv"]');
      assert.equal(f.name, `materia-compare-production-1000bags-${release}.csv`);
      let rows = csvRows(f.buf);
      assert.deepEqual(rows[0], ['Market year', 'Brazil (1000 × 60-kg bags)']);
      assert.equal(rows.length - 1, br.length);
      const last = br[br.length - 1];
      assert.deepEqual(rows[rows.length - 1], [`${last.market_year - 1}/${String(last.market_year % 100).padStart(2, '0')}`, String(last.production)]);
      await openView(page, base, '#/compare?c=BR&units=mt', 'compare');
      f = await grab(page, '.export-bar[data-block="production"] button[data-export="csv"]');
      assert.equal(f.name, `materia-compare-production-t-${release}.csv`);
      rows = csvRows(f.buf);
      assert.deepEqual(rows[0], ['Market year', 'Brazil (metric tons)']);
      assert.equal(rows[rows.length - 1][1], String(last.production * 60));
    });

    await t.test('chart PNG: a real PNG at twice the drawn size', async () => {
      const [c] = await chartData(page);
      const f = await grab(page, '.export-bar[data-block="production"] button[data-export="png"]');
      assert.equal(f.name, `materia-compare-production-t-${release}.png`);
      assert.deepEqual([...f.buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      assert.equal(f.buf.readUInt32BE(16), c.width * 2);
      assert.equal(f.buf.readUInt32BE(20), c.height * 2);
    });

    await t.test('chart SVG: vector lines, tick labels and legend as text', async () => {
      await openView(page, base, '#/compare?c=BR,VM,CO', 'compare');
      const f = await grab(page, '.export-bar[data-block="production"] button[data-export="svg"]');
      assert.equal(f.name, `materia-compare-production-1000bags-${release}.svg`);
      const svg = f.buf.toString('utf8');
      assert.match(svg, /^<\?xml[^>]*>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
      const lines = svg.match(/<path d="M[^"]+" fill="none"/g) || [];
      assert.equal(lines.length, 3, 'one path per country');
      for (const name of ['Brazil', 'Vietnam', 'Colombia', '1000 × 60-kg bags']) assert.ok(svg.includes(`>${name}</text>`), name);
      assert.match(svg, />\d{4}\/\d{2}<\/text>/, 'market-year tick labels');
      // the browser can draw it
      const ok = await page.evaluate((s) => new Promise((res) => {
        const img = new Image();
        img.onload = () => res(img.naturalWidth > 100);
        img.onerror = () => res(false);
        img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(s)}`;
      }), svg);
      assert.ok(ok, 'the SVG loads as an image');
    });

    await t.test('map SVG (with its legend), PNG and CSV', async () => {
      await openView(page, base, '#/rankings', 'rankings');
      await page.waitForSelector('#map svg.world');
      let f = await grab(page, '.export-bar[data-block="production"] button[data-export="svg"]');
      assert.equal(f.name, `materia-map-production-1000bags-${release}.svg`);
      const svg = f.buf.toString('utf8');
      assert.ok((svg.match(/fill="rgb\(/g) || []).length > 100, 'every shape carries its own fill');
      assert.ok(!/tabindex|focus-ring/.test(svg));
      // the legend travels with the file: every break and "none reported", as on screen
      const legend = await page.locator('#map .legend li').allTextContents();
      assert.equal(legend.length, 6);
      const xmlText = (t) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
      for (const text of legend) assert.ok(svg.includes(`>${xmlText(text)}</text>`), `legend "${text}" missing from the map SVG`);
      f = await grab(page, '.export-bar[data-block="production"] button[data-export="png"]');
      assert.equal(f.name, `materia-map-production-1000bags-${release}.png`);
      assert.deepEqual([...f.buf.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
      const [, , vbw, vbh] = svg.match(/viewBox="([^"]+)"/)[1].split(/\s+/).map(Number);
      assert.equal(f.buf.readUInt32BE(16), vbw * 2, 'PNG width: twice the map SVG');
      assert.equal(f.buf.readUInt32BE(20), vbh * 2, 'PNG height: twice the map SVG, legend band included');
      f = await grab(page, '.export-bar[data-block="production"] button[data-export="csv"]');
      const rows = csvRows(f.buf);
      assert.deepEqual(rows[0], ['Country', 'USDA code', 'Production (1000 bags)']);
      assert.deepEqual(rows[1], ['Brazil', 'BR', '62600']);
    });

    await t.test('chart SVG carries what the chart draws beside its series: extreme bands, series break', async () => {
      await openView(page, base, '#/positioning', 'positioning');
      let f = await grab(page, '.export-bar[data-block="index"] button[data-export="svg"]');
      let svg = f.buf.toString('utf8');
      const geo = await page.evaluate(() => {
        const y = window.Chart.getChart(document.querySelector('#chart-index canvas')).scales.y;
        return Object.fromEntries([100, 80, 20, 0].map((v) => [v, y.getPixelForValue(v)]));
      });
      const band = (side) => {
        const m = svg.match(new RegExp(`<rect class="extreme-${side}" x="[^"]+" y="([^"]+)" width="[^"]+" height="([^"]+)"`));
        assert.ok(m, `no ${side} band in the index chart's SVG`);
        return { y: Number(m[1]), h: Number(m[2]) };
      };
      const long = band('long'), short = band('short');
      assert.ok(Math.abs(long.y - geo[100]) < 0.11 && Math.abs(long.h - (geo[80] - geo[100])) < 0.11, `long band ${JSON.stringify(long)} vs ${JSON.stringify(geo)}`);
      assert.ok(Math.abs(short.y - geo[20]) < 0.11 && Math.abs(short.h - (geo[0] - geo[20])) < 0.11, `short band ${JSON.stringify(short)} vs ${JSON.stringify(geo)}`);
      assert.ok(svg.indexOf('class="extreme-long"') < svg.indexOf('fill="none"'), 'the bands lie under the lines');
      for (const w of ['extreme', 'long', 'short']) assert.ok(svg.includes(`>${w}</text>`), `band label "${w}"`);
      // the positioning table's CSV names the unit of its quantity columns (on screen it is in the caption)
      f = await grab(page, '.export-bar[data-block="cot-table"] button[data-export="csv"]');
      const head = csvRows(f.buf)[0];
      assert.deepEqual(head.slice(0, 4), ['Report date', 'Open interest (contracts)', 'Δ (contracts)', 'Managed money net (contracts)']);
      await openView(page, base, '#/', 'home');
      f = await grab(page, '.export-bar[data-block="prodcons"] button[data-export="svg"]');
      svg = f.buf.toString('utf8');
      assert.match(svg, /<g class="series-break"><line [^>]*stroke-dasharray="4 3"\/><text [^>]*>coverage change<\/text><\/g>/);
    });

    await t.test('table CSV (country index) as on screen', async () => {
      await openView(page, base, '#/countries?region=South%20America&units=mt', 'countries');
      const f = await grab(page, '.export-bar[data-block="south-america"] button[data-export="csv"]');
      assert.equal(f.name, `materia-countries-south-america-t-${release}.csv`);
      const rows = csvRows(f.buf);
      assert.deepEqual(rows[0], ['Country', 'USDA code', 'ISO-2', 'ISO-3', 'Production (t)', 'Latest year']);
      const brRow = rows.find((r) => r[1] === 'BR');
      assert.equal(brRow[4], String(br[br.length - 1].production * 60));
    });

    await page.setViewportSize({ width: 390, height: 844 });
    await t.test('phone: the export buttons are on screen and big enough to tap', async () => {
      await openView(page, base, '#/compare?c=BR,VM', 'compare');
      for (const b of await page.locator('.export-bar button').all()) {
        const box = await b.boundingBox();
        assert.ok(box.x >= 0 && box.x + box.width <= 390 && box.height >= 24, JSON.stringify(box));
      }
      await shot(page, 'export-phone');
    });

    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  });
});
