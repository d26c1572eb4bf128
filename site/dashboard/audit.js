// Heed dashboard: the audit log (admins). Who did what, newest first (GET
// /api/v1/audit), of one family of actions or all (?action= in the
// address), a page at a time: "Older entries" asks for those before the
// last one shown.

import { api } from './api.js';
import { $id, el } from './dom.js';
import { DASH } from './format.js';
import { state } from './state.js';
import { writeView } from './url.js';
import { errorText, when } from './team.js';

const PAGE = 50;

const ACTIONS = {
  'signin.link_sent': 'asked for a sign-in link',
  'signin.link_limited': 'asked for too many sign-in links (none sent)',
  'signin.link': 'signed in with a link',
  'signin.password': 'signed in with a password',
  'signin.failed': 'failed to sign in',
  signout: 'signed out',
  'signout.everywhere': 'signed out everywhere',
  'account.invite': 'invited',
  'account.reinvite': 'invited again',
  'account.update': 'changed the account of',
  'account.remove': 'removed',
  'account.password': 'set the password of',
  'key.create': 'created the key',
  'key.revoke': 'revoked the key',
  'survey.create': 'created the survey',
  'survey.update': 'changed the survey',
  'survey.archived': 'archived the survey',
  'survey.unarchived': 'reopened the survey',
  'survey.delete': 'deleted the survey',
  'send.start': 'started a send of',
  'digest.test_send': 'sent a test digest of',
  'person.erase': 'forgot a person',
  'person.export': 'exported a person’s data',
  'case.assign': 'assigned a case of',
  'case.note': 'noted a case of',
  'case.close': 'closed a case of',
  'case.reopen': 'reopened a case of',
  'contact.import': 'imported contacts',
  'contact.suppress': 'suppressed a contact',
  'contact.unsuppress': 'lifted a contact’s suppression',
  'churn.import': 'imported churn records',
  'churn.withdraw': 'withdrew a churn record',
  'answers.import': 'imported answers into',
};

let entries = [];
let gen = 0;

function family() {
  const v = state.view.action || '';
  const select = $id('dash-audit-action');
  return [...select.options].some((o) => o.value === v) ? v : '';
}

function query(before) {
  const p = new URLSearchParams({ limit: String(PAGE) });
  const f = family();
  if (f) p.set('action', f);
  if (before) p.set('before', before);
  return `/api/v1/audit?${p}`;
}

// same tells whether two entries are one (the log has no ids).
function same(a, b) {
  return a.at === b.at && a.actor === b.actor && a.action === b.action && a.target === b.target && a.detail === b.detail && a.ip === b.ip;
}

// showAudit loads the newest page of the chosen family.
export async function showAudit() {
  $id('dash-audit-action').value = family();
  entries = [];
  await loadPage(false);
}

// loadPage loads a page; older: the one after the entries shown. The log
// counts in seconds and "before" is exclusive, so the next page starts at
// the last second shown (before = that second + 1 s), without the entries
// of it already shown.
async function loadPage(older) {
  const my = ++gen;
  const box = $id('dash-audit-list');
  const button = $id('dash-audit-older');
  const said = $id('dash-audit-status');
  let before = '';
  let last = null;
  if (older && entries.length) {
    last = entries[entries.length - 1];
    const t = new Date(last.at);
    before = new Date(Math.floor(t.getTime() / 1000) * 1000 + 1000).toISOString().replace('.000Z', 'Z');
  }
  said.textContent = older ? 'Loading older entries…' : '';
  if (!older) box.replaceChildren(el('p', { class: 'muted' }, 'Loading the audit log…'));
  button.setAttribute('aria-disabled', 'true');
  try {
    let body = await (await api(query(before))).json();
    if (my !== gen) return;
    let got = Array.isArray(body && body.entries) ? body.entries : [];
    let fresh = got.filter((e) => !entries.some((s) => same(s, e)));
    if (older && got.length === PAGE && fresh.length === 0) {
      // A whole page within one second: go on from before it.
      body = await (await api(query(new Date(last.at).toISOString().replace(/\.\d+Z$/, 'Z')))).json();
      if (my !== gen) return;
      got = Array.isArray(body && body.entries) ? body.entries : [];
      fresh = got;
    }
    entries = entries.concat(fresh);
    render();
    button.hidden = got.length < PAGE;
    said.textContent = older ? (fresh.length ? `${fresh.length} older ${fresh.length === 1 ? 'entry' : 'entries'} added.` : 'No older entries.') : '';
  } catch (err) {
    if (my !== gen) return;
    if (older) said.textContent = `Older entries could not be loaded: ${errorText(err)}`;
    else box.replaceChildren(el('p', { class: 'dash-form-error' }, `The audit log could not be loaded: ${errorText(err)}`));
  } finally {
    button.removeAttribute('aria-disabled');
  }
}

function render() {
  const box = $id('dash-audit-list');
  if (!entries.length) {
    box.replaceChildren(el('p', { class: 'muted' }, family() ? 'Nothing of this kind in the log yet.' : 'The log is empty.'));
    return;
  }
  const rows = entries.map((e) => el('tr', { 'data-action': e.action },
    el('td', null, el('time', { datetime: e.at }, when(e.at))),
    el('td', null, e.actor === 'bootstrap' ? 'the admin key' : e.actor || DASH, e.role ? el('span', { class: 'dash-sub' }, ` (${e.role})`) : null),
    el('td', null, el('code', null, e.action), ACTIONS[e.action] ? el('span', { class: 'dash-sub' }, ` ${ACTIONS[e.action]}`) : null),
    el('td', null, e.target || DASH),
    el('td', null, e.detail || DASH),
    el('td', null, e.ip || DASH)));
  box.replaceChildren(el('div', { class: 'table-wrap' }, el('table', { id: 'dash-audit-table' },
    el('caption', null, `${entries.length} ${entries.length === 1 ? 'entry' : 'entries'}, newest first`),
    el('thead', null, el('tr', null, ...['When', 'Who', 'What', 'Whom or what', 'Detail', 'From'].map((h) => el('th', { scope: 'col' }, h)))),
    el('tbody', null, ...rows))));
}

export function wireAudit() {
  $id('dash-audit-action').addEventListener('change', (e) => {
    state.view.action = e.target.value;
    writeView(state.view);
    showAudit();
  });
  $id('dash-audit-older').addEventListener('click', () => {
    if ($id('dash-audit-older').getAttribute('aria-disabled') === 'true') return;
    loadPage(true);
  });
}
