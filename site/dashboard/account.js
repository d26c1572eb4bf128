// Heed dashboard: my account (a person signed in with a session). Who they
// are and their role, setting or changing their password (PUT
// /api/v1/me/password: the current one is asked for when there is one),
// and signing out here or everywhere.

import { ApiError, api, send } from './api.js';
import { $id, el } from './dom.js';
import { renderNav } from './nav.js';
import { signOutNow } from './session.js';
import { state } from './state.js';
import { errorText } from './team.js';

const ROLE_TEXT = {
  admin: 'Admin: everything, including the team, API keys and the audit log.',
  manager: 'Manager: surveys, sends, contacts, churn and follow-ups, and every report.',
  viewer: 'Viewer: reads reports, answers and CSVs.',
};

// showAccount shows the account of the session.
export function showAccount() {
  const me = state.me || {};
  const a = me.account || {};
  const facts = $id('dash-account-facts');
  const fact = (k, v) => [el('dt', null, k), el('dd', null, v)];
  facts.replaceChildren(
    ...fact('Name', a.name || 'No name given'),
    ...fact('Email', a.email || ''),
    ...fact('Role', ROLE_TEXT[me.role] || me.role || ''));
  const has = !!me.has_password;
  $id('dash-password-set-title').textContent = has ? 'Change your password' : 'Set a password';
  $id('dash-password-current-box').hidden = !has;
  $id('dash-password-user').value = a.email || '';
  $id('dash-password-new-hint').textContent = has
    ? 'At least 12 characters. Your other sessions stay signed in: sign out everywhere to end them.'
    : 'At least 12 characters; then you can sign in with your email and password. Emailed links keep working too.';
}

async function savePassword(e) {
  e.preventDefault();
  const f = $id('dash-password-set');
  const submit = $id('dash-password-save');
  const error = $id('dash-password-error');
  const result = $id('dash-password-result');
  if (submit.getAttribute('aria-disabled') === 'true') return;
  const has = !!(state.me && state.me.has_password);
  const pw = f.elements.password.value;
  error.textContent = '';
  result.textContent = '';
  for (const i of [f.elements.password, f.elements.current_password]) i.removeAttribute('aria-invalid');
  if ([...pw].length < 12) {
    error.textContent = 'The new password needs at least 12 characters.';
    f.elements.password.setAttribute('aria-invalid', 'true');
    f.elements.password.focus();
    return;
  }
  if (has && !f.elements.current_password.value) {
    error.textContent = 'Enter your current password first.';
    f.elements.current_password.setAttribute('aria-invalid', 'true');
    f.elements.current_password.focus();
    return;
  }
  submit.setAttribute('aria-disabled', 'true');
  try {
    const body = { password: pw };
    if (has) body.current_password = f.elements.current_password.value;
    await send('PUT', '/api/v1/me/password', body);
    f.elements.password.value = '';
    f.elements.current_password.value = '';
    try {
      state.me = await (await api('/api/v1/me')).json();
      state.csrf = state.me.csrf_token || state.csrf;
    } catch (_) {
      state.me.has_password = true;
    }
    showAccount();
    renderNav();
    result.textContent = has ? 'Your password is changed.' : 'Your password is set: you can sign in with your email and it.';
  } catch (err) {
    error.textContent = `The password was not saved: ${errorText(err)}`;
    if (err instanceof ApiError && err.status === 422 && /current_password/.test(err.message)) {
      error.textContent = 'The current password is wrong. Try again.';
      f.elements.current_password.setAttribute('aria-invalid', 'true');
      f.elements.current_password.focus();
    }
  } finally {
    submit.removeAttribute('aria-disabled');
  }
}

export function wireAccount() {
  $id('dash-password-set').addEventListener('submit', savePassword);
  $id('dash-account-signout').addEventListener('click', () => signOutNow(false));
  $id('dash-account-everywhere').addEventListener('click', () => signOutNow(true));
}
