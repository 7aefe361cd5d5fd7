// compare.test.mjs — several countries on one chart (#/compare?c=BR,VM,CO&m=production) in
// Chromium against a real `materia serve`: the URL alone draws the chart (shareable), every
// series equals /api/balance of its country, the metric, added and removed countries go
// into the URL, ISO aliases work, unknown and ambiguous codes are named, the units switch
// multiplies by 60. Desktop and phone. Screenshots: screenshots/compare-*.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { a11yProblems, chartData, openView, shot, waitReady, withDashboard } from './lib.mjs';

test('compare countries', { timeout: 600_000 }, async (t) => {
  await withDashboard('compare', async ({ base, page, watch }) => {
    const bal = {};
    for (const cc of ['BR', 'VM', 'CO', 'ET']) bal[cc] = (await (await page.request.get(`${base}api/balance/${cc}`)).json()).rows;
    const series = (cc, m, years, f = 1) => {
      const by = new Map(bal[cc].map((r) => [r.market_year, r[m]]));
      return years.map((y) => (by.has(y) ? (by.get(y) === null ? null : by.get(y) * f) : null));
    };
    const years = [...new Set(['BR', 'VM', 'CO'].flatMap((cc) => bal[cc].map((r) => r.market_year)))].sort((a, b) => a - b);

    for (const [size, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
      await page.setViewportSize(viewport);
      await t.test(`${size}: the shared URL draws Brazil, Vietnam and Colombia`, async () => {
        await openView(page, base, '#/compare?c=BR,VM,CO&m=production', 'compare');
        const [c] = await chartData(page);
        assert.equal(c.id, 'chart-compare');
        assert.deepEqual(c.datasets.map((d) => d.label), ['Brazil', 'Vietnam', 'Colombia']);
        for (const [i, cc] of ['BR', 'VM', 'CO'].entries()) assert.deepEqual(c.datasets[i].data, series(cc, 'production', years), cc);
        assert.ok(c.width >= 300 && c.height >= 200, `chart is ${c.width}x${c.height}`);
        assert.deepEqual(await a11yProblems(page), []);
        const { sw, iw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
        assert.ok(sw <= iw, `page is ${sw}px wide in ${iw}px`);
        await shot(page, `compare-${size}`);
      });
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    await t.test('metric, add and remove go into the URL; a reload keeps them', async () => {
      await page.selectOption('#metric-select', 'exports');
      await waitReady(page, 'compare');
      assert.match(page.url(), /m=exports/);
      await page.selectOption('#add-country', 'ET');
      await waitReady(page, 'compare');
      assert.match(decodeURIComponent(page.url()), /c=BR,VM,CO,ET/);
      await page.click('#compare-chips button[data-remove="VM"]');
      await waitReady(page, 'compare');
      assert.match(decodeURIComponent(page.url()), /c=BR,CO,ET/);
      await page.reload();
      await waitReady(page, 'compare');
      const [c] = await chartData(page);
      assert.deepEqual(c.datasets.map((d) => d.label), ['Brazil', 'Colombia', 'Ethiopia']);
      const y = [...new Set(['BR', 'CO', 'ET'].flatMap((cc) => bal[cc].map((r) => r.market_year)))].sort((a, b) => a - b);
      assert.deepEqual(c.datasets[2].data, series('ET', 'exports', y));
    });

    await t.test('units: metric tons are ×60', async () => {
      await openView(page, base, '#/compare?c=BR,VM,CO&units=mt', 'compare');
      const [c] = await chartData(page);
      assert.deepEqual(c.datasets[0].data, series('BR', 'production', years, 60));
    });

    await t.test('ISO aliases; unknown and ambiguous codes are named', async () => {
      await openView(page, base, '#/compare?c=BRA,VN,CH,XX', 'compare');
      const [c] = await chartData(page);
      assert.deepEqual(c.datasets.map((d) => d.label), ['Brazil', 'Vietnam']);
      const msg = await page.locator('#compare-problems').textContent();
      assert.match(msg, /“CH” names China or Switzerland/);
      assert.match(msg, /“XX” names no country/);
    });

    await t.test('stocks-to-use is in percent', async () => {
      await openView(page, base, '#/compare?c=BR&m=stocks_to_use_pct&units=mt', 'compare');
      const [c] = await chartData(page);
      const y = bal.BR.map((r) => r.market_year);
      assert.deepEqual(c.datasets[0].data, series('BR', 'stocks_to_use_pct', y));
    });

    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  });
});
