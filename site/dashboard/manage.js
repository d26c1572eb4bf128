// Heed dashboard: managing surveys. The embed snippet of the chosen survey
// (with a copy button), and the survey form: create a survey, or edit the
// chosen one (PATCH, with its version so two editors cannot overwrite each
// other), with a live preview of what each group of customers is asked.

import { ApiError, api, send } from './api.js';
import { el, els, setStatus } from './dom.js';
import { can, state } from './state.js';

const GROUPS = [
  { key: 'detractors', label: 'Detractors (0–6)', score: 3 },
  { key: 'passives', label: 'Passives (7–8)', score: 7 },
  { key: 'promoters', label: 'Promoters (9–10)', score: 10 },
];
const STANDARD_QUESTION = 'How likely are you to recommend us to a friend or colleague?';
const STANDARD_WHY = 'What is the main reason for your score?';

// slug makes a reason id from its label: [a-z0-9_], at most 64.
export function slug(label) {
  return String(label).toLowerCase().normalize('NFKD').replace(/[\u0300-\u036f]/g, '')
    .replace(/[^a-z0-9]+/g, '_').replace(/^_+|_+$/g, '').slice(0, 64) || 'reason';
}

// reasonsFrom reads a textarea: one reason a line, "id: Label" or "Label".
export function reasonsFrom(text) {
  const out = [];
  const seen = new Set();
  for (const line of String(text || '').split('\n')) {
    const t = line.trim();
    if (!t) continue;
    const m = /^([a-z0-9_]{1,64})\s*:\s*(.+)$/.exec(t);
    const reason = m ? { id: m[1], label: m[2].trim() } : { id: slug(t), label: t };
    if (seen.has(reason.id)) continue;
    seen.add(reason.id);
    out.push(reason);
  }
  return out;
}

function reasonsText(list) {
  return (Array.isArray(list) ? list : []).map((r) => `${r.id}: ${r.label}`).join('\n');
}

function lines(text) {
  return String(text || '').split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
}

// The embed snippet, the status and the history of the chosen survey.
export function renderManage(onChanged) {
  const sv = state.survey;
  // Viewers see the snippet and the history; managers change surveys;
  // deleting one (and its answers) is for admins.
  const manage = can('manage');
  els.manageSection.hidden = false;
  els.newSurvey.hidden = !manage;
  els.archiveSurvey.hidden = !sv || !manage;
  els.deleteSurvey.hidden = !sv || !can('admin');
  if (!manage) els.surveyForm.hidden = true;
  els.deleteBox.hidden = true;
  if (sv) {
    const archived = sv.status === 'archived' || !!sv.archived_at;
    els.archiveSurvey.textContent = archived ? 'Unarchive' : 'Archive';
    els.archiveSurvey.onclick = () => archive(sv, !archived, onChanged);
    els.deleteSurvey.onclick = () => askDelete(sv, onChanged);
    els.surveyStatus.textContent = archived
      ? 'Archived: it takes no new answers (the widget stays hidden, email links say the survey is closed); its reports stay.'
      : `Active${sv.answers !== undefined && sv.answers !== null ? ` · ${sv.answers} answers` : ''}${sv.last_answer_at ? ` · last on ${new Date(sv.last_answer_at).toLocaleString('en-GB')}` : ''}.`;
    loadHistory(sv);
  } else {
    els.surveyStatus.textContent = '';
    els.history.replaceChildren();
  }
  const snippet = sv ? `<script async src="${window.location.origin}/widget.js" data-survey="${sv.id}"></script>` : '';
  els.embed.replaceChildren();
  if (sv) {
    const code = el('code', { id: 'dash-embed-code' }, snippet);
    const copy = el('button', { type: 'button', class: 'button secondary dash-button dash-button-small', id: 'dash-embed-copy' }, 'Copy');
    copy.addEventListener('click', async () => {
      try {
        await navigator.clipboard.writeText(snippet);
        setStatus('The embed snippet is copied: paste it before </body> on your site.', '');
      } catch (_) {
        const range = document.createRange();
        range.selectNodeContents(code);
        const sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
        setStatus('Press Ctrl+C (⌘C) to copy the selected snippet.', '');
      }
    });
    els.embed.append(el('p', null, 'Put this on every page of your site where visitors may be asked:'),
      el('div', { class: 'dash-embed' }, el('pre', null, code), copy));
  }
  els.editSurvey.hidden = !sv || !manage;
}

// openForm shows the survey form, empty (a new survey) or filled with sv.
export function openForm(sv, onSaved) {
  const f = els.surveyForm;
  f.hidden = false;
  f.dataset.mode = sv ? 'edit' : 'create';
  els.surveyFormTitle.textContent = sv ? `Edit “${sv.name || sv.id}”` : 'New survey';
  const fu = (sv && sv.follow_ups) || {};
  const v = {
    name: sv ? sv.name || '' : '',
    question: sv && sv.question !== STANDARD_QUESTION ? sv.question || '' : '',
    language: sv ? sv.language || '' : '',
    alerts: sv ? (sv.alert_emails || []).join(', ') : '',
    origins: sv ? (sv.allowed_origins || []).join('\n') : '',
    reasons: sv ? reasonsText(sv.reasons) : '',
    sender: sv ? sv.sender_name || '' : '',
    logo: sv ? sv.logo_url || '' : '',
    retention: sv ? String(sv.retention_days || 0) : '0',
  };
  f.elements.name.value = v.name;
  f.elements.question.value = v.question;
  f.elements.language.value = v.language;
  f.elements.alert_emails.value = v.alerts;
  f.elements.allowed_origins.value = v.origins;
  f.elements.reasons.value = v.reasons;
  f.elements.sender_name.value = v.sender;
  f.elements.logo_url.value = v.logo;
  f.elements.retention_days.value = v.retention;
  for (const g of GROUPS) {
    const own = fu[g.key];
    f.elements[`${g.key}_own`].checked = !!own;
    f.elements[`${g.key}_question`].value = own ? own.question || '' : '';
    f.elements[`${g.key}_reasons`].value = own ? reasonsText(own.reasons) : '';
  }
  els.surveyFormError.textContent = '';
  f.onsubmit = (e) => {
    e.preventDefault();
    save(sv, onSaved);
  };
  els.surveyFormCancel.onclick = () => { f.hidden = true; };
  f.oninput = renderPreview;
  renderPreview();
  f.elements.name.focus();
}

// retentionDays reads the retention field: a whole number, or the text as
// typed, which the API refuses with a message naming the field.
function retentionDays(text) {
  const t = text.trim();
  if (t === '') return 0;
  return /^\d+$/.test(t) ? Number(t) : t;
}

// formBody is what the form asks for, as the API takes it.
function formBody() {
  const f = els.surveyForm;
  const body = {
    name: f.elements.name.value.trim(),
    question: f.elements.question.value.trim() || STANDARD_QUESTION,
    language: f.elements.language.value,
    alert_emails: lines(f.elements.alert_emails.value),
    allowed_origins: lines(f.elements.allowed_origins.value),
    reasons: reasonsFrom(f.elements.reasons.value),
    sender_name: f.elements.sender_name.value.trim(),
    logo_url: f.elements.logo_url.value.trim(),
    retention_days: retentionDays(f.elements.retention_days.value),
  };
  const follow = {};
  for (const g of GROUPS) {
    if (!f.elements[`${g.key}_own`].checked) continue;
    follow[g.key] = { question: f.elements[`${g.key}_question`].value.trim(), reasons: reasonsFrom(f.elements[`${g.key}_reasons`].value) };
  }
  if (Object.keys(follow).length) body.follow_ups = follow;
  return body;
}

async function save(sv, onSaved) {
  const body = formBody();
  els.surveyFormError.textContent = '';
  els.surveyFormSubmit.setAttribute('aria-disabled', 'true');
  try {
    let saved;
    if (sv) {
      if (sv.version !== undefined) body.version = sv.version;
      if (!body.follow_ups) body.follow_ups = null;
      saved = await send('PATCH', `/api/v1/surveys/${encodeURIComponent(sv.id)}`, body);
    } else {
      saved = await send('POST', '/api/v1/surveys', body);
    }
    els.surveyForm.hidden = true;
    setStatus(sv ? `Saved “${body.name}”.` : `Created “${body.name}”. Embed it on your site or send it by email.`, '');
    if (onSaved) onSaved(saved && (saved.id || (saved.survey && saved.survey.id)));
  } catch (err) {
    const msg = err instanceof ApiError ? err.message : String(err);
    els.surveyFormError.textContent = err instanceof ApiError && err.status === 409
      ? 'Someone changed this survey meanwhile: reload to see their change, then edit again.'
      : `The survey was not saved: ${msg}`;
  } finally {
    els.surveyFormSubmit.removeAttribute('aria-disabled');
  }
}

// renderPreview shows, for each group, what a customer of it is asked.
function renderPreview() {
  const body = formBody();
  const scale = el('div', { class: 'dash-preview-scale', 'aria-hidden': 'true' },
    ...Array.from({ length: 11 }, (_, i) => el('span', { class: 'dash-preview-score' }, String(i))));
  const groups = GROUPS.map((g) => {
    const own = body.follow_ups && body.follow_ups[g.key];
    const why = own ? own.question || STANDARD_WHY : STANDARD_WHY;
    const reasons = own ? own.reasons : body.reasons;
    return el('div', { class: 'dash-preview-group' },
      el('p', { class: 'dash-preview-label' }, `After a ${g.score} — ${g.label}`),
      el('p', { class: 'dash-preview-why' }, why),
      reasons.length
        ? el('ul', { class: 'dash-preview-reasons' }, ...reasons.map((r) => el('li', null, r.label)))
        : el('p', { class: 'muted' }, 'No reasons: only a comment box.'));
  });
  // The email: who it is from, its question and its two rows of scores
  // (0–5, 6–10), as survey.html lays them out.
  const from = body.sender_name || body.name || 'Heed';
  const row = (a, b) => el('div', { class: 'dash-preview-scale' },
    ...Array.from({ length: b - a + 1 }, (_, i) => el('span', { class: 'dash-preview-score dash-preview-score-email' }, String(a + i))));
  const email = el('div', { class: 'dash-preview-email', id: 'dash-preview-email' },
    el('p', { class: 'dash-preview-label' }, `Email from ${from}`),
    el('p', { class: 'dash-preview-brand' }, from),
    el('p', { class: 'dash-preview-q' }, body.question),
    row(0, 5), row(6, 10),
    el('p', { class: 'dash-preview-label' }, 'One click records the score; the answer page then asks the group’s follow-up below.'));
  els.surveyPreview.replaceChildren(
    el('p', { class: 'dash-preview-label' }, 'On your website'),
    el('p', { class: 'dash-preview-q' }, body.question),
    scale,
    ...groups,
    email);
}

async function archive(sv, on, onChanged) {
  try {
    await send('POST', `/api/v1/surveys/${encodeURIComponent(sv.id)}/${on ? 'archive' : 'unarchive'}`);
    setStatus(on ? `Archived “${sv.name || sv.id}”: it takes no new answers; its reports stay.` : `“${sv.name || sv.id}” takes answers again.`, '');
    if (onChanged) onChanged(sv.id);
  } catch (err) {
    setStatus(`Not changed: ${err instanceof ApiError ? err.message : err}`, 'error');
  }
}

// askDelete asks for the survey's id, typed, before deleting it and all its
// answers for ever.
function askDelete(sv, onChanged) {
  els.deleteBox.hidden = false;
  els.deleteLabel.textContent = `Type ${sv.id} to delete “${sv.name || sv.id}” and every answer to it, for ever.`;
  els.deleteInput.value = '';
  els.deleteInput.focus();
  els.deleteConfirm.onclick = async () => {
    try {
      await send('DELETE', `/api/v1/surveys/${encodeURIComponent(sv.id)}?confirm=${encodeURIComponent(els.deleteInput.value.trim())}`);
      els.deleteBox.hidden = true;
      setStatus(`Deleted “${sv.name || sv.id}” and its answers.`, '');
      state.view.survey = '';
      if (onChanged) onChanged('');
    } catch (err) {
      els.deleteError.textContent = err instanceof ApiError ? err.message : String(err);
    }
  };
  els.deleteCancel.onclick = () => { els.deleteBox.hidden = true; };
}

function shortValue(raw) {
  const s = raw === null || raw === undefined ? '—' : typeof raw === 'string' ? raw : JSON.stringify(raw);
  return s.length > 80 ? `${s.slice(0, 77)}…` : s;
}

// loadHistory lists what changed when (GET /versions), newest first.
async function loadHistory(sv) {
  try {
    const body = await (await api(`/api/v1/surveys/${encodeURIComponent(sv.id)}/versions`)).json();
    if (state.survey !== sv) return;
    const versions = Array.isArray(body && body.versions) ? body.versions.slice(0, 10) : [];
    els.history.replaceChildren(...(versions.length ? [
      el('h3', { class: 'dash-h3' }, 'History'),
      el('ol', { class: 'dash-history', id: 'dash-history-list' }, ...versions.map((v) => el('li', null,
        el('strong', null, `Version ${v.version}`), ` · ${new Date(v.at).toLocaleString('en-GB')} · ${v.action}`,
        Array.isArray(v.changes) && v.changes.length
          ? el('ul', null, ...v.changes.map((c) => el('li', null, el('code', null, c.field), `: ${shortValue(c.from)} → ${shortValue(c.to)}`)))
          : null))),
    ] : []));
  } catch (_) {
    els.history.replaceChildren();
  }
}
