// pages/settings.js — #/settings: the signed-in user's account. Profile (email change by a
// confirmation link to the new address), display preferences (units, default country,
// theme: applied across the dashboard at once), the watchlist, password, API keys and plan
// (the /account/keys and /account/billing routes; a server without them says so), sign out
// (here / everywhere) and account deletion. Every form posts JSON with the CSRF token
// (account.js) and shows the server's answer, success or refusal, next to it.
import { api } from '../api.js';
import { forget, get, me, post, applyTheme, showToggles } from '../account.js';
import { esc, fmtDate, METRICS } from '../format.js';

const ERR = (r) => `<span class="bad">${esc(r.error)}</span>`;

function status(el, r, okText) {
  el.innerHTML = r.ok ? esc(okText) : ERR(r);
  el.dataset.state = r.ok ? 'ok' : 'error';
}

function countryOptions(countries, selected, withWorld) {
  const opts = countries.map((c) => `<option value="${esc(c.country_code)}"${c.country_code === selected ? ' selected' : ''}>${esc(c.country_name)}</option>`);
  if (withWorld) opts.unshift(`<option value="WORLD"${selected === 'WORLD' ? ' selected' : ''}>World</option>`);
  return opts.join('');
}

function watchRows(items, names) {
  if (!items.length) return '<tr><td colspan="3" class="muted">Nothing on your watchlist yet.</td></tr>';
  return items.map((it, i) => `<tr data-country="${esc(it.country)}" data-metric="${esc(it.metric)}">
    <td>${esc(it.country === 'WORLD' ? 'World' : names[it.country] || it.country)}</td>
    <td>${esc(METRICS[it.metric] || it.metric)}</td>
    <td><button type="button" class="button small" data-remove="${i}">Remove</button></td></tr>`).join('');
}

function keysHtml(r) {
  if (!r.ok) {
    return r.status === 404 ? '<p class="note" id="keys-none">API keys are not available on this server yet.</p>' : `<p>${ERR(r)}</p>`;
  }
  const rows = r.body.length ? r.body.map((k) => `<tr data-key="${esc(k.id)}">
      <td>${esc(k.name)}</td><td><code>${esc(k.prefix)}…</code></td><td>${esc(fmtDate(k.created_at))}</td>
      <td>${k.last_used_at ? esc(fmtDate(k.last_used_at)) : '<span class="muted">never</span>'}</td>
      <td>${k.revoked_at ? `<span class="muted">revoked ${esc(fmtDate(k.revoked_at))}</span>`
        : `<button type="button" class="button small" data-revoke="${esc(k.id)}">Revoke</button>`}</td></tr>`).join('')
    : '<tr><td colspan="5" class="muted">No API keys yet.</td></tr>';
  return `<div class="table-wrap"><table id="keys-table"><thead><tr><th>Name</th><th>Key</th><th>Created</th><th>Last used</th><th></th></tr></thead>
    <tbody>${rows}</tbody></table></div>
    <form id="key-form" class="inline-form" novalidate>
      <label class="field">New key name <input id="key-name" maxlength="100" required></label>
      <button type="submit" class="button">Create key</button>
    </form>
    <div id="key-new" role="status"></div>`;
}

function billingHtml(r) {
  if (!r.ok) {
    return r.status === 404 ? '<p class="note" id="billing-none">Plans are not available on this server yet.</p>' : `<p>${ERR(r)}</p>`;
  }
  const b = r.body;
  const limits = b.limits ? Object.entries(b.limits).map(([plan, l]) => `<li><strong>${esc(plan)}</strong>: ${esc(typeof l === 'object' ? Object.entries(l).map(([k, v]) => `${k} ${v}`).join(', ') : String(l))}</li>`).join('') : '';
  return `<p id="plan-now">Your plan: <strong>${esc(b.plan)}</strong>${b.status ? ` (${esc(b.status)})` : ''}${b.current_period_end ? `, renews ${esc(fmtDate(b.current_period_end))}` : ''}.</p>
    ${limits ? `<ul class="limits">${limits}</ul>` : ''}
    ${b.checkout_url && b.plan !== 'pro' ? `<p><a class="button" id="checkout" href="${esc(b.checkout_url)}" rel="noopener">Upgrade to pro</a></p>` : ''}`;
}

export async function render(ctx) {
  const who = await me(true);
  if (ctx.stale()) return;
  ctx.setTitle('Settings');
  if (!who) {
    ctx.main.innerHTML = '<h1>Settings</h1><p class="lede" id="signed-out">You are not signed in. <a href="#/signin">Sign in</a> to keep preferences, a watchlist and API keys.</p>';
    return;
  }
  const soft = (p) => p.catch(() => null);
  const [countries, keys, billing] = await Promise.all([soft(api.countries()), get('account/keys'), get('account/billing')]);
  if (ctx.stale()) return;
  const list = countries ? [...countries.rows].sort((a, b) => a.country_name.localeCompare(b.country_name)) : [];
  const names = Object.fromEntries(list.map((c) => [c.country_code, c.country_name]));
  const p = who.preferences;
  let watch = [...who.watchlist];
  const changed = ctx.q.get('email') === 'changed';
  ctx.main.innerHTML = `
    <h1>Settings</h1>
    <p class="lede">Signed in as <strong id="me-email">${esc(who.email)}</strong> · plan <strong>${esc(who.plan)}</strong> · member since ${esc(fmtDate(who.created_at))}</p>
    ${changed ? '<p class="note" role="status" id="email-changed">Your email address was changed.</p>' : ''}
    <section class="panel account-form" id="prefs">
      <h2>Display preferences</h2>
      <form id="prefs-form" class="grid-form" novalidate>
        <label class="field">Units <select id="pref-units">
          <option value="bags"${p.units === 'bags' ? ' selected' : ''}>Thousand 60-kg bags</option>
          <option value="tonnes"${p.units === 'tonnes' ? ' selected' : ''}>Metric tons</option></select></label>
        <label class="field">Default country ${list.length
          ? `<select id="pref-country"><option value="">None</option>${countryOptions(list, p.default_country, false)}</select>`
          : `<input id="pref-country" maxlength="2" value="${esc(p.default_country || '')}" placeholder="e.g. BR">`}</label>
        <label class="field">Theme <select id="pref-theme">
          ${['system', 'light', 'dark'].map((t) => `<option value="${t}"${p.theme === t ? ' selected' : ''}>${t[0].toUpperCase()}${t.slice(1)}</option>`).join('')}</select></label>
        <button type="submit" class="button">Save preferences</button>
      </form>
      <p id="prefs-status" role="status" class="note"></p>
    </section>
    <section class="panel account-form" id="watchlist">
      <h2>Watchlist</h2>
      <p class="note">Countries and figures you follow: you get one email when a USDA release revises them.</p>
      <div class="table-wrap"><table id="watch-table"><thead><tr><th>Country</th><th>Figure</th><th></th></tr></thead><tbody></tbody></table></div>
      <form id="watch-form" class="inline-form" novalidate>
        <label class="field">Country ${list.length ? `<select id="watch-country">${countryOptions(list, '', true)}</select>`
          : '<input id="watch-country" maxlength="5" placeholder="BR or WORLD">'}</label>
        <label class="field">Figure <select id="watch-metric">${Object.entries(METRICS).map(([k, v]) => `<option value="${k}">${esc(v)}</option>`).join('')}</select></label>
        <button type="submit" class="button">Add and save</button>
      </form>
      <p id="watch-status" role="status" class="note"></p>
    </section>
    <section class="panel account-form" id="api-keys">
      <h2>API keys</h2>
      <p class="note">Send a key as <code>Authorization: Bearer &lt;key&gt;</code> to get your plan's API rate. A key is shown once, when it is made.</p>
      <div id="keys-box">${keysHtml(keys)}</div>
    </section>
    <section class="panel account-form" id="plan">
      <h2>Plan</h2>
      <div id="billing-box">${billingHtml(billing)}</div>
    </section>
    <section class="panel account-form" id="profile">
      <h2>Email address</h2>
      <form id="email-form" class="inline-form" novalidate>
        <label class="field">New address <input type="email" id="new-email" autocomplete="email" maxlength="254" required></label>
        <button type="submit" class="button">Send a confirmation link</button>
      </form>
      <p id="email-status" role="status" class="note"></p>
      <h2>Password</h2>
      <p class="note">${who.has_password ? 'A password is set. Setting a new one signs out your other sessions.' : 'Optional: sign in with a password as well as by email link. At least 12 characters.'}</p>
      <form id="pw-form" class="inline-form" novalidate>
        <label class="field">New password <input type="password" id="new-password" autocomplete="new-password" minlength="12" maxlength="128" required></label>
        <label class="check"><input type="checkbox" data-show="new-password"> Show password</label>
        <button type="submit" class="button">Set password</button>
      </form>
      <p id="pw-status" role="status" class="note"></p>
    </section>
    <section class="panel account-form" id="sessions">
      <h2>Sessions</h2>
      <button type="button" class="button" id="signout">Sign out</button>
      <button type="button" class="button" id="signout-all">Sign out everywhere</button>
      <p id="sessions-status" role="status" class="note"></p>
    </section>
    <section class="panel account-form danger" id="delete">
      <h2>Delete account</h2>
      <p class="note">Deletes your email address, password, preferences and watchlist, revokes your API keys and signs out every session. A pro subscription is cancelled first: you are not charged again. This cannot be undone.</p>
      <form id="delete-form" class="inline-form" novalidate>
        <label class="field"><span>Type <strong>delete</strong> to confirm</span> <input id="delete-confirm" autocomplete="off"></label>
        <button type="submit" class="button danger">Delete my account</button>
      </form>
      <p id="delete-status" role="status" class="note"></p>
    </section>`;
  const $ = (s) => ctx.main.querySelector(s);
  showToggles(ctx.main);

  $('#prefs-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await post('account/preferences', {
      units: $('#pref-units').value, default_country: $('#pref-country').value || null, theme: $('#pref-theme').value,
    });
    status($('#prefs-status'), r, 'Saved: the dashboard now uses these.');
    if (r.ok) {
      await me(true);
      applyTheme();
      document.dispatchEvent(new CustomEvent('account-changed'));
    }
  });

  const drawWatch = () => {
    $('#watch-table tbody').innerHTML = watchRows(watch, names);
    for (const b of ctx.main.querySelectorAll('[data-remove]')) {
      b.addEventListener('click', () => saveWatch(watch.filter((_, i) => i !== Number(b.dataset.remove))));
    }
  };
  const saveWatch = async (items) => {
    const r = await post('account/watchlist', { items });
    status($('#watch-status'), r, 'Watchlist saved.');
    if (r.ok) { watch = r.body.watchlist; drawWatch(); }
  };
  drawWatch();
  $('#watch-form').addEventListener('submit', (e) => {
    e.preventDefault();
    saveWatch([...watch, { country: $('#watch-country').value.trim().toUpperCase(), metric: $('#watch-metric').value }]);
  });

  const bindKeys = () => {
    const form = $('#key-form');
    if (form) {
      form.addEventListener('submit', async (e) => {
        e.preventDefault();
        const r = await post('account/keys', { name: $('#key-name').value });
        if (!r.ok) { status($('#key-new'), r, ''); return; }
        const shown = r.body;
        $('#keys-box').innerHTML = keysHtml(await get('account/keys'));
        bindKeys();
        $('#key-new').innerHTML = `<div class="card key-once"><p class="label">Your new key “${esc(shown.name)}”: copy it now, it is not shown again</p><p><code id="new-key">${esc(shown.key)}</code></p></div>`;
      });
    }
    for (const b of ctx.main.querySelectorAll('[data-revoke]')) {
      b.addEventListener('click', async () => {
        const r = await post('account/keys/revoke', { id: Number(b.dataset.revoke) });
        $('#keys-box').innerHTML = keysHtml(await get('account/keys'));
        bindKeys();
        if (!r.ok) status($('#key-new'), r, '');
      });
    }
  };
  bindKeys();

  $('#email-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await post('account/email', { email: $('#new-email').value });
    status($('#email-status'), r, r.ok ? r.body.message : '');
  });
  $('#pw-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await post('account/password', { password: $('#new-password').value });
    $('#new-password').value = '';
    status($('#pw-status'), r, 'Password set; your other sessions are signed out.');
  });
  const leave = async (path) => {
    const r = await post(path, {});
    if (!r.ok) { status($('#sessions-status'), r, ''); return; }
    forget();
    applyTheme();
    document.dispatchEvent(new CustomEvent('account-changed'));
    ctx.navigate('signin');
  };
  $('#signout').addEventListener('click', () => leave('account/signout'));
  $('#signout-all').addEventListener('click', () => leave('account/signout-all'));
  $('#delete-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await post('account/delete', { confirm: $('#delete-confirm').value.trim() });
    if (!r.ok) { status($('#delete-status'), r, ''); return; }
    forget();
    applyTheme();
    document.dispatchEvent(new CustomEvent('account-changed'));
    ctx.main.innerHTML = `<h1>Account deleted</h1><p class="lede" id="deleted">${esc(r.body.message)}</p>`;
  });
}
