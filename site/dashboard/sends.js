// Heed dashboard: contacts and sends. Upload a contacts CSV (the import of
// `heed contacts import`, with its progress and summary), then email the
// chosen survey: to everyone, to contacts with a property, or to a list;
// count first (a dry run), start, and watch the send's progress.

import { ApiError, authHeaders, send, surveyPath } from './api.js';
import { el, els, setStatus } from './dom.js';
import { fmtInt, plural } from './format.js';
import { can, state } from './state.js';

// uploadContacts sends the chosen file to POST /api/v1/contacts.csv with
// XMLHttpRequest, whose upload events give the progress fetch cannot.
export function uploadContacts() {
  const file = els.contactsFile.files && els.contactsFile.files[0];
  if (!file) {
    els.contactsResult.textContent = 'Choose a CSV file first: a header row email,name,<property>..., then a contact a row.';
    return;
  }
  const xhr = new XMLHttpRequest();
  xhr.open('POST', '/api/v1/contacts.csv');
  for (const [k, v] of Object.entries(authHeaders('POST'))) xhr.setRequestHeader(k, v);
  xhr.setRequestHeader('Content-Type', 'text/csv');
  els.contactsProgress.hidden = false;
  els.contactsProgress.value = 0;
  els.contactsUpload.setAttribute('aria-disabled', 'true');
  els.contactsResult.textContent = `Uploading ${file.name}…`;
  xhr.upload.onprogress = (e) => {
    if (e.lengthComputable) els.contactsProgress.value = Math.round((100 * e.loaded) / e.total);
  };
  xhr.upload.onload = () => { els.contactsResult.textContent = `Importing ${file.name}…`; };
  const done = () => {
    els.contactsUpload.removeAttribute('aria-disabled');
    els.contactsProgress.hidden = true;
  };
  xhr.onerror = () => {
    done();
    els.contactsResult.textContent = 'Could not reach the Heed server. Check your connection and try again.';
  };
  xhr.onload = () => {
    done();
    let body = null;
    try {
      body = JSON.parse(xhr.responseText);
    } catch (_) {
      body = null;
    }
    if (xhr.status !== 200 || !body) {
      const msg = body && body.error ? body.error.message : xhr.statusText;
      els.contactsResult.textContent = `The file was not imported: ${msg}`;
      return;
    }
    // invalid lists the first refused rows; invalid_total counts them all.
    const invalid = Array.isArray(body.invalid) ? body.invalid : [];
    const total = Math.max(Number(body.invalid_total) || 0, invalid.length);
    const shown = invalid.slice(0, 50);
    els.contactsResult.replaceChildren(...[
      el('p', { id: 'dash-contacts-summary' }, `Imported ${fmtInt(body.new)} new, updated ${fmtInt(body.updated)}, merged ${plural(body.duplicates, 'duplicate row', 'duplicate rows')}, ${fmtInt(total)} invalid.`),
      shown.length ? el('ul', { class: 'dash-problems' }, ...shown.map((p) => el('li', null, `Line ${p.index}: ${p.error}${p.email ? ` (${p.email})` : ''}`))) : null,
      total > shown.length ? el('p', { class: 'muted' }, `…and ${fmtInt(total - shown.length)} more.`) : null,
    ].filter(Boolean));
    setStatus(`Contacts imported from ${file.name}.`, '');
  };
  xhr.send(file);
}

// sendBody is who the send form chooses.
function sendBody(dryRun) {
  const f = els.sendForm;
  const who = f.elements.who.value;
  const body = { dry_run: dryRun, reminder_days: Number(f.elements.reminder_days.value || 0) };
  if (who === 'all') body.all = true;
  if (who === 'where') {
    const m = /^\s*([^=]+?)\s*=\s*(.*?)\s*$/.exec(f.elements.where.value || '');
    body.where = m ? { [m[1]]: m[2] } : {};
  }
  if (who === 'emails') body.emails = String(f.elements.emails.value || '').split(/[\s,;]+/).filter(Boolean);
  return body;
}

function showError(err) {
  els.sendResult.textContent = err instanceof ApiError ? `Not sent: ${err.message}` : String(err);
}

// countRecipients is a dry run: who would get the email now.
export async function countRecipients() {
  if (!state.survey) return;
  try {
    const r = await send('POST', surveyPath('sends'), sendBody(true));
    const s = (r && r.summary) || {};
    els.sendResult.replaceChildren(el('p', { id: 'dash-send-summary' },
      `${plural(s.would_send || 0, 'contact', 'contacts')} would get the email now`,
      ` (of ${fmtInt(s.selected)} chosen: ${fmtInt(s.skipped_suppressed)} unsubscribed or bounced, ${fmtInt(s.skipped_recent)} asked recently, ${fmtInt(s.skipped_answered)} answered already).`));
    els.sendStart.disabled = !(s.would_send > 0);
  } catch (err) {
    showError(err);
  }
}

// startSend starts the send and follows it until it is done.
export async function startSend() {
  if (!state.survey) return;
  els.sendStart.disabled = true;
  try {
    const r = await send('POST', surveyPath('sends'), sendBody(false));
    els.sendResult.textContent = `Send ${r.send_id} started…`;
    follow(r.send_id, 0);
  } catch (err) {
    showError(err);
  }
}

async function follow(id, tries) {
  try {
    const r = await send('GET', `/api/v1/sends/${encodeURIComponent(id)}`);
    const c = (r.contacts && r.contacts.initial) || {};
    const sent = Number(c.sent || 0);
    const pending = Number(c.sending || 0);
    const ev = r.events || {};
    els.sendResult.replaceChildren(el('p', { id: 'dash-send-progress' },
      `Send ${id}: ${plural(sent, 'email', 'emails')} sent`, pending ? `, ${fmtInt(pending)} going out` : '',
      c.failed ? `, ${fmtInt(c.failed)} failed` : '',
      ev.delivered ? ` · ${fmtInt(ev.delivered)} delivered` : '', ev.open ? ` · ${fmtInt(ev.open)} opened` : '', '.'));
    if ((pending > 0 || sent === 0) && tries < 60) window.setTimeout(() => follow(id, tries + 1), 1000);
  } catch (err) {
    showError(err);
  }
}

export function renderSends() {
  els.sendsSection.hidden = !state.survey || !can('manage'); // contacts and sends: managers
  const who = els.sendForm.elements.who.value;
  els.sendWhere.hidden = who !== 'where';
  els.sendEmails.hidden = who !== 'emails';
}
