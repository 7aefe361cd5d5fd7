// account.test.mjs — sign-in and the settings page in Chromium against a real `materia
// serve`, with mail caught by an SMTP sink on 127.0.0.1 (a few lines of node:net below; no
// mail leaves the machine). An anonymous visit makes no account request; sign-in by a
// link from the sink lands on #/settings with a session; preferences saved there (tonnes,
// Brazil, dark) are applied across the dashboard: the units switch defaults to metric
// tons, #/country opens on Brazil, the page turns dark; the watchlist is kept; signing out
// returns the anonymous look. The link opens a page whose button signs in (the link's GET
// uses nothing up). Screenshots: account-signin, account-settings,
// account-home-prefs, account-country-default.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test } from 'node:test';
import { launch, makeServing, openView, Scratch, shot, startServe, watchPage, waitReady } from './lib.mjs';

/** A minimal SMTP server: accepts every message, keeps its text. */
function smtpSink() {
  const messages = [];
  const server = net.createServer((sock) => {
    let buf = '', inData = false, data = '';
    sock.write('220 sink.test ESMTP\r\n');
    sock.on('data', (chunk) => {
      buf += chunk.toString('utf8');
      let i;
      while ((i = buf.indexOf('\r\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 2);
        if (inData) {
          if (line === '.') { inData = false; messages.push(data); data = ''; sock.write('250 OK\r\n'); }
          else data += (line.startsWith('..') ? line.slice(1) : line) + '\n';
          continue;
        }
        const verb = line.split(' ')[0].toUpperCase();
        if (verb === 'EHLO') sock.write('250-sink.test\r\n250 8BITMIME\r\n');
        else if (verb === 'DATA') { inData = true; sock.write('354 go ahead\r\n'); }
        else if (verb === 'QUIT') { sock.end('221 bye\r\n'); }
        else sock.write('250 OK\r\n');
      }
    });
    sock.on('error', () => {});
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    port: server.address().port, messages, close: () => new Promise((r) => server.close(r)),
  })));
}

function lastLink(sink, addr) {
  const m = [...sink.messages].reverse().find((t) => t.includes(`To: ${addr}`));
  assert.ok(m, `no mail to ${addr} in ${sink.messages.length} messages`);
  const link = m.match(/http:\/\/127\.0\.0\.1:\d+\/account\/verify\?token=[A-Za-z0-9_-]{43}/);
  assert.ok(link, m);
  return link[0];
}

// Helper KEYS' routes (/account/keys, /account/billing) answer 404 on a server built without
// them; the settings page says so. Those two answers are the only ones allowed to be 404.
const keysMissing = (p) => /HTTP 404 for .*\/account\/(keys|billing)$|status of 404/.test(p);

test('sign-in and settings', { timeout: 600_000 }, async (t) => {
  const scratch = new Scratch('account');
  const sink = await smtpSink();
  let server = null, ctx = null, ok = false;
  try {
    makeServing(scratch);
    scratch.env.SMTP_URL = `smtp://127.0.0.1:${sink.port}`;
    server = await startServe(scratch);
    const base = server.url;
    ctx = await launch(scratch);
    const page = ctx.pages()[0] || await ctx.newPage();
    const watch = watchPage(page);
    const accountRequests = [];
    page.on('request', (r) => { if (/\/account\//.test(r.url())) accountRequests.push(r.url()); });

    await t.test('anonymous: no account request, a Sign in link', async () => {
      await openView(page, base, '#/', 'home');
      assert.equal(await page.locator('#account-link').textContent(), 'Sign in');
      assert.deepEqual(accountRequests, []);
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme ?? null), null);
    });

    await t.test('sign-in page: a link by email', async () => {
      await page.click('#account-link');
      await waitReady(page, 'signin');
      await shot(page, 'account-signin');
      // the password can be shown while typed (ASVS 2.1.12)
      await page.fill('#pw-password', 'typed secret');
      await page.check('input[data-show="pw-password"]');
      assert.equal(await page.getAttribute('#pw-password', 'type'), 'text');
      await page.uncheck('input[data-show="pw-password"]');
      assert.equal(await page.getAttribute('#pw-password', 'type'), 'password');
      await page.fill('#link-email', 'Ana@Example.com');
      await page.click('#link-form button[type="submit"]');
      await page.waitForSelector('#link-status[data-state="sent"]');
      assert.match(await page.locator('#link-status').textContent(), /on its way/);
    });

    await t.test('the link from the mail signs in and opens the settings', async () => {
      const link = lastLink(sink, 'ana@example.com');
      assert.ok(link.startsWith(base.replace(/\/$/, '')), `${link} is not on ${base}`);
      await page.goto(link);
      // the link's page changes nothing (a mail scanner may open it too); its button POSTs
      // the token with this site's Origin, and that uses the link
      assert.equal(await page.getAttribute('input[name="token"]', 'value'), link.split('token=')[1]);
      assert.deepEqual((await ctx.cookies(base)).filter((c) => c.name === 'materia_session'), []);
      await page.click('#verify-continue');
      await waitReady(page, 'settings');
      assert.match(page.url(), /#\/settings$/);
      assert.equal(await page.locator('#me-email').textContent(), 'ana@example.com');
      assert.equal(await page.locator('#account-link').textContent(), 'Settings');
      const cookies = await ctx.cookies(base);
      const sess = cookies.find((c) => c.name === 'materia_session');
      assert.ok(sess && sess.httpOnly && sess.sameSite === 'Lax', JSON.stringify(cookies));
      // the script cannot read the session cookie
      assert.doesNotMatch(await page.evaluate(() => document.cookie), /materia_session/);
    });

    await t.test('preferences saved and applied across the dashboard', async () => {
      await page.selectOption('#pref-units', 'tonnes');
      await page.selectOption('#pref-country', 'BR');
      await page.selectOption('#pref-theme', 'dark');
      await page.click('#prefs-form button[type="submit"]');
      await page.waitForSelector('#prefs-status[data-state="ok"]');
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      await page.selectOption('#watch-country', 'BR');
      await page.selectOption('#watch-metric', 'production');
      await page.click('#watch-form button[type="submit"]');
      await page.waitForSelector('#watch-status[data-state="ok"]');
      assert.equal(await page.locator('#watch-table tbody tr[data-country="BR"][data-metric="production"]').count(), 1);
      // API keys and plan: KEYS' sections, or the note that they are not on this server
      assert.equal(await page.locator('#keys-table, #keys-none').count(), 1);
      assert.equal(await page.locator('#plan-now, #billing-none').count(), 1);
      await shot(page, 'account-settings');

      await openView(page, base, '#/', 'home');
      assert.equal(await page.locator('#units-mt').getAttribute('aria-pressed'), 'true');
      const prod = await page.locator('#headline .card[data-metric="production"] .value').textContent();
      assert.match(prod, /M t$/);
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
      const bg = await page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
      assert.equal(bg, 'rgb(23, 20, 18)');
      await shot(page, 'account-home-prefs');
      // the switch still works: bags is now the explicit choice in the URL
      await page.click('#units-bags');
      await waitReady(page, 'home');
      assert.match(page.url(), /units=bags/);
      assert.match(await page.locator('#headline .card[data-metric="production"] .value').textContent(), /M bags$/);

      await openView(page, base, '#/country', 'country');
      assert.match(await page.locator('main h1').textContent(), /Brazil/);
      await shot(page, 'account-country-default');
    });

    await t.test('the preferences survive a new page load (they are the account\'s)', async () => {
      await page.reload();
      await waitReady(page, 'country');
      assert.match(await page.locator('main h1').textContent(), /Brazil/);
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    });

    await t.test('sign out: back to the anonymous look', async () => {
      await openView(page, base, '#/settings', 'settings');
      await page.click('#signout');
      await waitReady(page, 'signin');
      assert.equal(await page.locator('#account-link').textContent(), 'Sign in');
      assert.equal(await page.evaluate(() => document.documentElement.dataset.theme ?? null), null);
      await openView(page, base, '#/', 'home');
      assert.equal(await page.locator('#units-bags').getAttribute('aria-pressed'), 'true');
      await openView(page, base, '#/settings', 'settings');
      assert.equal(await page.locator('#signed-out').count(), 1);
    });

    assert.deepEqual(watch.problems().filter((p) => !keysMissing(p)), []);
    ok = true;
  } finally {
    if (ctx) await ctx.close().catch(() => {});
    await sink.close();
    if (server) {
      const r = await server.stop();
      if (ok && r.code !== 0) throw new Error(`materia serve exited with ${r.code ?? r.sig} on SIGTERM (log: ${server.logPath})`);
    }
    if (ok && !process.env.MATERIA_KEEP_SCRATCH) scratch.cleanup();
  }
});
