// Heed dashboard: signing in. Email and password (POST
// /api/v1/sign-in/password), a one-time link by email (POST
// /api/v1/sign-in/email), the link itself (#signin=<token>, spent by POST
// /api/v1/sign-in/link when the person clicks Sign in), or an API key (the
// bootstrap admin key, kept in this tab). Each of the first three sets the
// session cookie; start() then reads /api/v1/me and opens the dashboard.

import { ApiError, api } from './api.js';
import { els, setStatus } from './dom.js';
import { start } from './load.js';
import { KEY_STORE, save, state } from './state.js';

let linkToken = '';

function busy(button, on) {
  if (on) button.setAttribute('aria-disabled', 'true');
  else button.removeAttribute('aria-disabled');
}

function isBusy(button) {
  return button.getAttribute('aria-disabled') === 'true';
}

function invalid(field, message) {
  field.setAttribute('aria-invalid', 'true');
  setStatus(message, 'error');
  field.focus();
}

// signedIn takes the answer of a sign-in (the same JSON as /api/v1/me)
// and opens the dashboard.
async function signedIn(me) {
  save(KEY_STORE, null);
  state.me = me;
  state.csrf = (me && me.csrf_token) || '';
  els.password.value = '';
  await start(true);
}

function signInError(err) {
  if (!(err instanceof ApiError)) return `Could not sign in: ${err && err.message ? err.message : 'unexpected error'}.`;
  if (err.status === 0) return err.message;
  if (err.status === 429) return 'Too many attempts from this address. Wait a minute, then try again.';
  return `Could not sign in: ${err.message}.`;
}

function emailValue() {
  return els.email.value.trim();
}

async function onPassword(event) {
  event.preventDefault();
  if (isBusy(els.passwordSubmit)) return;
  const email = emailValue();
  if (!email) return invalid(els.email, 'Enter your email to sign in.');
  if (!els.password.value) {
    return invalid(els.password, 'Enter your password, or leave it empty and choose “Email me a sign-in link”.');
  }
  busy(els.passwordSubmit, true);
  setStatus('Signing in…', 'busy');
  try {
    const res = await api('/api/v1/sign-in/password', undefined, {
      method: 'POST', body: { email, password: els.password.value }, anonymous: true,
    });
    await signedIn(await res.json());
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      els.password.value = '';
      invalid(els.password, 'Wrong email or password. Try again, or ask for a sign-in link by email.');
    } else {
      setStatus(signInError(err), 'error');
    }
  } finally {
    busy(els.passwordSubmit, false);
  }
}

async function onEmailLink() {
  if (isBusy(els.emailSubmit)) return;
  const email = emailValue();
  els.emailSent.textContent = '';
  if (!email) return invalid(els.email, 'Enter your email: the sign-in link goes there.');
  busy(els.emailSubmit, true);
  setStatus('Sending the link…', 'busy');
  try {
    await api('/api/v1/sign-in/email', undefined, { method: 'POST', body: { email }, anonymous: true });
    setStatus('', '');
    els.emailSent.textContent = `If ${email} has an account, a sign-in link is on its way. Open it in this browser; it works once, for 15 minutes.`;
  } catch (err) {
    if (err instanceof ApiError && err.status === 422) invalid(els.email, 'That is not an email address. Check it and try again.');
    else setStatus(signInError(err), 'error');
  } finally {
    busy(els.emailSubmit, false);
  }
}

async function onLink() {
  if (isBusy(els.linkSubmit) || !linkToken) return;
  busy(els.linkSubmit, true);
  setStatus('Signing in…', 'busy');
  try {
    const res = await api('/api/v1/sign-in/link', undefined, { method: 'POST', body: { token: linkToken }, anonymous: true });
    linkToken = '';
    els.linkBox.hidden = true;
    els.signinWays.hidden = false;
    await signedIn(await res.json());
  } catch (err) {
    if (err instanceof ApiError && (err.status === 401 || err.status === 410)) {
      linkToken = '';
      els.linkBox.hidden = true;
      els.signinWays.hidden = false;
      invalid(els.email, err.status === 410
        ? 'This link was used or has expired — ask for a new one: enter your email and choose “Email me a sign-in link”.'
        : 'This sign-in link is not valid — ask for a new one: enter your email and choose “Email me a sign-in link”.');
    } else {
      setStatus(signInError(err), 'error');
    }
  } finally {
    busy(els.linkSubmit, false);
  }
}

async function onKey(event) {
  event.preventDefault();
  if (isBusy(els.signinSubmit)) return;
  const key = els.key.value.trim();
  if (!key) return invalid(els.key, 'Enter the key to open the dashboard.');
  save(KEY_STORE, key);
  els.key.value = '';
  await start(true);
}

// offerLink shows the Sign in button of an emailed link.
export function offerLink(token) {
  linkToken = token;
  els.app.hidden = true;
  els.signin.hidden = false;
  els.linkBox.hidden = false;
  els.signinWays.hidden = true;
  setStatus('', '');
  els.linkSubmit.focus();
}

export function wireSignIn() {
  els.passwordForm.addEventListener('submit', onPassword);
  els.emailSubmit.addEventListener('click', onEmailLink);
  els.linkSubmit.addEventListener('click', onLink);
  els.signinForm.addEventListener('submit', onKey);
  for (const f of [els.key, els.email, els.password]) f.addEventListener('input', () => f.removeAttribute('aria-invalid'));
}
