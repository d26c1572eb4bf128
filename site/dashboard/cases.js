// Heed dashboard: follow-ups (cases). Every detractor answer of the range
// is a case, open until someone acts on it: assign it, note what was done,
// close it (GET/PATCH /api/v1/surveys/:id/cases). Open and Closed tabs,
// each case with its score, comment, person, age or time to close and
// assignee. /dashboard.html?case=<response id> (the alert email's link)
// opens that case and scrolls to it.

import { ApiError, api, isAbort, surveyPath } from './api.js';
import { el, srOnly } from './dom.js';
import { CHANNELS, fmtInt, plural, timeFmt } from './format.js';
import { can, state } from './state.js';

const LIMIT = 100;

// The case the address asks for (read before the view rewrites the address).
let wanted = (new URLSearchParams(window.location.search).get('case') || '').slice(0, 64);
let tab = 'open';
let params = null; // the range of the last load
let openOne = ''; // the case whose details are shown
let gen = 0;

const $ = (id) => document.getElementById(id);

// fmtSpan says a duration in seconds in the largest unit that fits.
export function fmtSpan(seconds) {
  const s = Math.max(0, Math.round(Number(seconds) || 0));
  if (s < 60) return plural(s, 'second', 'seconds');
  if (s < 3600) return plural(Math.round(s / 60), 'minute', 'minutes');
  if (s < 86400 * 2) return plural(Math.round(s / 360) / 10, 'hour', 'hours');
  return plural(Math.round(s / 8640) / 10, 'day', 'days');
}

function caseQuery(status) {
  const p = new URLSearchParams({ status, limit: String(LIMIT) });
  for (const k of ['from', 'to', 'tz', 'include_unconfirmed']) {
    if (params && params.get(k)) p.set(k, params.get(k));
  }
  return p;
}

// loadCases loads the tab shown, for the range of the report's query.
export async function loadCases(reportParams, signal) {
  params = reportParams;
  const section = $('dash-cases-section');
  if (!section || !state.survey) return;
  section.hidden = false;
  const my = ++gen;
  const box = $('dash-cases');
  try {
    if (wanted) {
      // The case of a link: show its tab.
      try {
        const c = await (await api(surveyPath(`cases/${encodeURIComponent(wanted)}`), signal)).json();
        tab = c.status === 'closed' ? 'closed' : 'open';
        openOne = c.response_id;
      } catch (err) {
        if (isAbort(err)) return;
        if (my === gen) setCasesStatus(err instanceof ApiError && err.status === 404 ? 'The case of this link is not in this survey.' : `That case could not be loaded: ${err.message}`);
        wanted = '';
      }
    }
    const body = await (await api(`${surveyPath('cases')}?${caseQuery(tab)}`, signal)).json();
    if (my !== gen) return;
    render(body);
  } catch (err) {
    if (my !== gen || isAbort(err)) return;
    box.replaceChildren(el('p', { class: 'muted' }, `The follow-ups could not be loaded: ${err.message}`));
  }
}

function reload() {
  return loadCases(params, undefined);
}

function setCasesStatus(text) {
  const s = $('dash-cases-status');
  if (s) s.textContent = text || '';
}

function render(body) {
  const sum = (body && body.summary) || {};
  const cases = Array.isArray(body && body.cases) ? body.cases : [];
  const openTab = $('dash-cases-tab-open');
  const closedTab = $('dash-cases-tab-closed');
  openTab.textContent = `Open (${fmtInt(sum.open || 0)})`;
  closedTab.textContent = `Closed (${fmtInt(sum.closed || 0)})`;
  for (const [b, name] of [[openTab, 'open'], [closedTab, 'closed']]) {
    b.setAttribute('aria-selected', tab === name ? 'true' : 'false');
    b.classList.toggle('dash-tab-selected', tab === name);
  }
  $('dash-cases-median').textContent = sum.median_time_to_close_s === null || sum.median_time_to_close_s === undefined
    ? 'No case closed in this range yet.'
    : `Median time to close: ${fmtSpan(sum.median_time_to_close_s)}.`;
  const box = $('dash-cases');
  if (!cases.length) {
    box.replaceChildren(el('p', { class: 'muted' }, tab === 'open'
      ? 'No open cases: every detractor answer of this range has been followed up.'
      : 'No closed cases in this range yet.'));
    wanted = '';
    return;
  }
  box.replaceChildren(el('ol', { class: 'dash-case-list', id: 'dash-case-list' }, ...cases.map(caseItem)));
  if (wanted) {
    const li = box.querySelector(`li[data-case="${CSS.escape(wanted)}"]`);
    wanted = '';
    if (li) {
      li.scrollIntoView({ block: 'center' });
      const summary = li.querySelector('summary');
      if (summary) summary.focus();
    }
  }
}

function caseItem(c) {
  const a = c.answer || {};
  const score = Number(a.score);
  const person = a.email ? (a.name ? `${a.name} <${a.email}>` : a.email) : (a.respondent || 'Anonymous');
  const when = c.status === 'closed' && c.time_to_close_s !== null && c.time_to_close_s !== undefined
    ? `closed in ${fmtSpan(c.time_to_close_s)}`
    : `open for ${fmtSpan((Date.now() - new Date(c.opened_at).getTime()) / 1000)}`;
  const comment = typeof a.comment === 'string' && a.comment.trim() ? a.comment.trim() : 'No comment.';
  const details = el('details', { class: 'dash-case-details' },
    el('summary', { class: 'dash-case-summary' },
      el('span', { class: 'dash-chip dash-chip-detractor' }, srOnly('Score '), el('strong', null, String(score))),
      el('span', { class: 'dash-case-comment' }, comment),
      el('span', { class: 'dash-case-person' }, person),
      el('span', { class: 'dash-case-when' }, when),
      el('span', { class: 'dash-case-assignee' }, c.assignee ? `Assigned to ${c.assignee}` : 'Nobody assigned'),
      c.notes_count > 0 ? el('span', { class: 'dash-case-notes-count' }, plural(c.notes_count, 'note', 'notes')) : null),
    el('div', { class: 'dash-case-body' }, el('p', { class: 'muted' }, 'Loading…')));
  const li = el('li', { class: 'dash-case', 'data-case': c.response_id, 'data-status': c.status }, details);
  details.addEventListener('toggle', () => {
    if (details.open) {
      openOne = c.response_id;
      showDetail(li, c.response_id);
    } else if (openOne === c.response_id) {
      openOne = '';
    }
  });
  if (openOne === c.response_id) details.open = true;
  return li;
}

async function showDetail(li, id) {
  const body = li.querySelector('.dash-case-body');
  let c;
  try {
    c = await (await api(surveyPath(`cases/${encodeURIComponent(id)}`))).json();
  } catch (err) {
    body.replaceChildren(el('p', { class: 'muted' }, `This case could not be loaded: ${err.message}`));
    return;
  }
  body.replaceChildren(...detailNodes(c).filter(Boolean));
}

function detailNodes(c) {
  const a = c.answer || {};
  const facts = el('dl', { class: 'dash-case-facts' });
  const fact = (k, v) => { if (v) facts.append(el('dt', null, k), el('dd', null, v)); };
  const opened = new Date(c.opened_at);
  fact('Answered', Number.isNaN(opened.getTime()) ? '' : timeFmt.format(opened));
  fact('Reasons', (a.reason_labels || []).join(', '));
  fact('Channel', CHANNELS[a.channel] || a.channel || '');
  fact('Email', a.email || '');
  fact('Respondent', a.email ? '' : a.respondent || '');
  if (c.status === 'closed' && c.closed_at) {
    fact('Closed', `${timeFmt.format(new Date(c.closed_at))}${c.closed_by ? ` by ${c.closed_by}` : ''} (${fmtSpan(c.time_to_close_s)} after the answer)`);
  }
  const notes = el('ol', { class: 'dash-case-notes' }, ...(c.notes || []).map((n) => el('li', null,
    el('p', { class: 'dash-case-note-text' }, n.text),
    el('p', { class: 'dash-case-note-meta muted' }, `${n.author || 'Someone'}, ${timeFmt.format(new Date(n.at))}`))));
  const id = c.response_id;
  const assignee = el('input', { type: 'text', class: 'dash-case-assignee-input', maxlength: '200', value: c.assignee || '', 'aria-label': 'Assignee (a name or an email)', placeholder: 'Name or email' });
  const note = el('textarea', { class: 'dash-case-note-input', maxlength: '2000', rows: '2', 'aria-label': 'Note', placeholder: 'What was done, e.g. called back, refund given' });
  const assignBtn = el('button', { type: 'button', class: 'button secondary dash-button dash-button-small dash-case-assign' }, 'Assign');
  const noteBtn = el('button', { type: 'button', class: 'button secondary dash-button dash-button-small dash-case-add-note' }, 'Add note');
  const closing = c.status !== 'closed';
  const statusBtn = el('button', { type: 'button', class: `button dash-button dash-button-small ${closing ? 'dash-case-close' : 'dash-case-reopen'}` }, closing ? 'Close case' : 'Reopen');
  const msg = el('p', { class: 'dash-case-msg', role: 'status' });
  const send = async (body, done) => {
    // No "by": the server writes who signs the request.
    msg.textContent = 'Saving…';
    try {
      await api(surveyPath(`cases/${encodeURIComponent(id)}`), undefined, { method: 'PATCH', body });
    } catch (err) {
      msg.textContent = `Not saved: ${err.message}`;
      return;
    }
    msg.textContent = done;
    if (body.status) tab = body.status === 'closed' ? 'closed' : 'open';
    openOne = id;
    wanted = id;
    reload();
  };
  assignBtn.addEventListener('click', () => send({ assignee: assignee.value }, 'Assigned.'));
  noteBtn.addEventListener('click', () => {
    if (!note.value.trim()) { msg.textContent = 'Write the note first.'; note.focus(); return; }
    send({ note: note.value }, 'Note added.');
  });
  statusBtn.addEventListener('click', () => {
    const body = { status: closing ? 'closed' : 'open' };
    if (note.value.trim()) body.note = note.value;
    send(body, closing ? 'Closed.' : 'Reopened.');
  });
  return [facts,
    el('h4', { class: 'dash-h4' }, 'Notes'),
    (c.notes || []).length ? notes : el('p', { class: 'muted' }, 'No notes yet.'),
    !can('manage') ? null : el('div', { class: 'dash-case-actions' },
      el('div', { class: 'dash-case-row' }, assignee, assignBtn),
      el('div', { class: 'dash-case-row' }, note, noteBtn),
      el('div', { class: 'dash-case-row' }, statusBtn)),
    msg];
}

// Tabs: wired once.
function wire() {
  const openTab = $('dash-cases-tab-open');
  if (!openTab) return;
  openTab.addEventListener('click', () => { tab = 'open'; reload(); });
  $('dash-cases-tab-closed').addEventListener('click', () => { tab = 'closed'; reload(); });
}

wire();
