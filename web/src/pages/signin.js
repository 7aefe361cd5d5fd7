// pages/signin.js — #/signin: sign in or sign up with a link by email (POST /account/link,
// the same answer whether or not the address is registered), or with a password
// (POST /account/signin). #/signin?link=invalid is where a used or expired link lands.
import { me, post } from '../account.js';
import { esc } from '../format.js';

export async function render(ctx) {
  const who = await me(true);
  if (ctx.stale()) return;
  ctx.setTitle('Sign in');
  if (who) {
    ctx.main.innerHTML = `<h1>Signed in</h1><p class="lede">You are signed in as <strong>${esc(who.email)}</strong>.
      <a href="#/settings">Go to your settings</a>.</p>`;
    return;
  }
  const invalid = ctx.q.get('link') === 'invalid';
  ctx.main.innerHTML = `
    <h1>Sign in</h1>
    <p class="lede">Get a sign-in link by email: it works once, within 15 minutes. No account yet? The same link creates one.</p>
    ${invalid ? '<div class="error" role="alert" id="link-invalid">That link is not valid any more: it was used already or it expired. Ask for a new one.</div>' : ''}
    <section class="panel account-form">
      <h2>Email me a link</h2>
      <form id="link-form" novalidate>
        <label class="field">Email address <input type="email" id="link-email" name="email" autocomplete="email" required maxlength="254"></label>
        <button type="submit" class="button">Send me a sign-in link</button>
      </form>
      <p id="link-status" role="status" class="note"></p>
    </section>
    <section class="panel account-form">
      <h2>Or use your password</h2>
      <p class="note">Only if you set one on the settings page.</p>
      <form id="pw-form" novalidate>
        <label class="field">Email address <input type="email" id="pw-email" autocomplete="username" required maxlength="254"></label>
        <label class="field">Password <input type="password" id="pw-password" autocomplete="current-password" required maxlength="128"></label>
        <button type="submit" class="button">Sign in</button>
      </form>
      <p id="pw-status" role="status" class="note"></p>
    </section>`;
  const linkStatus = ctx.main.querySelector('#link-status');
  ctx.main.querySelector('#link-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const email = ctx.main.querySelector('#link-email').value;
    linkStatus.textContent = 'Sending…';
    const r = await post('account/link', { email });
    linkStatus.textContent = r.ok ? r.body.message : r.error;
    linkStatus.dataset.state = r.ok ? 'sent' : 'error';
  });
  const pwStatus = ctx.main.querySelector('#pw-status');
  ctx.main.querySelector('#pw-form').addEventListener('submit', async (e) => {
    e.preventDefault();
    const r = await post('account/signin', {
      email: ctx.main.querySelector('#pw-email').value,
      password: ctx.main.querySelector('#pw-password').value,
    });
    if (r.ok) {
      await me(true);
      document.dispatchEvent(new CustomEvent('account-changed'));
      ctx.navigate('settings');
    } else {
      pwStatus.textContent = r.error;
      pwStatus.dataset.state = 'error';
    }
  });
}
