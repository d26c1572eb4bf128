// Heed dashboard: people. Find a contact by email or name, and see one
// person: their properties, whether they may be emailed (with suppress and
// lift), every answer they gave to any survey, and the emails sent to them.

import { ApiError, api, send } from './api.js';
import { el, els } from './dom.js';
import { fmtInt, timeFmt } from './format.js';

const REASONS = {
  manual: 'suppressed by a manager', bounce: 'the address bounced', dropped: 'SendGrid dropped the address',
  unsubscribe: 'unsubscribed', spamreport: 'reported an email as spam',
};

function when(s) {
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? '' : timeFmt.format(d);
}

// searchPeople lists the contacts whose email or name holds the text.
export async function searchPeople() {
  const q = els.peopleQuery.value.trim();
  try {
    const body = await (await api(`/api/v1/contacts?limit=20&q=${encodeURIComponent(q)}`)).json();
    const list = Array.isArray(body && body.contacts) ? body.contacts : [];
    if (!list.length) {
      els.peopleList.replaceChildren(el('p', { class: 'muted' }, q ? `Nobody's email or name holds “${q}”.` : 'No contacts yet: upload a CSV.'));
      return;
    }
    els.peopleList.replaceChildren(el('ul', { class: 'dash-people', id: 'dash-people-list' }, ...list.map((c) => {
      const b = el('button', { type: 'button', class: 'dash-link-button', 'data-contact': c.contact_id }, c.name ? `${c.name} <${c.email}>` : c.email);
      b.addEventListener('click', () => showPerson(c.contact_id));
      return el('li', null, b, c.suppressed ? el('span', { class: 'dash-tag dash-tag-small' }, 'not emailed') : null);
    })));
  } catch (err) {
    els.peopleList.replaceChildren(el('p', { class: 'dash-form-error' }, err instanceof ApiError ? err.message : String(err)));
  }
}

// showPerson shows one contact's page.
export async function showPerson(id) {
  try {
    const p = await (await api(`/api/v1/contacts/${encodeURIComponent(id)}`)).json();
    const c = p.contact || {};
    const props = Object.entries(c.properties || {});
    const sups = Array.isArray(p.suppressions) ? p.suppressions : [];
    const toggle = el('button', { type: 'button', class: 'button secondary dash-button dash-button-small', id: 'dash-person-suppress' },
      p.suppressed ? 'Email them again' : 'Stop emailing them');
    toggle.addEventListener('click', async () => {
      try {
        await send('POST', `/api/v1/contacts/${encodeURIComponent(id)}/${p.suppressed ? 'unsuppress' : 'suppress'}`);
        showPerson(id);
      } catch (err) {
        els.personError.textContent = err instanceof ApiError ? err.message : String(err);
      }
    });
    const answers = Array.isArray(p.answers) ? p.answers : [];
    const emails = Array.isArray(p.emails) ? p.emails : [];
    els.personBox.hidden = false;
    els.personBox.replaceChildren(
      el('h4', { class: 'dash-h3', id: 'dash-person-name', tabindex: '-1' }, c.name ? `${c.name} <${c.email}>` : String(c.email || id)),
      props.length ? el('p', { class: 'muted' }, props.map(([k, v]) => `${k}: ${v}`).join(' · ')) : null,
      el('p', { id: 'dash-person-status' }, sups.length
        ? `Not emailed: ${sups.map((s) => `${REASONS[s.reason] || s.reason} (${when(s.since)})`).join('; ')}.`
        : 'Gets survey emails.', ' ', toggle),
      el('p', { class: 'dash-form-error', id: 'dash-person-error', role: 'alert' }),
      el('h5', { class: 'dash-h4' }, `Answers (${fmtInt(answers.length)})`),
      answers.length ? el('ol', { class: 'dash-history', id: 'dash-person-answers' }, ...answers.map((a) => el('li', null,
        el('strong', null, String(a.score)), ` · ${a.survey_name || a.survey_id} · ${when(a.created_at)}`,
        a.comment ? el('span', null, ` · “${a.comment}”`) : null))) : el('p', { class: 'muted' }, 'No answers yet.'),
      el('h5', { class: 'dash-h4' }, `Emails (${fmtInt(emails.length)})`),
      emails.length ? el('ol', { class: 'dash-history', id: 'dash-person-emails' }, ...emails.map((e) => el('li', null,
        `${e.kind === 'reminder' ? 'Reminder' : 'Survey email'} · ${e.status} · ${when(e.at)} · send ${e.send_id}`))) : el('p', { class: 'muted' }, 'No emails sent yet.'));
    els.personError = document.getElementById('dash-person-error');
    document.getElementById('dash-person-name').focus();
  } catch (err) {
    els.personBox.hidden = false;
    els.personBox.replaceChildren(el('p', { class: 'dash-form-error' }, err instanceof ApiError ? err.message : String(err)));
  }
}
