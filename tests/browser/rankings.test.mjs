// rankings.test.mjs — the rankings page in Chromium against a real `materia serve`: four
// top-10 lists (producers, exporters, importers, consumers) matching /api/rankings, the
// year selector (URL state, new figures), the production choropleth (coloured countries,
// Brazil in the darkest class, click opens the country page), units ×60, no page errors.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openView, shot, waitReady, withDashboard } from './lib.mjs';

const METRICS = ['production', 'exports', 'imports', 'domestic_consumption'];

async function tableValues(page, metric) {
  return page.$$eval(`table[data-metric="${metric}"] tbody tr`, (trs) => trs.map((tr) => ({
    cc: tr.dataset.cc, raw: Number(tr.querySelector('td.qty').dataset.raw), text: tr.querySelector('td.qty').textContent,
  })));
}

test('rankings page', { timeout: 600_000 }, async (t) => {
  await withDashboard('rankings', async ({ base, page, watch }) => {
    await openView(page, base, '#/rankings', 'rankings');
    const api = async (m, y) => (await (await page.request.get(`${base}api/rankings?metric=${m}${y ? `&year=${y}` : ''}&limit=10`)).json());
    const latest = (await api('production')).year;

    await t.test('four lists match /api/rankings for the latest year', async () => {
      for (const m of METRICS) {
        const want = await api(m);
        const got = await tableValues(page, m);
        assert.equal(got.length, 10, `${m}: ${got.length} rows`);
        assert.deepEqual(got.map((r) => r.cc), want.rows.map((r) => r.country_code), m);
        assert.deepEqual(got.map((r) => r.raw), want.rows.map((r) => r.value), m);
      }
      const first = await tableValues(page, 'production');
      assert.equal(first[0].cc, 'BR');
    });

    await t.test('the production map colours the producing countries', async () => {
      await page.waitForSelector('#map svg path.country.has-data');
      const coloured = await page.$$eval('#map path.country.has-data', (ps) => ps.map((p) => ({ cc: p.dataset.cc, fill: p.getAttribute('fill'), v: Number(p.dataset.value) })));
      assert.ok(coloured.length >= 40, `${coloured.length} coloured countries`);
      const fills = new Set(coloured.map((c) => c.fill));
      assert.ok(fills.size >= 4, `${fills.size} distinct colours`);
      const br = coloured.find((c) => c.cc === 'BR');
      assert.ok(br, 'Brazil is on the map');
      assert.equal(br.fill, '#5a2f12');
      assert.ok(await page.locator('#map .legend li').count() >= 6);
    });
    await shot(page, 'rankings');

    await t.test('year selector: new year in the URL and in every list', async () => {
      const year = latest - 10;
      await page.selectOption('#year-select', String(year));
      await waitReady(page, 'rankings');
      assert.match(page.url(), new RegExp(`year=${year}`));
      const want = await api('exports', year);
      const got = await tableValues(page, 'exports');
      assert.deepEqual(got.map((r) => r.raw), want.rows.map((r) => r.value));
      assert.match(await page.locator('table[data-metric="exports"] caption').textContent(), new RegExp(`${year - 1}/${String(year % 100).padStart(2, '0')}$`));
    });

    await t.test('units switch multiplies every figure by 60', async () => {
      const before = await tableValues(page, 'production');
      await page.click('#units-mt');
      await waitReady(page, 'rankings');
      const after = await tableValues(page, 'production');
      assert.deepEqual(after.map((r) => r.raw), before.map((r) => r.raw));
      for (let i = 0; i < before.length; i++) {
        assert.equal(Number(after[i].text.replace(/,/g, '')), before[i].raw * 60, after[i].cc);
      }
      assert.match(page.url(), /units=mt/);
      assert.match(page.url(), /year=/);
    });

    await t.test('clicking Brazil on the map opens its country page', async () => {
      await page.click('#map path.has-data[data-cc="BR"]');
      await waitReady(page, 'country');
      assert.match(page.url(), /#\/country\/BR/);
      assert.match(page.url(), /units=mt/);
      assert.equal(await page.locator('#country-name').textContent(), 'Brazil');
    });

    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  });
});
