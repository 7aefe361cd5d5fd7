// deploy.test.mjs — a tab left open across a deploy (issue 16). Our modules live in one
// directory named by the build's hash (web/build.mjs), and pages other than the overview
// are imported when first opened (app.js): a tab loaded before a deploy asks for a page
// module of the old build, which is gone. The app must notice that index.html now names
// another build and reload once into it, opening the view that was asked for; and when the
// build has not changed (a module missing for another reason) it must show the error, not
// reload. The deploy is done on a copy of web/dist served by a real `materia serve`: the
// build directory is renamed and index.html rewritten to name the new one, as a new build
// would leave them.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { waitReady, WEB_DIR, withDashboard } from './lib.mjs';

test('an open tab follows a deploy into the new build, once', async () => {
  let dist = null;
  const copyDist = (scratch) => {
    dist = path.join(scratch.dir, 'dist');
    fs.cpSync(WEB_DIR, dist, { recursive: true });
    return dist;
  };
  await withDashboard('deploy', async ({ base, page, watch }) => {
    const indexPath = path.join(dist, 'index.html');
    const html = fs.readFileSync(indexPath, 'utf8');
    const old = (html.match(/assets\/([0-9a-f]+)\/app\.js/) || [])[1];
    assert.ok(old, 'index.html names no assets/<hash>/app.js');
    let loads = 0;
    page.on('load', () => { loads += 1; });
    await page.goto(`${base}#/`);
    await waitReady(page, 'home');
    assert.equal(loads, 1);
    assert.deepEqual(watch.problems(), []);

    // the deploy: a new build directory, and index.html naming it
    const fresh = `${old.slice(0, -4)}beef`;
    assert.notEqual(fresh, old);
    fs.renameSync(path.join(dist, 'assets', old), path.join(dist, 'assets', fresh));
    fs.writeFileSync(`${indexPath}.tmp`, html.split(`assets/${old}/`).join(`assets/${fresh}/`));
    fs.renameSync(`${indexPath}.tmp`, indexPath);

    await page.click('nav a[data-route="rankings"]');
    await waitReady(page, 'rankings');
    assert.equal(loads, 2, 'the tab must have reloaded exactly once');
    assert.match(page.url(), /#\/rankings$/, 'the reload opens the view that was asked for');
    const appSrc = await page.evaluate(() => [...document.scripts].map((s) => s.src).find((s) => /app\.js$/.test(s)));
    assert.match(appSrc, new RegExp(`assets/${fresh}/app\\.js$`), 'after the reload the new build runs');
    // what failed was the old build's module, and nothing else
    const problems = watch.problems();
    assert.ok(problems.some((p) => p.includes(`HTTP 404 for ${base}assets/${old}/pages/rankings.js`)), problems.join('\n'));
    const others = problems.filter((p) => !p.includes(`assets/${old}/`) && !/Failed to load resource: the server responded with a status of 404/.test(p));
    assert.deepEqual(others, []);

    // the same build, one module missing (not a deploy): the error is shown, no reload
    fs.rmSync(path.join(dist, 'assets', fresh, 'pages', 'revisions.js'));
    await page.click('nav a[data-route="revisions"]');
    await waitReady(page, 'error');
    assert.equal(loads, 2, 'no reload when index.html still names this build');
    assert.match(await page.locator('main .error').textContent(), /Could not load this view/);
    watch.clear(); // the two expected 404s, asserted above
  }, { webDir: copyDist });
});
