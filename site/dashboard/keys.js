// Heed dashboard: API keys (admins). The keys (GET /api/v1/keys) with
// their role, surveys, who made them and when they were last used; the
// form that makes one (POST /api/v1/keys), whose answer holds the key
// itself, shown here once with a copy button; revoking a key, after asking
// (DELETE /api/v1/keys/:id).

import { ApiError, api, send } from './api.js';
import { $id, el } from './dom.js';
import { DASH } from './format.js';
import { state } from './state.js';
import { confirmInline, errorText, when } from './team.js';

const ROLE_LABELS = { admin: 'Admin', manager: 'Manager', viewer: 'Viewer', ingest: 'Ingest' };

let gen = 0;

function status(text) {
  $id('dash-keys-status').textContent = text || '';
}

function surveyName(id) {
  const sv = state.surveys.find((s) => s.id === id);
  return sv && sv.name ? `${sv.name} (${id})` : id;
}

// showKeys loads and lists the keys, and the surveys the form offers.
export async function showKeys() {
  renderSurveyChoices();
  const box = $id('dash-keys-list');
  const my = ++gen;
  if (!box.firstChild) box.replaceChildren(el('p', { class: 'muted' }, 'Loading the keys…'));
  try {
    const body = await (await api('/api/v1/keys')).json();
    if (my !== gen) return;
    render(Array.isArray(body && body.keys) ? body.keys : []);
  } catch (err) {
    if (my !== gen) return;
    box.replaceChildren(el('p', { class: 'dash-form-error' }, `The keys could not be loaded: ${errorText(err)}`));
  }
}

// hideNewKey forgets the key shown once (leaving the view does too).
export function hideNewKey() {
  $id('dash-key-new-value').textContent = '';
  $id('dash-key-copied').textContent = '';
  $id('dash-key-new').hidden = true;
}

function renderSurveyChoices() {
  const list = $id('dash-key-survey-list');
  const checked = new Set([...list.querySelectorAll('input:checked')].map((i) => i.value));
  if (!state.surveys.length) {
    list.replaceChildren(el('p', { class: 'muted' }, 'No surveys yet: the key will reach every survey.'));
    return;
  }
  list.replaceChildren(...state.surveys.map((s, i) => {
    const id = `dash-key-survey-${i}`;
    const box = el('input', { type: 'checkbox', id, name: 'surveys', value: s.id });
    box.checked = checked.has(s.id);
    return el('div', { class: 'dash-field dash-field-check' }, box, el('label', { for: id }, s.name ? String(s.name) : s.id));
  }));
}

function render(keys) {
  const box = $id('dash-keys-list');
  if (!keys.length) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No API keys yet. Create one below for each system that calls the API.'));
    return;
  }
  const rows = keys.map((k) => {
    const revoke = el('button', { type: 'button', class: 'button secondary dash-button dash-button-small dash-revoke', 'aria-label': `Revoke ${k.name || k.id}` }, 'Revoke');
    revoke.addEventListener('click', () => confirmInline(revoke, `Revoke “${k.name || k.id}”? What uses it stops working at once.`, 'Yes, revoke', () => revokeKey(k)));
    const surveys = Array.isArray(k.surveys) && k.surveys.length ? k.surveys.map(surveyName).join(', ') : 'Every survey';
    return el('tr', { 'data-key': k.id },
      el('th', { scope: 'row' }, k.name || DASH),
      el('td', null, el('code', null, `heed_${k.id}_…`)),
      el('td', null, ROLE_LABELS[k.role] || k.role),
      el('td', null, surveys),
      el('td', null, k.created_by === 'bootstrap' ? 'the admin key' : k.created_by || DASH, el('br'), el('span', { class: 'dash-sub' }, when(k.created_at))),
      el('td', null, when(k.last_used_at) || 'Never'),
      el('td', { class: 'dash-row-actions' }, revoke));
  });
  box.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { id: 'dash-keys-table' },
    el('caption', null, `${keys.length} ${keys.length === 1 ? 'key' : 'keys'}, oldest first`),
    el('thead', null, el('tr', null,
      ...['Name', 'Key', 'Role', 'Surveys', 'Created', 'Last used', 'Actions'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', null, ...rows))));
}

async function revokeKey(k) {
  try {
    await send('DELETE', `/api/v1/keys/${encodeURIComponent(k.id)}`);
    status(`Revoked “${k.name || k.id}”: it no longer works.`);
  } catch (err) {
    status(`The key was not revoked: ${errorText(err)}`);
  }
  await showKeys();
  $id('dash-keys-title').focus();
}

async function create(e) {
  e.preventDefault();
  const f = $id('dash-key-form');
  const submit = $id('dash-key-submit');
  const error = $id('dash-key-error');
  if (submit.getAttribute('aria-disabled') === 'true') return;
  const name = f.elements.name.value.trim();
  error.textContent = '';
  f.elements.name.removeAttribute('aria-invalid');
  if (!name) {
    error.textContent = 'Name the key: what will use it?';
    f.elements.name.setAttribute('aria-invalid', 'true');
    f.elements.name.focus();
    return;
  }
  const surveys = [...f.querySelectorAll('input[name="surveys"]:checked')].map((i) => i.value);
  submit.setAttribute('aria-disabled', 'true');
  try {
    const k = await send('POST', '/api/v1/keys', { name, role: f.elements.role.value, surveys });
    f.reset();
    const shown = $id('dash-key-new');
    $id('dash-key-new-value').textContent = k.key;
    $id('dash-key-copied').textContent = '';
    shown.hidden = false;
    shown.focus();
    status(`Created “${k.name}”.`);
    await showKeys();
  } catch (err) {
    error.textContent = `No key was created: ${errorText(err)}`;
    if (err instanceof ApiError && err.status === 422) f.elements.name.focus();
  } finally {
    submit.removeAttribute('aria-disabled');
  }
}

async function copy() {
  const code = $id('dash-key-new-value');
  const said = $id('dash-key-copied');
  try {
    await navigator.clipboard.writeText(code.textContent);
    said.textContent = 'Copied. Store it where the system that uses it reads its secrets.';
  } catch (_) {
    const range = document.createRange();
    range.selectNodeContents(code);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
    said.textContent = 'Press Ctrl+C (⌘C) to copy the selected key.';
  }
}

export function wireKeys() {
  $id('dash-key-form').addEventListener('submit', create);
  $id('dash-key-form').elements.name.addEventListener('input', (e) => e.target.removeAttribute('aria-invalid'));
  $id('dash-key-copy').addEventListener('click', copy);
  $id('dash-key-done').addEventListener('click', () => {
    hideNewKey();
    $id('dash-keys-title').focus();
  });
}
