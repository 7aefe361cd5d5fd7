// home.test.mjs — the overview page in Chromium against a real `materia serve`: headline
// cards for the latest market year with changes, three charts with data, the units switch
// (every quantity ×60, state in the URL, survives a reload), the freshness footer, and no
// console errors, failed requests or requests leaving 127.0.0.1.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartData, openView, shot, waitReady, withDashboard } from './lib.mjs';

test('home page', { timeout: 600_000 }, async (t) => {
  await withDashboard('home', async ({ base, page, watch }) => {
    const world = await (await page.request.get(`${base}api/world`)).json();
    const rows = world.rows.filter((r) => r.production !== null);
    const latest = rows[rows.length - 1];
    assert.ok(rows.length > 30, `world rows: ${rows.length}`);

    await openView(page, base, '#/', 'home');
    await t.test('headline figures for the latest market year', async () => {
      const h2 = await page.locator('main h2').first().textContent();
      const y = latest.market_year;
      // PSD's Market_Year is the year a coffee marketing year ends in: 2023 is 2022/23 (the
      // December 2022 release's newest year; its world production is 172.8 M bags).
      assert.match(h2, new RegExp(`Market year ${y - 1}/${String(y % 100).padStart(2, '0')}`));
      // the bundled sample always has 2022/23, whatever the latest year is: the row first,
      // then its value (never an assertion that silently does not run)
      const y2023 = rows.find((r) => r.market_year === 2023);
      assert.ok(y2023, `no world row for market year 2023 in ${rows.map((r) => r.market_year).join(',')}`);
      assert.equal((y2023.production / 1000).toFixed(1), '172.8');
      const cards = page.locator('#headline .card');
      assert.equal(await cards.count(), 5);
      const prod = await page.locator('#headline .card[data-metric="production"] .value').textContent();
      assert.equal(prod, `${(latest.production * 1000 / 1e6).toFixed(1)}M bags`);
      const delta = await page.locator('#headline .card[data-metric="production"] .delta').textContent();
      assert.match(delta, /[▲▼] [+−]\d+\.\d%/);
    });

    let bags;
    await t.test('three charts, each with data', async () => {
      bags = await chartData(page);
      assert.deepEqual(bags.map((c) => c.id), ['chart-prodcons', 'chart-stocks', 'chart-split']);
      for (const c of bags) {
        assert.ok(c.width > 100 && c.height > 100, `${c.id} is ${c.width}x${c.height}`);
        assert.ok(c.label && c.label.length > 20, `${c.id} has an accessible label`);
        for (const d of c.datasets) assert.ok(d.n > 20, `${c.id}/${d.label}: ${d.n} points`);
      }
      const prod = bags[0].datasets.find((d) => d.label === 'Production');
      assert.equal(prod.data[prod.data.length - 1], latest.production);
    });

    await t.test('freshness footer from /health', async () => {
      const health = await (await page.request.get(`${base}health`)).json();
      await page.waitForFunction(() => document.getElementById('freshness').dataset.release !== undefined);
      const text = await page.locator('#freshness').textContent();
      assert.match(text, /USDA release/);
      assert.equal(await page.locator('#freshness').getAttribute('data-release'), String(health.release_date));
      assert.match(text, /last pipeline run/);
    });
    await shot(page, 'home-bags');

    await t.test('units switch: metric tons, ×60, in the URL, after a reload', async () => {
      await page.click('#units-mt');
      await waitReady(page, 'home');
      assert.match(page.url(), /units=mt/);
      assert.equal(await page.getAttribute('#units-mt', 'aria-pressed'), 'true');
      const mt = await chartData(page);
      for (let i = 0; i < bags.length; i++) {
        for (let j = 0; j < bags[i].datasets.length; j++) {
          const a = bags[i].datasets[j], b = mt[i].datasets[j];
          if (/%/.test(a.label)) { assert.deepEqual(b.data, a.data); continue; }
          assert.deepEqual(b.data, a.data.map((v) => (v === null ? null : v * 60)), `${bags[i].id}/${a.label}`);
        }
      }
      const prod = await page.locator('#headline .card[data-metric="production"] .value').textContent();
      assert.equal(prod, `${(latest.production * 60 / 1e6).toFixed(1)}M t`);
      await page.reload();
      await waitReady(page, 'home');
      assert.equal(await page.getAttribute('#units-mt', 'aria-pressed'), 'true');
      const again = await chartData(page);
      assert.deepEqual(again[0].datasets[0].data, mt[0].datasets[0].data);
      // the nav links carry the units to the other views
      assert.match(await page.getAttribute('.nav a[data-route="rankings"]', 'href'), /units=mt/);
    });
    await shot(page, 'home-mt');

    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  });
});
