// Heed dashboard: the team (admins). The accounts (GET /api/v1/accounts),
// each with its role to change (PATCH), an invitation to send again (POST
// .../invite) and a remove button that asks first (DELETE); and the form
// that invites someone (POST /api/v1/accounts emails them a sign-in link).

import { ApiError, api, send } from './api.js';
import { $id, el } from './dom.js';
import { DASH, timeFmt } from './format.js';
import { state } from './state.js';

export const ROLES = [
  { id: 'admin', label: 'Admin' },
  { id: 'manager', label: 'Manager' },
  { id: 'viewer', label: 'Viewer' },
];

let gen = 0;

export function when(s) {
  const d = new Date(s);
  return !s || Number.isNaN(d.getTime()) || d.getTime() <= 0 ? '' : timeFmt.format(d);
}

export function errorText(err) {
  return err instanceof ApiError ? err.message : String(err && err.message ? err.message : err);
}

function status(text) {
  $id('dash-team-status').textContent = text || '';
}

// confirmInline replaces button with a question and two buttons: yes runs
// onYes, no puts the button back.
export function confirmInline(button, question, yesLabel, onYes) {
  const box = el('span', { class: 'dash-confirm', role: 'group', 'aria-label': question },
    el('span', { class: 'dash-confirm-q' }, question));
  const yes = el('button', { type: 'button', class: 'button dash-button dash-button-small dash-danger dash-confirm-yes' }, yesLabel);
  const no = el('button', { type: 'button', class: 'button secondary dash-button dash-button-small dash-confirm-no' }, 'Cancel');
  box.append(' ', yes, ' ', no);
  button.replaceWith(box);
  no.addEventListener('click', () => {
    box.replaceWith(button);
    button.focus();
  });
  yes.addEventListener('click', async () => {
    yes.setAttribute('aria-disabled', 'true');
    try {
      await onYes();
    } finally {
      yes.removeAttribute('aria-disabled');
    }
  });
  yes.focus();
}

// showTeam loads and lists the accounts.
export async function showTeam() {
  const box = $id('dash-team-list');
  const my = ++gen;
  if (!box.firstChild) box.replaceChildren(el('p', { class: 'muted' }, 'Loading the team…'));
  try {
    const body = await (await api('/api/v1/accounts')).json();
    if (my !== gen) return;
    render(Array.isArray(body && body.accounts) ? body.accounts : []);
  } catch (err) {
    if (my !== gen) return;
    box.replaceChildren(el('p', { class: 'dash-form-error' }, `The team could not be loaded: ${errorText(err)}`));
  }
}

function render(accounts) {
  const box = $id('dash-team-list');
  if (!accounts.length) {
    box.replaceChildren(el('p', { class: 'muted' }, 'Nobody has an account yet: invite someone below. (You are signed in with the admin key.)'));
    return;
  }
  const me = state.me && state.me.account ? state.me.account.id : '';
  const rows = accounts.map((a) => {
    const who = a.email;
    const you = a.id === me;
    let role;
    if (you) {
      role = el('span', null, `${(ROLES.find((r) => r.id === a.role) || { label: a.role }).label} (you)`);
    } else {
      role = el('select', { class: 'dash-role-select', 'aria-label': `Role of ${who}`, 'data-account': a.id },
        ...ROLES.map((r) => el('option', { value: r.id }, r.label)));
      role.value = a.role;
      role.addEventListener('change', () => changeRole(a, role));
    }
    const actions = el('td', { class: 'dash-row-actions' });
    if (!you) {
      const again = el('button', { type: 'button', class: 'button secondary dash-button dash-button-small dash-reinvite' }, 'Resend invitation');
      again.setAttribute('aria-label', `Resend invitation to ${who}`);
      again.addEventListener('click', () => reinvite(a, again));
      const remove = el('button', { type: 'button', class: 'button secondary dash-button dash-button-small dash-remove' }, 'Remove');
      remove.setAttribute('aria-label', `Remove ${who}`);
      remove.addEventListener('click', () => confirmInline(remove, `Remove ${who}? They can no longer sign in.`, 'Yes, remove', () => removeAccount(a)));
      actions.append(again, ' ', remove);
    }
    return el('tr', { 'data-account': a.id, 'data-email': a.email },
      el('th', { scope: 'row' }, a.name || DASH),
      el('td', null, a.email),
      el('td', null, role),
      el('td', null, a.invited_by === 'bootstrap' ? 'the admin key' : a.invited_by || DASH),
      el('td', null, when(a.created_at)),
      actions);
  });
  box.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { id: 'dash-team-table' },
    el('caption', null, `${accounts.length} ${accounts.length === 1 ? 'account' : 'accounts'}, by email`),
    el('thead', null, el('tr', null,
      ...['Name', 'Email', 'Role', 'Invited by', 'Since', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', null, ...rows))));
}

async function changeRole(a, select) {
  const role = select.value;
  status(`Changing the role of ${a.email}…`);
  try {
    await send('PATCH', `/api/v1/accounts/${encodeURIComponent(a.id)}`, { role });
    a.role = role;
    status(`${a.email} is now ${role === 'admin' ? 'an admin' : `a ${role}`}.`);
  } catch (err) {
    select.value = a.role;
    status(`The role was not changed: ${errorText(err)}`);
  }
}

async function reinvite(a, button) {
  button.setAttribute('aria-disabled', 'true');
  try {
    await send('POST', `/api/v1/accounts/${encodeURIComponent(a.id)}/invite`);
    status(`A new invitation is on its way to ${a.email}.`);
  } catch (err) {
    status(`The invitation was not sent: ${errorText(err)}`);
  } finally {
    button.removeAttribute('aria-disabled');
  }
}

async function removeAccount(a) {
  try {
    await send('DELETE', `/api/v1/accounts/${encodeURIComponent(a.id)}`);
    status(`Removed ${a.email}: they can no longer sign in, and their sessions have ended.`);
  } catch (err) {
    status(`${a.email} was not removed: ${errorText(err)}`);
  }
  await showTeam();
  $id('dash-team-title').focus();
}

async function invite(e) {
  e.preventDefault();
  const f = $id('dash-invite-form');
  const submit = $id('dash-invite-submit');
  const error = $id('dash-invite-error');
  if (submit.getAttribute('aria-disabled') === 'true') return;
  const email = f.elements.email.value.trim();
  error.textContent = '';
  f.elements.email.removeAttribute('aria-invalid');
  if (!email) {
    error.textContent = 'Enter the email of the person to invite.';
    f.elements.email.setAttribute('aria-invalid', 'true');
    f.elements.email.focus();
    return;
  }
  submit.setAttribute('aria-disabled', 'true');
  try {
    const a = await send('POST', '/api/v1/accounts', { email, name: f.elements.name.value.trim(), role: f.elements.role.value });
    f.reset();
    status(`Invited ${a.email} as ${a.role === 'admin' ? 'an admin' : `a ${a.role}`}: the email with their sign-in link is on its way.`);
    await showTeam();
  } catch (err) {
    error.textContent = `Not invited: ${errorText(err)}`;
    if (err instanceof ApiError && err.status === 422) {
      f.elements.email.setAttribute('aria-invalid', 'true');
      f.elements.email.focus();
    }
  } finally {
    submit.removeAttribute('aria-disabled');
  }
}

export function wireTeam() {
  $id('dash-invite-form').addEventListener('submit', invite);
  $id('dash-invite-form').elements.email.addEventListener('input', (e) => e.target.removeAttribute('aria-invalid'));
}
