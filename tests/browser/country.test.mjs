// country.test.mjs — the country page in Chromium against a real `materia serve`: the
// balance-sheet table equals /api/balance, the country selector loads another country,
// sorting by a column (aria-sort, URL state), charts with data, units ×60 in the table,
// and the CSV download (the link's file is the API's CSV), with no page errors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { chartData, openView, shot, waitReady, withDashboard } from './lib.mjs';

const cells = (page, col) => page.$$eval(`#balance-table td[data-col="${col}"]`, (tds) => tds.map((td) => ({ raw: td.dataset.raw === '' ? null : Number(td.dataset.raw), text: td.textContent })));
const years = (page) => page.$$eval('#balance-table tbody tr', (trs) => trs.map((tr) => Number(tr.dataset.year)));

test('country page', { timeout: 600_000 }, async (t) => {
  await withDashboard('country', async ({ base, page, watch, scratch }) => {
    const balance = async (cc) => (await (await page.request.get(`${base}api/balance/${cc}`)).json());
    await openView(page, base, '#/country/BR', 'country');

    await t.test('Brazil: table rows equal /api/balance/BR, newest first', async () => {
      const want = await balance('BR');
      assert.equal(await page.locator('#country-name').textContent(), 'Brazil');
      const ys = await years(page);
      assert.deepEqual(ys, want.rows.map((r) => r.market_year).sort((a, b) => b - a));
      const prod = await cells(page, 'production');
      const byYear = new Map(want.rows.map((r) => [r.market_year, r.production]));
      assert.deepEqual(prod.map((c) => c.raw), ys.map((y) => byYear.get(y)));
      assert.equal(prod[0].text, byYear.get(ys[0]).toLocaleString('en-US'));
    });

    await t.test('charts with data', async () => {
      const charts = await chartData(page);
      assert.equal(charts.length, 2);
      for (const c of charts) {
        assert.ok(c.width > 100 && c.height > 100, `${c.id} size`);
        assert.ok(c.datasets.length >= 3);
        assert.ok(c.datasets.some((d) => d.data.some((v) => v > 0)), `${c.id} has non-zero data`);
      }
    });
    await shot(page, 'country-BR');

    await t.test('sorting by production, both directions', async () => {
      await page.click('#balance-table th button[data-sort="production"]');
      await waitReady(page, 'country');
      assert.match(page.url(), /sort=production/);
      assert.equal(await page.getAttribute('#balance-table th:has(button[data-sort="production"])', 'aria-sort'), 'descending');
      let prod = (await cells(page, 'production')).map((c) => c.raw);
      assert.deepEqual(prod, [...prod].sort((a, b) => b - a));
      await page.click('#balance-table th button[data-sort="production"]');
      await waitReady(page, 'country');
      assert.match(page.url(), /dir=asc/);
      prod = (await cells(page, 'production')).map((c) => c.raw);
      assert.deepEqual(prod, [...prod].sort((a, b) => a - b));
      assert.equal(await page.evaluate(() => document.activeElement?.dataset?.sort), 'production', 'focus stays on the sort button');
    });

    await t.test('country selector loads Colombia', async () => {
      await page.selectOption('#country-select', 'CO');
      await waitReady(page, 'country');
      assert.match(page.url(), /#\/country\/CO/);
      assert.equal(await page.locator('#country-name').textContent(), 'Colombia');
      const want = await balance('CO');
      const exp = await cells(page, 'exports');
      assert.equal(exp.length, want.rows.length);
      assert.equal(await page.getAttribute('#csv-link', 'href'), 'api/balance/CO?format=csv');
    });

    await t.test('units switch: table ×60', async () => {
      const before = await cells(page, 'domestic_consumption');
      const chartsBefore = await chartData(page);
      await page.click('#units-mt');
      await waitReady(page, 'country');
      const after = await cells(page, 'domestic_consumption');
      assert.equal(after.length, before.length);
      for (let i = 0; i < before.length; i++) {
        if (before[i].raw === null) continue;
        assert.equal(Number(after[i].text.replace(/,/g, '')), before[i].raw * 60);
      }
      assert.match(await page.locator('#balance-table caption').textContent(), /metric tons/);
      const chartsAfter = await chartData(page);
      for (let i = 0; i < chartsBefore.length; i++) {
        for (let j = 0; j < chartsBefore[i].datasets.length; j++) {
          assert.deepEqual(chartsAfter[i].datasets[j].data, chartsBefore[i].datasets[j].data.map((v) => (v === null ? null : v * 60)));
        }
      }
    });
    await shot(page, 'country-CO-mt');

    await t.test('in metric tons the CSV button gives the balance sheet in t, release date in the name', async () => {
      const release = (await (await page.request.get(`${base}health`)).json()).release_date;
      assert.match(await page.locator('#csv-link').textContent(), /\(metric tons\)/);
      assert.equal(await page.getAttribute('#csv-link', 'href'), null, 'no link to the API CSV, which is in 1000 bags');
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#csv-link')]);
      assert.equal(dl.suggestedFilename(), `materia-country-co-balance-table-t-${release}.csv`);
      const rows = fs.readFileSync(await dl.path(), 'utf8').trim().split(/\r\n/).map((l) => l.split(','));
      const col = rows[0].findIndex((h) => /consumption/i.test(h));
      assert.ok(col > 0 && /\(t\)|metric tons/.test(rows[0][col]), `consumption column in t: ${rows[0]}`);
      const want = (await balance('CO')).rows;
      assert.equal(rows.length - 1, want.length);
      const byYear = new Map(want.map((r) => [`${r.market_year - 1}/${String(r.market_year % 100).padStart(2, '0')}`, r]));
      for (const r of rows.slice(1)) {
        const w = byYear.get(r[0].replace(/ F$/, '')); // "2022/23 F": the forecast mark, as on screen
        assert.ok(w, `market year ${r[0]}`);
        assert.equal(r[col], w.domestic_consumption === null ? '' : String(w.domestic_consumption * 60), r[0]);
      }
      await page.click('#units-bags');
      await waitReady(page, 'country');
    });

    await t.test('CSV download is the API CSV', async () => {
      const [dl] = await Promise.all([page.waitForEvent('download'), page.click('#csv-link')]);
      const file = `${scratch.dir}/download.csv`;
      await dl.saveAs(file);
      const text = fs.readFileSync(file, 'utf8');
      const lines = text.trim().split(/\r?\n/);
      assert.match(lines[0], /country_code/);
      assert.match(lines[0], /market_year/);
      const want = await balance('CO');
      assert.equal(lines.length - 1, want.rows.length);
      const res = await page.request.get(`${base}api/balance/CO?format=csv`);
      assert.equal(res.status(), 200);
      assert.match(res.headers()['content-disposition'] || '', /attachment/);
    });

    await t.test('an unknown country code says so', async () => {
      await openView(page, base, '#/country/ZZ', 'country');
      assert.match(await page.locator('main h1').textContent(), /Unknown country/);
    });

    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  });
});
