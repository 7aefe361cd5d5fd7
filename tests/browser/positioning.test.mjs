// positioning.test.mjs — the Positioning page (#/positioning) and the overview's COT cards
// in Chromium against a real `materia serve`: the latest week's cards and the table of the
// latest weeks equal /api/cot (values and week-on-week changes, the README's 2023-10-10
// open interest among them), the three charts carry the API's series, the 26/52-week switch
// changes the index (chart, cards, table, CSV link; state in the URL), extremes are marked
// exactly where the index is >= 80 or <= 20, both CSV links download the API's CSV, and the
// overview shows the latest managed-money index for 52 and 26 weeks and links to the page.
// Desktop (1280x900) and phone (390x844) widths; screenshots: screenshots/positioning-*.png,
// screenshots/home-cot-*.png. When the pipeline leaves no COT reports, lib.mjs's
// withDashboard adds them from webfix.add_cot_tables (CFTC's own files).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { test } from 'node:test';
import { a11yProblems, chartData, launch, openView, SHOTS, shot, waitReady, watchPage, withDashboard } from './lib.mjs';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const one = new Intl.NumberFormat('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const signed = (v) => (v === null ? '—' : v > 0 ? `+${int.format(v)}` : v < 0 ? `−${int.format(-v)}` : '0');
const idxText = (v) => (v === null ? '—' : one.format(v));
const CATS = ['managed_money', 'prod_merc', 'swap', 'other_rept', 'nonrept'];

const tableRows = (page) => page.$$eval('#cot-table tbody tr', (trs) => trs.map((tr) => ({
  date: tr.dataset.date,
  cells: [...tr.querySelectorAll('td')].map((td) => ({ raw: td.dataset.raw === '' ? null : Number(td.dataset.raw), text: td.textContent, cls: td.className })),
})));

/** For dataset ds of the chart in #box: [{y, radius}] of every drawn point. */
const pointRadii = (page, box, ds) => page.evaluate(([b, d]) => {
  const ch = window.Chart.getChart(document.querySelector(`#${b} canvas`));
  return ch.getDatasetMeta(d).data.map((el, i) => ({ y: ch.data.datasets[d].data[i].y, radius: el.options.radius }));
}, [box, ds]);

async function download(page, sel, file) {
  const [dl] = await Promise.all([page.waitForEvent('download'), page.click(sel)]);
  await dl.saveAs(file);
  return fs.readFileSync(file, 'utf8').trim().split(/\r?\n/);
}

test('positioning page and overview COT cards', { timeout: 600_000 }, async (t) => {
  await withDashboard('positioning', async ({ base, page, watch, scratch }) => {
    const get = async (p) => (await (await page.request.get(`${base}${p}`)).json());
    const pos = (await get('api/cot')).rows;
    const idx = { 52: (await get('api/cot/index?window=52')).rows, 26: (await get('api/cot/index?window=26')).rows };
    assert.ok(pos.length > 100, `${pos.length} COT reports`);
    const latest = pos[pos.length - 1];
    const lastIdx = (w) => idx[w].find((r) => r.report_date === latest.report_date);

    await openView(page, base, '#/positioning', 'positioning');
    await t.test('latest week: cards in contracts', async () => {
      assert.match(await page.locator('main .lede').textContent(), /contracts of 37,500 lb/);
      const card = (m) => page.locator(`#cot-cards .card[data-metric="${m}"] .value`).textContent();
      assert.equal(await card('managed_money_net'), `${signed(latest.managed_money_net)}contracts`);
      assert.equal(await card('prod_merc_net'), `${signed(latest.prod_merc_net)}contracts`);
      assert.equal(await card('open_interest'), `${int.format(latest.open_interest)}contracts`);
      assert.equal(await card('managed_money_index'), `${idxText(lastIdx(52).managed_money_index)}/ 100`);
      assert.equal(await card('prod_merc_index'), `${idxText(lastIdx(52).prod_merc_index)}/ 100`);
    });

    await t.test('table of the latest 12 weeks with week-on-week changes', async () => {
      const rows = await tableRows(page);
      const want = [...pos].reverse().slice(0, 12);
      assert.deepEqual(rows.map((r) => r.date), want.map((r) => r.report_date));
      rows.forEach((r, i) => {
        const w = want[i];
        const raws = r.cells.map((c) => c.raw);
        assert.deepEqual(raws.slice(0, 10), [w.open_interest, w.open_interest_change, w.managed_money_net, w.managed_money_net_change,
          w.prod_merc_net, w.prod_merc_net_change, w.swap_net, w.other_rept_net, w.nonrept_net].concat([raws[9]]), w.report_date);
        assert.equal(r.cells[0].text, int.format(w.open_interest));
        assert.equal(r.cells[3].text, signed(w.managed_money_net_change));
        const ix = idx[52].find((x) => x.report_date === w.report_date).managed_money_index;
        assert.equal(r.cells[9].raw, ix);
        assert.equal(r.cells[9].text, idxText(ix));
      });
      // the README's spot value: open interest 217,692 on 2023-10-10 (the bundled sample's last report)
      const spot = rows.find((r) => r.date === '2023-10-10');
      assert.ok(spot, `2023-10-10 not among ${rows.map((r) => r.date)}`);
      assert.equal(spot.cells[0].text, '217,692');
      assert.equal(spot.cells[2].raw, 32661 - 61889);
    });

    await t.test('charts: net by category, open interest, index', async () => {
      const charts = await chartData(page);
      assert.deepEqual(charts.map((c) => c.id), ['chart-net', 'chart-oi', 'chart-index']);
      for (const c of charts) assert.ok(c.width > 300 && c.height > 200 && c.label.length > 30, `${c.id}: ${c.width}x${c.height}`);
      const net = charts[0];
      assert.deepEqual(net.datasets.map((d) => d.label), ['Managed money', 'Producer/merchant', 'Swap dealers', 'Other reportables', 'Non-reportable']);
      net.datasets.forEach((d, i) => {
        const ys = d.data.filter((p) => p.y !== null);
        assert.equal(ys.length, pos.length, d.label);
        assert.equal(ys[ys.length - 1].y, latest[`${CATS[i]}_net`], d.label);
        assert.equal(ys[ys.length - 1].x, Date.parse(`${latest.report_date}T00:00:00Z`));
      });
      // the gaps in the reports (2020-03-24 → 2021-01-05, 2021-12-21 → 2023-01-03) break the line
      assert.equal(net.datasets[0].data.length - pos.length, 2);
      assert.deepEqual(charts[1].datasets[0].data.filter((p) => p.y !== null).map((p) => p.y), pos.map((r) => r.open_interest));
      const mm = charts[2].datasets[0].data.filter((p) => p.y !== null).map((p) => p.y);
      assert.deepEqual(mm, idx[52].filter((r) => r.managed_money_index !== null).map((r) => r.managed_money_index));
    });

    await t.test('extremes (>= 80, <= 20) are marked in the chart and the table', async () => {
      const pts = await pointRadii(page, 'chart-index', 0);
      const ext = pts.filter((p) => p.y !== null && (p.y >= 80 || p.y <= 20));
      assert.ok(ext.length > 0, 'the 52-week index has extremes in this data');
      for (const p of pts) assert.equal(p.radius, p.y !== null && (p.y >= 80 || p.y <= 20) ? 2.5 : 0, `point at ${p.y}`);
      for (const r of await tableRows(page)) {
        const c = r.cells[9];
        const want = c.raw === null ? '' : c.raw >= 80 ? 'extreme-high' : c.raw <= 20 ? 'extreme-low' : '';
        assert.equal(c.cls.replace('index', '').trim(), want, `${r.date}: ${c.raw}`);
      }
    });
    assert.deepEqual(await a11yProblems(page), [], 'accessibility');
    await shot(page, 'positioning-desktop-52w');

    await t.test('the 26/52-week switch changes the index (URL state, survives a reload)', async () => {
      const before = (await chartData(page))[2].datasets[0].data;
      await page.click('#window-26');
      await waitReady(page, 'positioning');
      assert.match(page.url(), /window=26/);
      assert.equal(await page.getAttribute('#window-26', 'aria-pressed'), 'true');
      assert.equal(await page.getAttribute('#window-52', 'aria-pressed'), 'false');
      const after = (await chartData(page))[2].datasets[0].data;
      assert.notDeepEqual(after, before);
      assert.deepEqual(after.filter((p) => p.y !== null).map((p) => p.y), idx[26].filter((r) => r.managed_money_index !== null).map((r) => r.managed_money_index));
      assert.equal(await page.locator('#cot-cards .card[data-metric="managed_money_index"] .value').textContent(), `${idxText(lastIdx(26).managed_money_index)}/ 100`);
      assert.match(await page.locator('#cot-cards .card[data-metric="managed_money_index"] .label').textContent(), /· 26 w/);
      const rows = await tableRows(page);
      assert.equal(rows[0].cells[9].raw, lastIdx(26).managed_money_index);
      assert.equal(await page.getAttribute('#csv-index', 'href'), 'api/cot/index?window=26&format=csv');
      await page.reload();
      await waitReady(page, 'positioning');
      assert.equal(await page.getAttribute('#window-26', 'aria-pressed'), 'true');
    });
    await shot(page, 'positioning-desktop-26w');

    await t.test('period: the last 12 months', async () => {
      await page.selectOption('#period-select', '1y');
      await waitReady(page, 'positioning');
      assert.match(page.url(), /period=1y/);
      const end = Date.parse(`${latest.report_date}T00:00:00Z`);
      const want = pos.filter((r) => Date.parse(`${r.report_date}T00:00:00Z`) >= end - 365 * 86_400_000);
      const net = (await chartData(page))[0].datasets[0].data.filter((p) => p.y !== null);
      assert.deepEqual(net.map((p) => p.y), want.map((r) => r.managed_money_net));
      assert.equal(await page.locator('#cot-table tbody tr').count(), 12); // the table is always the latest weeks
      await shot(page, 'positioning-desktop-1y-26w');
      await page.selectOption('#period-select', 'all');
      await waitReady(page, 'positioning');
      assert.doesNotMatch(page.url(), /period=/);
    });

    await t.test('CSV links download the API CSV', async () => {
      const lines = await download(page, '#csv-positions', `${scratch.dir}/cot.csv`);
      assert.equal(lines[0].split(',')[0], 'report_date');
      assert.equal(lines.length - 1, pos.length);
      assert.equal(lines[lines.length - 1].split(',')[0], latest.report_date);
      const ixl = await download(page, '#csv-index', `${scratch.dir}/cot_index.csv`);
      assert.deepEqual(ixl[0].split(','), ['report_date', 'managed_money_net', 'managed_money_index', 'prod_merc_net', 'prod_merc_index']);
      assert.equal(ixl.length - 1, idx[26].length);
      const last = ixl[ixl.length - 1].split(',');
      assert.equal(last[2] === '' ? null : Number(last[2]), lastIdx(26).managed_money_index);
    });

    await t.test('the overview shows the latest COT index and links to the page', async () => {
      await openView(page, base, '#/', 'home');
      assert.equal(await page.locator('#headline .card').count(), 5); // the balance-sheet cards stay as they were
      const v = (w) => page.locator(`#cot-headline .card[data-metric="cot_index_${w}w"] .value`).textContent();
      assert.equal(await v(52), `${idxText(lastIdx(52).managed_money_index)}/ 100`);
      assert.equal(await v(26), `${idxText(lastIdx(26).managed_money_index)}/ 100`);
      assert.equal(await page.locator('#cot-headline .card[data-metric="managed_money_net"] .value').textContent(), `${signed(latest.managed_money_net)}contracts`);
      await shot(page, 'home-cot-desktop');
      await page.click('#cot-headline .card[data-metric="cot_index_26w"] a');
      await waitReady(page, 'positioning');
      assert.match(page.url(), /#\/positioning\?window=26/);
      assert.equal(await page.getAttribute('#window-26', 'aria-pressed'), 'true');
    });

    await t.test('phone width: no sideways scroll, usable charts, table scrolls in its box', async () => {
      const phone = await launch(scratch, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
      try {
        const p = phone.pages()[0] || await phone.newPage();
        const w = watchPage(p);
        for (const [hash, ready, name] of [['#/positioning', 'positioning', 'positioning-phone'], ['#/', 'home', 'home-cot-phone']]) {
          await openView(p, base, hash, ready);
          const { sw, iw } = await p.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
          assert.ok(sw <= iw, `${ready}: page is ${sw}px wide in a ${iw}px viewport`);
          for (const c of await chartData(p)) assert.ok(c.width >= 300 && c.height >= 200, `${c.id} is ${c.width}x${c.height}`);
          assert.deepEqual(await a11yProblems(p), [], `${ready}: accessibility`);
          await shot(p, name);
          await p.screenshot({ path: `${SHOTS}/${name}-top.png` }); // the first screen, at full size
        }
        await openView(p, base, '#/positioning', 'positioning');
        for (const id of ['chart-net', 'chart-index']) await p.locator(`#${id}`).locator('..').screenshot({ path: `${SHOTS}/positioning-phone-${id}.png` });
        const b = await p.locator('#window-26').boundingBox();
        assert.ok(b && b.x >= 0 && b.x + b.width <= 390 && b.height >= 24, `window switch at ${JSON.stringify(b)}`);
        assert.deepEqual(w.problems(), []);
      } finally {
        await phone.close();
      }
    });

    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  });
});
