// explore.test.mjs — finding a country, in Chromium against a real `materia serve`:
// country addresses take USDA's PSD codes and ISO 3166 alpha-2/alpha-3 codes as aliases;
// a code that means one country to USDA and another to ISO (CH: China / Switzerland, 11 of
// them among this snapshot's countries) asks which is meant; a code that names no country
// shows the unknown-code page on every route that takes a code; the app's own links never
// ask. The country index (#/countries) with search and regions, opened by the nav's
// "Countries". Desktop and phone sizes. Screenshots: screenshots/explore-*.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { a11yProblems, openView, shot, waitReady, withDashboard } from './lib.mjs';

// ISO 3166-1 alpha-2 codes that are a different country's USDA (FAS) code in this data.
const CONFLICTS = ['CF', 'CG', 'CH', 'CI', 'GB', 'MA', 'NI', 'PA', 'RS', 'YE', 'ZA'];
const SIZES = [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]];

const h1 = (page) => page.locator('main h1').textContent();
// the unknown-code page is its route's view (main[data-ready=route]) with data-code="unknown"
async function openUnknown(page, base, route, code) {
  await page.goto(`${base}#/${route}/${code}`);
  await page.waitForSelector(`main[data-ready="${route}"][data-code="unknown"]`, { timeout: 30_000 });
}
const waitCountry = (page) => page.waitForSelector('main[data-ready="country"]:not([data-code])', { timeout: 30_000 });

test('country codes and the country index', { timeout: 600_000 }, async (t) => {
  await withDashboard('explore', async ({ base, page, watch }) => {
    const rows = (await (await page.request.get(`${base}api/countries`)).json()).rows;
    const byFas = new Map(rows.map((r) => [r.country_code, r]));

    await t.test('the 11 conflicting codes, from the data', () => {
      const found = rows.filter((r) => r.iso2 && byFas.has(r.iso2) && byFas.get(r.iso2) !== r
        && (byFas.get(r.iso2).iso2 !== r.iso2 || byFas.get(r.iso2).country_name !== r.country_name)).map((r) => r.iso2);
      assert.deepEqual([...new Set(found)].sort(), CONFLICTS);
    });

    for (const [size, viewport] of SIZES) {
      await page.setViewportSize(viewport);
      await t.test(`${size}: #/country/CH asks China (USDA) or Switzerland (ISO)`, async () => {
        await openView(page, base, '#/country/CH', 'ambiguous-code');
        assert.equal(await h1(page), 'Which country?');
        const items = await page.locator('#code-choices li').evaluateAll((lis) => lis.map((li) => [li.dataset.cc, li.querySelector('a').textContent]));
        assert.deepEqual(items, [['CH', 'China'], ['SZ', 'Switzerland']]);
        assert.deepEqual(await a11yProblems(page), []);
        await shot(page, `explore-ask-CH-${size}`);
        await page.click('#code-choices li[data-cc="CH"] a');
        await waitReady(page, 'country');
        assert.equal(await page.locator('#country-name').textContent(), 'China');
        assert.match(page.url(), /#\/country\/CH\?code=usda$/);
        await page.goBack();
        await waitReady(page, 'ambiguous-code');
        await page.click('#code-choices li[data-cc="SZ"] a');
        await waitReady(page, 'country');
        assert.equal(await page.locator('#country-name').textContent(), 'Switzerland');
      });
      await t.test(`${size}: VN and VNM open Vietnam (USDA VM)`, async () => {
        for (const code of ['VN', 'vnm', 'VM']) {
          await openView(page, base, `#/country/${code}`, 'country');
          assert.equal(await page.locator('#country-name').textContent(), 'Vietnam', code);
          assert.match(page.url(), /#\/country\/VM$/, `${code}: the address bar shows USDA's code`);
        }
        await openView(page, base, '#/revisions/VN', 'revisions');
        assert.match(await page.locator('main').textContent(), /Vietnam/);
      });
      await t.test(`${size}: DE is unknown, and points to the European Union`, async () => {
        await openUnknown(page, base, 'country', 'DE');
        assert.equal(await h1(page), 'Unknown country');
        assert.match(await page.locator('#code-eu').textContent(), /Germany .*European Union/);
        await shot(page, `explore-unknown-DE-${size}`);
        await page.click('#code-eu a');
        await waitCountry(page);
        assert.equal(await page.locator('#country-name').textContent(), 'European Union');
      });
    }
    await page.setViewportSize(SIZES[0][1]);

    await t.test('every conflicting code asks, on every route that takes a code', async () => {
      for (const code of CONFLICTS) {
        for (const route of ['country', 'revisions']) {
          await openView(page, base, `#/${route}/${code}`, 'ambiguous-code');
          const ccs = await page.locator('#code-choices li').evaluateAll((lis) => lis.map((li) => li.dataset.cc));
          const isoOwner = rows.filter((r) => r.iso2 === code && r.country_code !== code).map((r) => r.country_code);
          assert.deepEqual(ccs, [code, ...isoOwner], `${route}/${code}`);
          // the USDA choice opens the USDA country, never the question again
          await page.click(`#code-choices li[data-cc="${code}"] a`);
          await waitReady(page, route);
          if (route === 'country') assert.equal(await page.locator('#country-name').textContent(), byFas.get(code).country_name, code);
        }
      }
    });

    await t.test('the unknown-code page on every route that takes a code', async () => {
      for (const route of ['country', 'revisions']) {
        await openUnknown(page, base, route, 'XX');
        assert.equal(await h1(page), 'Unknown country');
        assert.ok(await page.locator('main a[href="#/countries"]').count());
      }
    });

    await t.test("the app's own links to China never ask", async () => {
      // a page's link by USDA code gets code=usda (rankings: top 25 producers include China)
      await openView(page, base, '#/rankings?top=25', 'rankings');
      assert.match(await page.locator('table[data-metric="production"] tr[data-cc="CH"] a').getAttribute('href'), /^#\/country\/CH\?code=usda$/);
      await page.click('table[data-metric="production"] tr[data-cc="CH"] a');
      await waitReady(page, 'country');
      assert.equal(await page.locator('#country-name').textContent(), 'China');
      await openView(page, base, '#/country/SZ', 'country');
      await page.selectOption('#country-select', 'CH');
      await page.waitForFunction(() => document.querySelector('main[data-ready="country"] #country-name')?.textContent === 'China');
      assert.match(page.url(), /#\/country\/CH\?code=usda$/);
    });

    for (const [size, viewport] of SIZES) {
      await page.setViewportSize(viewport);
      await t.test(`${size}: "Countries" opens the index; search and regions`, async () => {
        await openView(page, base, '#/', 'home');
        await page.click('.nav a[data-route="countries"]');
        await waitReady(page, 'countries');
        assert.match(page.url(), /#\/countries$/);
        assert.equal(await h1(page), 'Countries');
        assert.equal(await page.locator('#country-groups tbody tr').count(), rows.length);
        const visible = () => page.locator('#country-groups tbody tr:not([hidden])').evaluateAll((trs) => trs.map((tr) => tr.dataset.cc));
        await page.fill('#country-search', 'viet');
        assert.deepEqual(await visible(), ['VM']);
        assert.match(page.url(), /q=viet/);
        await page.fill('#country-search', 'vn'); // ISO alpha-2, matched whole
        assert.deepEqual(await visible(), ['VM']);
        await page.fill('#country-search', 'che'); // ISO alpha-3 of Switzerland
        assert.deepEqual(await visible(), ['SZ']);
        await page.fill('#country-search', 'cote'); // accents folded
        assert.deepEqual(await visible(), ['IV']);
        await page.fill('#country-search', '');
        await page.selectOption('#region-select', 'Central America and Caribbean');
        const central = rows.filter((r) => r.region === 'Central America and Caribbean').map((r) => r.country_code).sort();
        assert.deepEqual((await visible()).sort(), central);
        assert.match(page.url(), /region=Central/);
        await page.reload();
        await waitReady(page, 'countries');
        assert.deepEqual((await visible()).sort(), central, 'the region survives a reload');
        assert.deepEqual(await a11yProblems(page), []);
        await shot(page, `explore-countries-${size}`);
        await page.click('#country-groups tr[data-cc="CS"] a');
        await waitReady(page, 'country');
        assert.equal(await page.locator('#country-name').textContent(), 'Costa Rica');
        assert.equal(await page.getAttribute('.nav a[data-route="countries"]', 'aria-current'), 'page');
        const { sw, iw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
        assert.ok(sw <= iw, `page is ${sw}px wide in ${iw}px`);
      });
    }

    await t.test('phone: the nav is one row (it scrolls sideways), every link reachable', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      for (const [hash, ready] of [['#/', 'home'], ['#/positioning', 'positioning']]) {
        await openView(page, base, hash, ready);
        const tops = await page.locator('.nav li').evaluateAll((lis) => lis.map((li) => Math.round(li.getBoundingClientRect().top)));
        assert.equal(new Set(tops).size, 1, `nav rows at ${tops.join(', ')}`);
        // the row scrolls: the last link can be brought into view, and the page stays put
        const last = page.locator('.nav li:last-child a');
        await last.scrollIntoViewIfNeeded();
        const lb = await last.boundingBox();
        assert.ok(lb && lb.x >= 0 && lb.x + lb.width <= 390, `${ready}: the last nav link scrolls into view (${JSON.stringify(lb)})`);
        await page.evaluate(() => { document.querySelector('.top-inner > nav').scrollLeft = 0; });
        const { sw, iw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
        assert.ok(sw <= iw, `page is ${sw}px wide in ${iw}px`);
        await shot(page, `explore-nav-phone-${ready}`);
      }
      await page.click('.nav a[data-route="countries"]');
      await waitReady(page, 'countries');
    });

    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  });
});
