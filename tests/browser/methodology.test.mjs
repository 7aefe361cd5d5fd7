// methodology.test.mjs — #/methodology in Chromium against a real `materia serve` on the
// bundled sample, at desktop size (light) and phone size (dark): sources (USDA PSD, CFTC
// COT), release schedule, units, marketing-year conventions with this release's
// forecast/estimate status, the coverage break found in the data (2002/03), both
// stocks-to-use formulas and the COT index formula, citation text with a link to PSD
// Online; reachable from the footer; no console errors or requests leaving 127.0.0.1
// (the outside links are there to follow, never fetched by the page).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { a11yProblems, launch, openView, shot, watchPage, withDashboard } from './lib.mjs';

async function checks(page, base) {
  await openView(page, base, '#/methodology', 'methodology');
  assert.equal(await page.locator('main h1').textContent(), 'Methodology');
  const h2 = await page.locator('main h2').allTextContents();
  assert.deepEqual(h2, ['Sources', 'Release schedule', 'Units', 'Marketing years', 'Coverage breaks', 'Formulas', 'Citation']);
  const text = (await page.locator('main').textContent()).replace(/\s+/g, ' ');
  assert.match(text, /USDA PSD/);
  assert.match(text, /CFTC COT/);
  assert.match(await page.locator('#m-release').textContent(), /^20 Dec 2022$/);
  assert.match(text, /in June.*in December/);
  assert.match(text, /1000 bags = 60 t/);
  assert.match(text, /37,500 lb/);
  assert.match(text, /Market_Year 2023 is the market year 2022\/23/);
  const status = await page.locator('#m-status-list li').allTextContents();
  assert.deepEqual(status, ['2020/21: USDA estimate', '2021/22: USDA estimate', '2022/23: USDA forecast']);
  assert.match((await page.locator('#m-break').textContent()).replace(/\s+/g, ' '), /series break at 2002\/03: PSD reports 56 countries for 2001\/02 and 80 from 2002\/03/);
  const f = (await page.locator('#m-formula-list').textContent()).replace(/\s+/g, ' ');
  assert.match(f, /Stocks-to-use \(÷ consumption\) = ending stocks ÷ domestic consumption × 100/);
  assert.match(f, /Stocks-to-use \(÷ consumption \+ exports\) = ending stocks ÷ \(domestic consumption \+ exports\) × 100/);
  assert.match(f, /COT index = 100 × \(net − min\) ÷ \(max − min\)/);
  const cite = (await page.locator('#m-citation').textContent()).replace(/\s+/g, ' ');
  assert.match(cite, /U\.S\. Department of Agriculture, Foreign Agricultural Service\. Production, Supply and Distribution \(PSD\) Online, “Coffee, Green”, release of 20 Dec 2022 \(market years to 2022\/23\)\. https:\/\/apps\.fas\.usda\.gov\/psdonline\/app\/index\.html/);
  const links = await page.locator('main a[rel~="external"]').evaluateAll((as) => as.map((a) => a.href));
  assert.ok(links.some((h) => h.startsWith('https://apps.fas.usda.gov/psdonline/')), `no PSD Online link in ${links}`);
  assert.ok(links.some((h) => h.startsWith('https://www.cftc.gov/')));
  assert.deepEqual(await a11yProblems(page), []);
  // the page fits the screen: nothing wider than the viewport
  const over = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
  assert.ok(over <= 0, `page ${over}px wider than the screen`);
}

test('methodology page', { timeout: 600_000 }, async (t) => {
  await withDashboard('methodology', async ({ base, page, watch, scratch }) => {
    await t.test('from the footer, desktop, light', async () => {
      await openView(page, base, '#/', 'home');
      await page.click('#methodology-link');
      await page.waitForSelector('main[data-ready="methodology"]');
      await checks(page, base);
      await shot(page, 'methodology-desktop');
      assert.deepEqual(watch.problems(), []);
    });
    const phone = await launch(scratch, { viewport: { width: 390, height: 844 }, colorScheme: 'dark', isMobile: true, hasTouch: true });
    try {
      const p = phone.pages()[0] || await phone.newPage();
      const w = watchPage(p);
      await t.test('phone, dark', async () => {
        await checks(p, base);
        await shot(p, 'methodology-phone-dark');
        assert.deepEqual(w.problems(), []);
      });
    } finally {
      await phone.close();
    }
  });
});
