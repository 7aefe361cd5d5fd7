// map.test.mjs — the rankings page's world map in Chromium against a real `materia serve`:
// the metric selector (URL key map=) redraws it from /api/rankings with that metric's own
// class breaks; the legend says its breaks as people do ("1–5 M bags"); the tooltip shows at once on hover and on keyboard
// focus; a tap shows it and a second tap opens the country (touch emulated over CDP); the
// Central America and East Africa insets draw the small producers large enough to tap on a
// phone; a keyboard focus ring is visible. Desktop and phone. Screenshots: map-*.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openView, shot, waitReady, withDashboard } from './lib.mjs';

const CENTRAL = ['HO', 'GT', 'CS', 'ES', 'NU', 'PN'];
const EAST = ['ET', 'UG', 'KE', 'RW', 'BY', 'TZ'];

test('world map', { timeout: 600_000 }, async (t) => {
  await withDashboard('map', async ({ base, page, watch }) => {
    const api = async (p) => (await page.request.get(`${base}${p}`)).json();
    const values = (sel = '#map svg.world path.has-data') => page.$$eval(sel, (ps) => Object.fromEntries(ps.map((p) => [p.dataset.cc, Number(p.dataset.value)])));

    await openView(page, base, '#/rankings', 'rankings');
    await t.test('legend breaks read like "1–5 M bags"', async () => {
      const texts = await page.locator('#map .legend li').allTextContents();
      assert.deepEqual(texts, ['< 100 k bags', '100 k – 1 M bags', '1–5 M bags', '5–20 M bags', '≥ 20 M bags', 'none reported']);
      await openView(page, base, '#/rankings?units=mt', 'rankings');
      const mt = await page.locator('#map .legend li').allTextContents();
      assert.deepEqual(mt, ['< 6,000 t', '6,000–60,000 t', '60,000–300,000 t', '300,000 – 1.2 M t', '≥ 1.2 M t', 'none reported']);
    });

    await t.test('each metric has its own breaks, and every country its class colour', async () => {
      const want = {
        exports: ['< 100 k bags', '100 k – 1 M bags', '1–5 M bags', '5–20 M bags', '≥ 20 M bags'],
        imports: ['< 250 k bags', '250 k – 1 M bags', '1–2.5 M bags', '2.5–10 M bags', '≥ 10 M bags'],
        domestic_consumption: ['< 250 k bags', '250 k – 1 M bags', '1–2.5 M bags', '2.5–10 M bags', '≥ 10 M bags'],
        ending_stocks: ['< 50 k bags', '50–250 k bags', '250 k – 1 M bags', '1–5 M bags', '≥ 5 M bags'],
      };
      const bounds = { exports: [100, 1000, 5000, 20000], imports: [250, 1000, 2500, 10000], domestic_consumption: [250, 1000, 2500, 10000], ending_stocks: [50, 250, 1000, 5000] };
      for (const [metric, texts] of Object.entries(want)) {
        await openView(page, base, `#/rankings?map=${metric}`, 'rankings');
        await page.waitForSelector(`#map svg.world[data-metric="${metric}"]`);
        assert.deepEqual(await page.locator('#map .legend li').allTextContents(), [...texts, 'none reported'], metric);
        const swatches = await page.$$eval('#map .legend li .sw:not(.nodata)', (s) => s.map((e) => getComputedStyle(e).backgroundColor));
        const drawn = await page.$$eval('#map svg.world path.has-data', (ps) => ps.map((p) => ({ cc: p.dataset.cc, v: Number(p.dataset.value), fill: getComputedStyle(p).fill })));
        assert.ok(drawn.length >= 20, `${metric}: ${drawn.length} countries drawn`);
        const used = new Set();
        for (const d of drawn) {
          const k = bounds[metric].findIndex((b) => d.v < b);
          const cls = k === -1 ? 4 : k;
          used.add(cls);
          assert.equal(d.fill, swatches[cls], `${metric}: ${d.cc} (${d.v}) has the colour of class ${cls}`);
        }
        assert.ok(used.size >= 4, `${metric}: the countries fall in only ${used.size} classes`);
      }
      await shot(page, 'map-ending-stocks');
    });

    await t.test('metric selector: exports, from /api/rankings, in the URL', async () => {
      await openView(page, base, '#/rankings', 'rankings');
      await page.selectOption('#map-metric', 'exports');
      await waitReady(page, 'rankings');
      await page.waitForSelector('#map svg.world[data-metric="exports"]');
      assert.match(page.url(), /map=exports/);
      const want = await api('api/rankings?metric=exports&limit=100');
      const got = await values();
      for (const [cc, v] of Object.entries(got)) assert.equal(v, want.rows.find((r) => r.country_code === cc).value, cc);
      assert.ok(Object.keys(got).length >= 30, `${Object.keys(got).length} exporters drawn`);
      assert.match(await page.locator('#h-map').textContent(), /^Exports by country/);
      await page.reload();
      await waitReady(page, 'rankings');
      await page.waitForSelector('#map svg.world[data-metric="exports"]');
      assert.equal(await page.locator('#map-metric').inputValue(), 'exports');
    });

    await t.test('hover: the tooltip shows at once', async () => {
      await openView(page, base, '#/rankings', 'rankings');
      await page.hover('#map svg.world path.has-data[data-cc="BR"]');
      // no waiting: a native <title> tooltip takes a second and never shows on touch
      const tip = await page.evaluate(() => { const e = document.querySelector('#map .map-tip'); return { hidden: e.hidden, text: e.textContent }; });
      assert.equal(tip.hidden, false);
      assert.match(tip.text, /^Brazil: Production 62,600 1000 bags/);
    });

    await t.test('keyboard: visible focus ring, tooltip, Enter opens', async () => {
      await page.focus('#map svg.world path.has-data[data-cc="CO"]');
      const ring = await page.evaluate(() => {
        const r = document.querySelector('#map svg.world path.focus-ring');
        if (!r) return null;
        const cs = getComputedStyle(r);
        return { stroke: cs.stroke, width: parseFloat(cs.strokeWidth), last: r === r.parentNode.lastElementChild };
      });
      assert.ok(ring, 'a focus ring is drawn');
      assert.equal(ring.stroke, 'rgb(11, 87, 208)');
      assert.ok(ring.width >= 2 && ring.last, JSON.stringify(ring));
      assert.match(await page.locator('#map .map-tip').textContent(), /^Colombia/);
      await shot(page, 'map-focus');
      await page.keyboard.press('Enter');
      await waitReady(page, 'country');
      assert.equal(await page.locator('#country-name').textContent(), 'Colombia');
    });

    await page.setViewportSize({ width: 390, height: 844 });
    await t.test('phone: insets draw Central America and East Africa at a tappable size', async () => {
      await openView(page, base, '#/rankings', 'rankings');
      for (const [inset, ccs] of [['central-america', CENTRAL], ['east-africa', EAST]]) {
        for (const cc of ccs) {
          const box = await page.locator(`.insets figure[data-inset="${inset}"] path.has-data[data-cc="${cc}"]`).boundingBox();
          assert.ok(box, `${cc} in the ${inset} inset`);
          assert.ok(Math.max(box.width, box.height) >= 12, `${cc} is ${box.width.toFixed(1)}x${box.height.toFixed(1)} px in the inset`);
          const world = await page.locator(`#map svg.world path.has-data[data-cc="${cc}"]`).boundingBox();
          assert.ok(!world || box.width * box.height > 4 * world.width * world.height, `${cc}: the inset is larger than the world map`);
        }
      }
      const { sw, iw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
      assert.ok(sw <= iw, `page is ${sw}px wide in ${iw}px`);
      await shot(page, 'map-phone');
    });

    await t.test('phone: a tap shows the tooltip, a second tap opens the country', async () => {
      const cdp = await page.context().newCDPSession(page);
      await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: true, maxTouchPoints: 1 });
      const tap = async (sel) => {
        await page.locator(sel).scrollIntoViewIfNeeded();
        const b = await page.locator(sel).boundingBox();
        const p = { x: b.x + b.width / 2, y: b.y + b.height / 2 };
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [p] });
        await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
      };
      const sel = '.insets figure[data-inset="east-africa"] path.has-data[data-cc="ET"]';
      await tap(sel);
      await page.waitForFunction(() => { const e = document.querySelector("#map .map-tip"); return e && !e.hidden; });
      assert.match(await page.locator('#map .map-tip').textContent(), /^Ethiopia: Production .*Tap again to open/);
      assert.match(page.url(), /#\/rankings$/, 'the first tap does not navigate');
      await shot(page, 'map-phone-tip');
      await tap(sel);
      await waitReady(page, 'country');
      assert.equal(await page.locator('#country-name').textContent(), 'Ethiopia');
      await cdp.send('Emulation.setTouchEmulationEnabled', { enabled: false });
      await cdp.detach();
    });

    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  });
});
