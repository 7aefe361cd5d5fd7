// dark.test.mjs — light and dark in Chromium against a real `materia serve`: the page follows
// the system's colour scheme (emulated prefers-color-scheme) for everyone; the header's switch
// overrides it and is remembered across a reload; an account's explicit theme (data-theme,
// as account.js sets it) also wins over the system; charts get dark grid and tick colours;
// text keeps WCAG AA contrast; the map's keyboard focus ring stays visible. Desktop and
// phone. Screenshots: screenshots/dark-*.png.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openView, shot, waitReady, withDashboard } from './lib.mjs';

const DARK_BG = 'rgb(23, 20, 18)';
const LIGHT_BG = 'rgb(247, 245, 242)';

function contrast(a, b) {
  const lum = (c) => {
    const [r, g, bl] = c.match(/\d+/g).slice(0, 3).map((v) => {
      const x = Number(v) / 255;
      return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p);
  return (x + 0.05) / (y + 0.05);
}

const look = (page) => page.evaluate(() => {
  const cs = (el) => getComputedStyle(el);
  const canvas = document.querySelector('main canvas');
  const ch = canvas ? window.Chart.getChart(canvas) : null;
  const panel = document.querySelector('.panel');
  return {
    color: document.documentElement.dataset.color,
    bg: cs(document.documentElement).backgroundColor,
    ink: cs(document.querySelector('main h1')).color,
    muted: cs(document.querySelector('.lede') || document.querySelector('main h1')).color,
    panel: panel ? cs(panel).backgroundColor : null,
    grid: ch ? ch.scales.x.options.grid.color : null,
    ticks: ch ? ch.scales.y.options.ticks.color : null,
    pressed: document.getElementById('scheme-switch').getAttribute('aria-pressed'),
  };
});

test('light and dark', { timeout: 600_000 }, async (t) => {
  await withDashboard('dark', async ({ base, page, watch }) => {
    for (const [size, viewport] of [['desktop', { width: 1280, height: 900 }], ['phone', { width: 390, height: 844 }]]) {
      await page.setViewportSize(viewport);
      await page.emulateMedia({ colorScheme: 'dark' });
      await t.test(`${size}: a dark system gives a dark page with dark charts`, async () => {
        await openView(page, base, '#/', 'home');
        const l = await look(page);
        assert.equal(l.color, 'dark');
        assert.equal(l.bg, DARK_BG);
        assert.equal(l.grid, '#3d3631');
        assert.equal(l.ticks, '#cfc5bd');
        assert.equal(l.pressed, 'true');
        assert.ok(contrast(l.ink, l.bg) >= 7, `ink ${contrast(l.ink, l.bg).toFixed(1)}:1`);
        assert.ok(contrast(l.muted, l.bg) >= 4.5, `muted ${contrast(l.muted, l.bg).toFixed(1)}:1`);
        assert.ok(contrast(l.ticks.replace(/^#(..)(..)(..)$/, (m, r, g, b) => `rgb(${parseInt(r, 16)}, ${parseInt(g, 16)}, ${parseInt(b, 16)})`), l.panel) >= 4.5, 'tick labels on the panel');
        await shot(page, `dark-home-${size}`);
        for (const [hash, ready] of [['#/rankings', 'rankings'], ['#/compare?c=BR,VM,CO', 'compare'], ['#/country/BR', 'country']]) {
          await openView(page, base, hash, ready);
          assert.equal((await look(page)).bg, DARK_BG, ready);
          await shot(page, `dark-${ready}-${size}`);
        }
      });
      await t.test(`${size}: the switch wins over the system and survives a reload`, async () => {
        await openView(page, base, '#/', 'home');
        await page.click('#scheme-switch');
        await waitReady(page, 'home');
        let l = await look(page);
        assert.equal(l.color, 'light');
        assert.equal(l.bg, LIGHT_BG);
        assert.equal(l.grid, '#ece7e1', 'the charts were drawn again in light colours');
        await page.reload();
        await waitReady(page, 'home');
        assert.equal((await look(page)).color, 'light', 'remembered');
        await page.click('#scheme-switch'); // back to what the system says
        await waitReady(page, 'home');
        l = await look(page);
        assert.equal(l.color, 'dark');
        assert.equal(await page.evaluate(() => localStorage.getItem('materia-scheme')), null, 'following the system again');
      });
    }
    await page.setViewportSize({ width: 1280, height: 900 });

    await t.test('a light system: light page; the switch makes it dark', async () => {
      await page.emulateMedia({ colorScheme: 'light' });
      await openView(page, base, '#/', 'home');
      assert.equal((await look(page)).bg, LIGHT_BG);
      await page.click('#scheme-switch');
      await waitReady(page, 'home');
      const l = await look(page);
      assert.equal(l.bg, DARK_BG);
      assert.equal(l.grid, '#3d3631');
      await page.click('#scheme-switch');
      await waitReady(page, 'home');
    });

    await t.test("an account's explicit theme wins over the system", async () => {
      await page.emulateMedia({ colorScheme: 'dark' });
      await openView(page, base, '#/', 'home');
      // what account.js does for a signed-in user whose preference is light
      await page.evaluate(() => { document.documentElement.dataset.theme = 'light'; });
      await page.waitForFunction(() => document.documentElement.dataset.color === 'light');
      await page.evaluate(() => { document.documentElement.dataset.theme = 'system'; });
      await page.waitForFunction(() => document.documentElement.dataset.color === 'dark');
    });

    await t.test('dark: the map keyboard focus ring is visible', async () => {
      await openView(page, base, '#/rankings', 'rankings');
      await page.focus('#map svg.world path.has-data[data-cc="BR"]');
      const stroke = await page.evaluate(() => getComputedStyle(document.querySelector('#map path.focus-ring')).stroke);
      const sea = await page.evaluate(() => getComputedStyle(document.querySelector('#map path.sphere')).fill);
      assert.ok(contrast(stroke, sea) >= 3, `focus ring ${stroke} on ${sea}`);
      // the legend's "none reported" swatch is the colour the map uses for it
      const [sw, none] = await page.evaluate(() => [getComputedStyle(document.querySelector('#map .legend .sw.nodata')).backgroundColor,
        getComputedStyle(document.querySelector('#map svg.world path.country:not(.has-data)')).fill]);
      assert.equal(sw, none);
      await shot(page, 'dark-map-focus');
    });

    await t.test('no console errors, failed requests or outside requests', () => {
      assert.deepEqual(watch.problems(), []);
    });
  });
});
