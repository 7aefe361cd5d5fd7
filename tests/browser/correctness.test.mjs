// correctness.test.mjs — issue 16's correctness defects, each checked in Chromium against a
// real `materia serve` on the bundled PSD sample (release 20 Dec 2022), at desktop size in
// light and at phone size (390 × 844) in dark (prefers-color-scheme), with no console
// errors, failed or outside requests on any page:
//  - rankings before the coverage break (2002/03, found from the data) carry a coverage
//    note and no importer/consumer lists; 1959/60 (one country) is not offered;
//  - one market-year language ("2022/23") on chart axes, tooltips, tables, CSV and /api;
//  - the series break marked on the world charts it touches;
//  - both stocks-to-use measures, named (20.3% and 11.1% for 2022/23);
//  - "first stored value" on the revisions page;
//  - 2022/23 marked as a USDA forecast in the December 2022 release, 2021/22 not;
//  - the Arabica area drawn in its legend colour; Other production in the country table;
//  - tables with a sticky header and first column, captions inside a phone's width.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chartData, launch, openView, shot, waitReady, watchPage, withDashboard } from './lib.mjs';

const MY = /^\d{4}\/\d{2}$/;
const PHONE = { width: 390, height: 844 };

/** Every x label of every chart on the page. */
const xLabels = (page) => page.evaluate(() => [...document.querySelectorAll('main canvas')].map((c) => ({
  id: c.parentElement.id, labels: window.Chart.getChart(c).data.labels,
})));

/** The tooltip title of chart `id` at x label `label` (the tooltip shown programmatically). */
const tooltipTitle = (page, id, label) => page.evaluate(([id2, lab]) => {
  const ch = window.Chart.getChart(document.querySelector(`#${id2} canvas`));
  const i = ch.data.labels.indexOf(lab);
  if (i < 0) return `no label ${lab}`;
  const el = ch.getDatasetMeta(0).data[i];
  ch.tooltip.setActiveElements([{ datasetIndex: 0, index: i }], { x: el.x, y: el.y });
  ch.update();
  return ch.tooltip.title.join(' ');
}, [id, label]);

/** RGB of the area just under the top of dataset 0 (the bottom band) at its widest point,
 *  and of its legend box, read from the canvas pixels. */
const areaAndLegend = (page, id) => page.evaluate((id2) => {
  const c = document.querySelector(`#${id2} canvas`);
  const ch = window.Chart.getChart(c);
  const dpr = c.width / c.clientWidth;
  const g = c.getContext('2d');
  const px = (x, y) => [...g.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data].slice(0, 3);
  const meta = ch.getDatasetMeta(0);
  const i = Math.floor(meta.data.length * 0.8);
  const pt = meta.data[i];
  const area = px(pt.x, (pt.y + ch.chartArea.bottom) / 2);
  const box = ch.legend.legendHitBoxes[0];
  const legend = px(box.left + ch.legend.options.labels.boxWidth / 2, box.top + box.height / 2);
  return { area, legend, label: ch.data.datasets[0].label };
}, id);

const close = (a, b, tol = 12) => a.every((v, k) => Math.abs(v - b[k]) <= tol);

test('correctness of the analyst dashboard (issue 16)', { timeout: 600_000 }, async (t) => {
  await withDashboard('correctness', async ({ base, page, watch, scratch }) => {
    const world = (await (await page.request.get(`${base}api/world`)).json()).rows;
    const y2023 = world.find((r) => r.market_year === 2023);
    assert.ok(y2023, 'the sample has market year 2023 (2022/23)');
    assert.equal(y2023.release_date, '2022-12-20');
    // the coverage break, from the data: the jump in reporting countries at 2002/03
    const rc = (y) => world.find((r) => r.market_year === y).reporting_countries;
    assert.ok(rc(2002) < 60 && rc(2003) >= 80, `reporting countries 2001/02 ${rc(2002)}, 2002/03 ${rc(2003)}`);
    assert.equal(rc(1960), 2, 'PSD 1959/60 is two countries');

    await t.test('rankings: coverage note, no importer/consumer lists before 2002/03, no 1959/60', async () => {
      await openView(page, base, '#/rankings?year=2001', 'rankings');
      const opts = await page.locator('#year-select option').allTextContents();
      assert.ok(!opts.includes('1959/60'), '1959/60 (two countries) offered as a world ranking year');
      assert.ok(opts.includes('1960/61') && opts.includes('2022/23'));
      assert.equal(await page.locator('#year-select').inputValue(), '2001');
      const note = page.locator('#coverage-note');
      assert.ok(await note.isVisible(), 'a visible coverage note for 2000/01');
      assert.match(await note.textContent(), /2002\/03/);
      assert.equal(await page.locator('table[data-metric="imports"]').count(), 0, 'importers listed for 2000/01');
      assert.equal(await page.locator('table[data-metric="domestic_consumption"]').count(), 0, 'consumers listed for 2000/01');
      assert.equal(await page.locator('.coverage-hidden').count(), 2);
      const text = await page.locator('main').textContent();
      assert.ok(!/Malaysia\s*[\d,]+\s*39\.7%/.test(text), 'Malaysia 39.7% of "world" imports is shown');
      // the shares that remain say what they are shares of
      assert.match(await page.locator('table[data-metric="production"] thead').textContent(), /Share of reporting/);
      await shot(page, 'correct-rankings-2000-01');

      await page.selectOption('#year-select', '2003');
      await waitReady(page, 'rankings');
      assert.equal(await page.locator('#coverage-note').count(), 0, 'no coverage note from 2002/03 on');
      assert.equal(await page.locator('table[data-metric="imports"]').count(), 1);
      assert.equal(await page.locator('table[data-metric="domestic_consumption"]').count(), 1);
      assert.match(await page.locator('table[data-metric="imports"] caption').textContent(), /2002\/03/);
    });

    await t.test('one market-year language: axes, tooltips and tables say 2022/23', async () => {
      await openView(page, base, '#/', 'home');
      for (const c of await xLabels(page)) {
        assert.ok(c.labels.length > 20, `${c.id}: ${c.labels.length} labels`);
        for (const l of c.labels) assert.match(l, MY, `${c.id} x label ${l}`);
      }
      assert.match(await tooltipTitle(page, 'chart-prodcons', '2021/22'), /^2021\/22\b/);
      await openView(page, base, '#/country/BR', 'country');
      for (const c of await xLabels(page)) for (const l of c.labels) assert.match(l, MY, `${c.id} x label ${l}`);
      assert.match(await tooltipTitle(page, 'chart-production', '2019/20'), /^2019\/20\b/);
      const years = await page.locator('#balance-table tbody th[scope="row"]').allTextContents();
      for (const y of years) assert.match(y.replace(/\s*F$/, ''), MY);
      await openView(page, base, '#/revisions/BR', 'revisions');
      for (const l of (await xLabels(page)).find((c) => c.id === 'chart-vintages').labels) assert.match(l, MY);
      // CSV files (the country page's download is the API's CSV) and the API's own page
      const csv = (await (await page.request.get(`${base}api/balance/BR?format=csv`)).text()).trim().split(/\r?\n/);
      const head = csv[0].split(',');
      const col = head.indexOf('market_year_label');
      assert.ok(col > 0, `CSV header: ${csv[0]}`);
      assert.deepEqual(csv.slice(1).map((l) => l.split(',')[col]).slice(-2), ['2021/22', '2022/23']);
      for (const l of csv.slice(1)) assert.match(l.split(',')[col], MY);
      const doc = await (await page.request.get(`${base}api`)).text();
      assert.match(doc, /<code>market_year<\/code> 2023 is the market year <strong>2022\/23<\/strong>/);
    });

    await t.test('the series break is marked on the world charts it touches', async () => {
      await openView(page, base, '#/', 'home');
      const marks = await page.evaluate(() => Object.fromEntries([...document.querySelectorAll('main canvas')].map((c) => [c.parentElement.id, c.dataset.seriesBreak || null])));
      assert.equal(marks['chart-prodcons'], '2002/03');
      assert.equal(marks['chart-stocks'], '2002/03');
      // production has no break (importing countries produce no coffee)
      assert.equal(marks['chart-split'], null);
      assert.match(await page.locator('#chart-prodcons canvas').getAttribute('aria-label'), /series break \(coverage change\) at 2002\/03/);
      assert.ok(await page.locator('#coverage-note').isVisible());
      // the dashed line is drawn: a dark pixel on the break's x in an otherwise light column
      const dark = await page.evaluate(() => {
        const c = document.querySelector('#chart-prodcons canvas');
        const ch = window.Chart.getChart(c);
        const i = ch.data.labels.indexOf('2002/03');
        const x = (ch.scales.x.getPixelForValue(i) + ch.scales.x.getPixelForValue(i - 1)) / 2;
        const dpr = c.width / c.clientWidth;
        const g = c.getContext('2d');
        let n = 0;
        for (let y = ch.chartArea.top + 20; y < ch.chartArea.bottom; y += 2) {
          const [r, gg, b] = g.getImageData(Math.round(x * dpr), Math.round(y * dpr), 1, 1).data;
          if (r + gg + b < 300) n++;
        }
        return n;
      });
      assert.ok(dark > 10, `dark pixels on the break line: ${dark}`);
      // from 2002/03 on, nothing to mark
      await openView(page, base, '#/?from=2003', 'home');
      assert.equal(await page.locator('#chart-prodcons canvas').getAttribute('data-series-break'), null);
    });

    await t.test('both stocks-to-use measures, named', async () => {
      await openView(page, base, '#/', 'home');
      const card = page.locator('#headline .card[data-metric="stocks_to_use_pct"]');
      assert.equal(await card.locator('[data-stu="cons"]').textContent(), '20.3%÷ consumption');
      assert.equal(await card.locator('[data-stu="use"]').textContent(), '11.1%÷ (consumption + exports)');
      const ds = (await chartData(page)).find((c) => c.id === 'chart-stocks').datasets.map((d) => d.label);
      assert.deepEqual(ds, ['Ending stocks', 'Stocks ÷ consumption %', 'Stocks ÷ (consumption + exports) %']);
      assert.match(await page.locator('#stu-note').textContent(), /ending stocks ÷ domestic consumption.*ending stocks ÷ \(domestic consumption \+ exports\)/);
      await openView(page, base, '#/country/BR', 'country');
      const head = await page.locator('#balance-table thead').textContent();
      assert.match(head, /Stocks ÷ consumption/);
      assert.match(head, /Stocks ÷ \(consumption \+ exports\)/);
    });

    await t.test('revisions: a key’s first value is the "first stored value"', async () => {
      await openView(page, base, '#/revisions/BR', 'revisions');
      const text = await page.locator('main').textContent();
      assert.ok(!/first estimate/i.test(text.replace(/not necessarily USDA’s first estimate/g, '')), 'labelled "first estimate"');
      assert.match(await page.locator('#revisions-table tbody').textContent(), /first stored value/);
      const ds = (await chartData(page)).find((c) => c.id === 'chart-path').datasets[0].label;
      assert.match(ds, /first stored value/);
    });

    await t.test('forecast status from the release: 2022/23 a USDA forecast in Dec 2022', async () => {
      await openView(page, base, '#/', 'home');
      assert.match(await page.locator('#h-latest').textContent(), /2022\/23.*USDA forecast.*20 Dec 2022 release/);
      assert.equal(await tooltipTitle(page, 'chart-prodcons', '2022/23'), '2022/23 · USDA forecast');
      assert.equal(await tooltipTitle(page, 'chart-prodcons', '2021/22'), '2021/22 · USDA estimate');
      await openView(page, base, '#/country/BR', 'country');
      assert.equal(await page.locator('#balance-table tr[data-year="2023"] th .my-status[data-status="forecast"]').count(), 1);
      assert.equal(await page.locator('#balance-table tr[data-year="2022"] th .my-status').count(), 0);
      // the revisions table: the status of the market year in each release
      await openView(page, base, '#/revisions/BR', 'revisions');
      assert.deepEqual(await page.locator('#revisions-table tbody td.my-status').allTextContents(), ['USDA forecast']);
      await openView(page, base, '#/revisions/BR?market_year=2022', 'revisions');
      assert.deepEqual(await page.locator('#revisions-table tbody td.my-status').allTextContents(), ['USDA estimate']);
    });

    await t.test('Other production in the country table: Arabica + Robusta + Other = production', async () => {
      for (const cc of ['BR', 'VM', 'ET']) {
        await openView(page, base, `#/country/${cc}`, 'country');
        assert.match(await page.locator('#balance-table thead').textContent(), /Other/);
        const rows = await page.evaluate(() => [...document.querySelectorAll('#balance-table tbody tr')].map((tr) => {
          const v = (k) => { const td = tr.querySelector(`td[data-col="${k}"]`); return td && td.dataset.raw !== '' ? Number(td.dataset.raw) : null; };
          return { y: tr.dataset.year, p: v('production'), a: v('arabica_production'), r: v('robusta_production'), o: v('other_production') };
        }));
        assert.ok(rows.length > 20);
        let checked = 0;
        for (const r of rows) {
          if (r.p === null) continue;
          assert.ok(r.o !== null, `${cc} ${r.y}: no Other cell`);
          assert.ok(Math.abs((r.a ?? 0) + (r.r ?? 0) + r.o - r.p) < 0.5, `${cc} ${r.y}: ${r.a} + ${r.r} + ${r.o} != ${r.p}`);
          checked++;
        }
        assert.ok(checked > 20, `${cc}: ${checked} rows checked`);
      }
    });

    await t.test('Arabica’s area has its legend colour (desktop, light)', async () => {
      await openView(page, base, '#/', 'home');
      const { area, legend, label } = await areaAndLegend(page, 'chart-split');
      assert.equal(label, 'Arabica');
      assert.ok(close(area, legend), `area rgb(${area}) vs legend rgb(${legend})`);
      await shot(page, 'correct-home-desktop');
    });

    await t.test('tables: sticky header and first column (desktop)', async () => {
      await openView(page, base, '#/country/BR', 'country');
      await stickyChecks(page);
    });

    await t.test('no console errors, failed requests or outside requests (desktop)', () => {
      assert.deepEqual(watch.problems(), []);
    });

    // ---- phone, dark ---------------------------------------------------------------
    const phone = await launch(scratch, { viewport: PHONE, colorScheme: 'dark', isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    try {
      const p = phone.pages()[0] || await phone.newPage();
      const w = watchPage(p);
      await t.test('phone, dark: Arabica area colour, series break, both stocks-to-use', async () => {
        await openView(p, base, '#/', 'home');
        const { area, legend } = await areaAndLegend(p, 'chart-split');
        assert.ok(close(area, legend), `area rgb(${area}) vs legend rgb(${legend})`);
        assert.equal(await p.locator('#chart-stocks canvas').getAttribute('data-series-break'), '2002/03');
        assert.ok(await p.locator('#headline [data-stu="cons"]').isVisible());
        assert.ok(await p.locator('#headline [data-stu="use"]').isVisible());
        await shot(p, 'correct-home-phone-dark');
        // the dark theme itself (a signed-in user's choice: data-theme="dark"), drawn again:
        // chart text and grid take the dark palette, the bands still match their legend
        await p.evaluate(() => { document.documentElement.dataset.theme = 'dark'; location.hash = '#/?from=2003'; });
        await waitReady(p, 'home');
        const d = await p.evaluate(() => ({ color: window.Chart.defaults.color, grid: window.Chart.defaults.borderColor,
          panel: getComputedStyle(document.documentElement).getPropertyValue('--panel').trim() }));
        // chart text in the dark palette (theme.js owns the chart colours): not the light
        // one's, and readable on the dark panel (WCAG contrast >= 4.5)
        assert.notEqual(d.color.toLowerCase(), '#5c534d');
        const lum = (hex) => {
          const v = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
            .map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
          return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
        };
        const [hi, lo] = [lum(d.color), lum(d.panel)].sort((a, b) => b - a);
        assert.ok((hi + 0.05) / (lo + 0.05) >= 4.5, `chart text ${d.color} on panel ${d.panel}`);
        const dark = await areaAndLegend(p, 'chart-split');
        assert.ok(close(dark.area, dark.legend), `dark: area rgb(${dark.area}) vs legend rgb(${dark.legend})`);
        await shot(p, 'correct-home-phone-dark-theme');
      });
      await t.test('phone: rankings before 2002/03', async () => {
        await openView(p, base, '#/rankings?year=2001', 'rankings');
        assert.ok(await p.locator('#coverage-note').isVisible());
        assert.equal(await p.locator('table[data-metric="imports"]').count(), 0);
        await shot(p, 'correct-rankings-phone-dark');
      });
      await t.test('phone: sticky header and first column, caption within the screen', async () => {
        await openView(p, base, '#/country/BR', 'country');
        await stickyChecks(p);
        // scrolled sideways (stickyChecks left it at the last column), the caption stays
        // within the table's box and the screen, in a readable size
        const cap = await p.evaluate(() => {
          const c = document.querySelector('#balance-table caption');
          const w = c.closest('.table-wrap');
          const r = c.getBoundingClientRect(), wr = w.getBoundingClientRect();
          return { left: r.left, right: r.right, wl: wr.left, wr: wr.right, sl: w.scrollLeft, size: parseFloat(getComputedStyle(c).fontSize), vw: document.documentElement.clientWidth };
        });
        assert.ok(cap.sl > 100, `table scrolled sideways by ${cap.sl}px`);
        assert.ok(cap.left >= cap.wl - 1 && cap.right <= cap.wr + 1 && cap.right <= cap.vw, `caption spans ${cap.left}..${cap.right}, box ${cap.wl}..${cap.wr}, screen ${cap.vw}px`);
        assert.ok(cap.size >= 13, `caption font ${cap.size}px`);
        await p.evaluate(() => document.querySelector('#table-box').scrollIntoView());
        await p.screenshot({ path: `${process.env.MATERIA_SOURCE_DIR || '.'}/tests/browser/screenshots/correct-country-table-phone-dark.png` });
      });
      await t.test('phone: no console errors, failed requests or outside requests', () => {
        assert.deepEqual(w.problems(), []);
      });
    } finally {
      await phone.close();
    }
  });
});

/** The country balance table: scrolled to its last row, the header is still on screen
 *  above it; scrolled to its last column, the first (market year) column still is. */
async function stickyChecks(page) {
  const r = await page.evaluate(async () => {
    const t = document.querySelector('#balance-table');
    const rows = t.querySelectorAll('tbody tr');
    const last = rows[rows.length - 1];
    last.scrollIntoView({ block: 'end' });
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    const th = t.querySelector('thead th:nth-child(2)').getBoundingClientRect();
    const lr = last.getBoundingClientRect();
    const lastCell = last.lastElementChild;
    lastCell.scrollIntoView({ inline: 'end', block: 'nearest' });
    await new Promise((res) => requestAnimationFrame(() => requestAnimationFrame(res)));
    const first = last.firstElementChild.getBoundingClientRect();
    const wrap = t.closest('.table-wrap').getBoundingClientRect();
    const lc = lastCell.getBoundingClientRect();
    return { thTop: th.top, thBottom: th.bottom, lastTop: lr.top, firstLeft: first.left, firstRight: first.right,
      wrapLeft: wrap.left, lastCellLeft: lc.left, vh: window.innerHeight, scrolledX: t.closest('.table-wrap').scrollLeft };
  });
  assert.ok(r.thTop >= 0 && r.thBottom <= r.lastTop, `header at ${r.thTop}..${r.thBottom}, last row at ${r.lastTop} (viewport ${r.vh})`);
  assert.ok(r.firstLeft >= r.wrapLeft - 1 && r.firstRight <= r.lastCellLeft + 1, `first column at ${r.firstLeft}..${r.firstRight}, box at ${r.wrapLeft}, last cell at ${r.lastCellLeft} (scrollLeft ${r.scrolledX})`);
}
