// revisions.test.mjs — the revisions page in Chromium against a real `materia serve`: the
// estimate-by-release and by-market-year charts hold the /api/revisions figures, the
// country / estimate / market-year selectors change the view (URL state), the release
// table lists every release of the chosen market year, units ×60, no page errors. Then a
// second (synthetic, later) release goes through the pipeline while the server runs: after
// a reload the page shows Brazil's estimate moving by +1,000.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chartData, openView, SAMPLE_ZIP, shot, waitReady, withDashboard } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));

test('revisions page', { timeout: 600_000 }, async (t) => {
  await withDashboard('revisions', async ({ base, page, watch, scratch }) => {
    const rev = async (cc, attr) => (await (await page.request.get(`${base}api/revisions/${cc}?attribute=${attr}`)).json());
    const releases = (await (await page.request.get(`${base}api/releases`)).json()).rows;
    assert.ok(releases.length >= 1);
    await openView(page, base, '#/revisions/BR', 'revisions');

    let latestYear;
    await t.test('Brazil production: charts and table hold the API figures', async () => {
      const want = await rev('BR', 'production');
      latestYear = Math.max(...want.rows.map((r) => r.market_year));
      const path = want.rows.filter((r) => r.market_year === latestYear).sort((a, b) => String(a.release_date).localeCompare(String(b.release_date)));
      const charts = await chartData(page);
      assert.deepEqual(charts.map((c) => c.id), ['chart-path', 'chart-vintages']);
      assert.deepEqual(charts[0].datasets[0].data, path.map((r) => r.value));
      assert.ok(charts[1].datasets.length >= 1 && charts[1].datasets[0].n >= 10, 'recent market years drawn');
      const rows = await page.$$eval('#revisions-table tbody tr', (trs) => trs.map((tr) => Number(tr.querySelector('td').dataset.raw)));
      assert.deepEqual(rows, [...path].reverse().map((r) => r.value));
      assert.equal(await page.locator('#rev-year').inputValue(), String(latestYear));
      if (releases.length === 1) assert.ok(await page.locator('#single-release').isVisible());
    });
    await shot(page, 'revisions');

    await t.test('selectors: country, estimate and market year', async () => {
      await page.selectOption('#rev-country', 'VM');
      await waitReady(page, 'revisions');
      assert.match(page.url(), /#\/revisions\/VM/);
      await page.selectOption('#rev-attribute', 'exports');
      await waitReady(page, 'revisions');
      assert.match(page.url(), /attribute=exports/);
      await page.selectOption('#rev-year', String(latestYear - 5));
      await waitReady(page, 'revisions');
      assert.match(page.url(), new RegExp(`market_year=${latestYear - 5}`));
      const want = (await rev('VM', 'exports')).rows.filter((r) => r.market_year === latestYear - 5);
      const charts = await chartData(page);
      assert.deepEqual(charts[0].datasets[0].data, want.sort((a, b) => String(a.release_date).localeCompare(String(b.release_date))).map((r) => r.value));
      assert.match(await page.locator('#h-path').textContent(), /Vietnam exports/);
    });

    await t.test('units switch ×60', async () => {
      const before = await chartData(page);
      await page.click('#units-mt');
      await waitReady(page, 'revisions');
      const after = await chartData(page);
      assert.deepEqual(after[0].datasets[0].data, before[0].datasets[0].data.map((v) => v * 60));
      assert.match(page.url(), /units=mt/);
      assert.match(page.url(), /attribute=exports/);
    });

    await t.test('a second release shows up as a revision', async () => {
      const zip = path.join(scratch.dir, 'release2.zip');
      const py = spawnSync('python3', [path.join(here, 'second_release.py'), SAMPLE_ZIP, zip, '2023-01-12', 'BR', String(latestYear), '1000'], { encoding: 'utf8' });
      assert.equal(py.status, 0, py.stderr);
      scratch.run(['pipeline', 'run', 'all'], { PSD_SOURCE_URL: `file://${zip}` });
      await openView(page, base, '#/revisions/BR', 'revisions');
      await page.reload();
      await waitReady(page, 'revisions');
      assert.equal(await page.locator('#single-release').count(), 0);
      const charts = await chartData(page);
      const path0 = charts[0].datasets[0].data;
      assert.equal(path0.length, 2);
      assert.equal(path0[1] - path0[0], 1000);
      const first = await page.$$eval('#revisions-table tbody tr:first-child td', (tds) => tds.map((td) => td.textContent));
      assert.equal(first[2], '+1,000');
      assert.ok(charts[1].datasets.length >= 2, 'one line per release');
      assert.match(await page.locator('#freshness').textContent(), /12 Jan 2023/);
      await shot(page, 'revisions-two-releases');
    });

    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  });
});
