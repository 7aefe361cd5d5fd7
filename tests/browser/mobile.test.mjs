// mobile.test.mjs — every view on a phone-sized viewport (390×844, touch) in Chromium
// against a real `materia serve`: the page never scrolls sideways (wide tables scroll in
// their own box), charts and the map get a usable size, the navigation and units switch
// stay reachable, controls are labelled, and there are no page errors. Screenshots: screenshots/phone-*.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { a11yProblems, chartData, openView, shot, withDashboard } from './lib.mjs';

const VIEWS = [['#/', 'home'], ['#/rankings', 'rankings'], ['#/country/VM', 'country'], ['#/revisions/CO', 'revisions'], ['#/positioning', 'positioning']];

test('phone viewport', { timeout: 600_000 }, async (t) => {
  await withDashboard('mobile', async ({ base, page, watch }) => {
    for (const [hash, ready] of VIEWS) {
      await t.test(`${ready} fits a phone`, async () => {
        await openView(page, base, hash, ready);
        const { sw, iw } = await page.evaluate(() => ({ sw: document.documentElement.scrollWidth, iw: window.innerWidth }));
        assert.ok(sw <= iw, `page is ${sw}px wide in a ${iw}px viewport`);
        for (const c of await chartData(page)) {
          assert.ok(c.width >= 300 && c.height >= 200, `${c.id} is ${c.width}x${c.height}`);
          assert.ok(c.datasets.some((d) => d.n > 0), `${c.id} has data`);
        }
        if (ready === 'rankings') {
          const box = await page.locator('#map svg').boundingBox();
          assert.ok(box && box.width >= 300, `map is ${box?.width}px wide`);
        }
        for (const sel of ['.nav a[data-route="rankings"]', '#units-mt']) {
          const b = await page.locator(sel).boundingBox();
          assert.ok(b && b.x >= 0 && b.x + b.width <= iw, `${sel} is on screen`);
          assert.ok(b.height >= 24, `${sel} is ${b.height}px tall (tap target)`);
        }
        assert.deepEqual(await a11yProblems(page), [], `${ready}: accessibility`);
        await shot(page, `phone-${ready}`);
      });
    }
    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  }, { viewport: { width: 390, height: 844 } });
});
