// Heed dashboard: loading. Opening the dashboard with the stored key or
// the session (who is signed in, the surveys), the chosen survey's report and latest answers for the range the
// controls ask for, and the CSV download. Every load cancels the one before.

import { ApiError, api, filenameFrom, isAbort, surveyPath } from './api.js';
import { el, els, offerRetry, placeholder, setBusy, setStatus } from './dom.js';
import { INTERVALS, addDays, addMonths, fmtNps, plural, todayIn, ymd } from './format.js';
import { hideChurn, renderChurn } from './churn.js';
import { renderManage } from './manage.js';
import { renderSends } from './sends.js';
import { loadCases } from './cases.js';
import { renderRates } from './segments.js';
import { showView } from './nav.js';
import { abortLoads, showError, showSignIn } from './session.js';
import { KEY_STORE, SURVEY_STORE, can, load, save, sessionHint, state } from './state.js';
import { writeView } from './url.js';
import { fillSurveys, renderComments, renderReport, showNoSurveys } from './views.js';

const COMMENTS_LIMIT = 20;
const PERSON_LIMIT = 100;

const RANGES = {
  '4w': { days: 28, label: 'last 4 weeks' },
  '12w': { days: 84, label: 'last 12 weeks' },
  '6m': { months: 6, label: 'last 6 months' },
  '12m': { months: 12, label: 'last 12 months' },
};

// start learns who is signed in (GET /api/v1/me: the stored key, or else
// the session cookie), loads the surveys, and opens the view the address
// names. quiet: a first look for a session on load, when having none is
// no error (the sign-in screen shows, without a message).
export async function start(fromForm, quiet) {
  abortLoads();
  const gen = state.gen;
  const controller = new AbortController();
  state.controller = controller;
  offerRetry(null);
  els.signinSubmit.setAttribute('aria-disabled', 'true');
  const withKey = !!load(KEY_STORE);
  setStatus(fromForm ? (withKey ? 'Checking the key…' : 'Signing in…') : 'Loading your surveys…', 'busy');
  let surveys = [];
  try {
    const me = await (await api('/api/v1/me', controller.signal)).json();
    if (gen !== state.gen) return;
    state.me = me;
    state.csrf = (me && me.csrf_token) || '';
    if (me && me.kind === 'session') sessionHint(true);
    if (can('read')) {
      const res = await api('/api/v1/surveys', controller.signal);
      const body = await res.json();
      surveys = Array.isArray(body && body.surveys) ? body.surveys : [];
    }
  } catch (err) {
    if (gen !== state.gen) return;
    els.signinSubmit.removeAttribute('aria-disabled');
    if (err instanceof ApiError && err.status === 401 && quiet && !withKey) {
      // Nobody signed in on this browser: the sign-in screen.
      state.me = null;
      sessionHint(false);
      showSignIn(false);
      setStatus('', '');
      return;
    }
    if (!(err instanceof ApiError && err.status === 401)) {
      // The credential may be fine; the server is not. Keep it, offer a retry.
      els.signin.hidden = true;
      els.signout.hidden = false;
    }
    showError(err, 'your surveys', () => start(false));
    return;
  }
  if (gen !== state.gen) return;
  els.signinSubmit.removeAttribute('aria-disabled');
  els.key.removeAttribute('aria-invalid');
  els.email.removeAttribute('aria-invalid');
  state.surveys = surveys.filter((s) => s && typeof s.id === 'string');
  els.signin.hidden = true;
  els.signout.hidden = false;
  setStatus('', '');
  fillSurveys();
  renderManage(state.onSurveyChanged);
  renderSends();
  stale = true;
  if (!can('read')) {
    showView(false);
    els.app.hidden = true;
    setStatus(`This key has the ${state.me.role} role: it posts answers, contacts and churn, and reads no reports.`, '');
    return;
  }
  showView(fromForm);
}

// openReports shows the reports view: the chosen survey's report, loaded
// again only when it is not loaded yet.
export function openReports() {
  if (!state.me || !can('read')) return;
  if (!state.survey) {
    showNoSurveys();
    return;
  }
  if (!state.report || stale) {
    stale = false;
    refresh();
  }
}

// stale: the surveys were loaded again (start) since the report was.
let stale = true;

function currentQuery() {
  const tz = els.tz.value || 'UTC';
  const to = addDays(todayIn(tz), 1); // exclusive: the range ends with today
  const range = RANGES[els.range.value] || RANGES['12w'];
  const from = range.days ? addDays(to, -range.days) : addMonths(to, -range.months);
  const interval = INTERVALS[els.interval.value] ? els.interval.value : 'week';
  const report = new URLSearchParams({ from: ymd(from), to: ymd(to), interval });
  if (els.unconfirmed.checked) report.set('include_unconfirmed', 'true');
  if (tz !== 'UTC') report.set('tz', tz);
  const rates = new URLSearchParams(report);
  rates.delete('include_unconfirmed');
  if (els.group.value) report.set('group_by', els.group.value);
  const person = state.view.person;
  // One person's answers: all of them, not only the range's.
  const responses = person
    ? new URLSearchParams({ from: '2000-01-01', to: ymd(to), interval: 'month', limit: String(PERSON_LIMIT), respondent: person })
    : new URLSearchParams({ from: ymd(from), to: ymd(to), limit: String(COMMENTS_LIMIT) });
  if (tz !== 'UTC') responses.set('tz', tz);
  // Churn: every answer (the fast path), by the chosen window.
  const churn = new URLSearchParams({ window_days: els.churnWindow.value || '90' });
  if (els.unconfirmed.checked) churn.set('include_unconfirmed', 'true');
  return { report, responses, rates, churn, interval, rangeLabel: range.label, unconfirmed: els.unconfirmed.checked };
}

// saveView puts the controls' state in the address (url.js).
function saveView() {
  state.view = {
    ...state.view,
    survey: state.survey ? state.survey.id : '',
    interval: els.interval.value === 'week' ? '' : els.interval.value,
    range: els.range.value === '12w' ? '' : els.range.value,
    unconfirmed: els.unconfirmed.checked ? '1' : '',
    group: els.group.value,
    tz: els.tz.value === 'UTC' ? '' : els.tz.value,
    person: state.view.person,
    window: els.churnWindow.value === '90' ? '' : els.churnWindow.value,
  };
  writeView(state.view);
}

// loadSegments fills the segment picker with what the survey's answers
// can be grouped by, once per survey.
async function loadSegments(survey, signal) {
  if (state.segmentsFor === survey.id) return;
  try {
    const body = await (await api(`${surveyPath('segments')}`, signal)).json();
    const groups = Array.isArray(body && body.group_by) ? body.group_by : [];
    const keep = els.group.value || state.view.group;
    const options = [el('option', { value: '' }, 'None')];
    for (const g of groups) {
      if (typeof g !== 'string') continue;
      options.push(el('option', { value: g }, g === 'channel' ? 'Channel' : `Property: ${g.slice('property:'.length)}`));
    }
    if (keep && !groups.includes(keep)) options.push(el('option', { value: keep }, keep));
    els.group.replaceChildren(...options);
    els.group.value = keep || '';
    state.segmentsFor = survey.id;
  } catch (_) {
    // The picker keeps what it has; the report says what went wrong, if anything.
  }
}

// showPerson shows one person's answers (or everyone's again, with '').
export function showPerson(respondent, label) {
  state.view.person = respondent || '';
  state.personLabel = respondent ? (label || respondent) : '';
  state.answers = null;
  refresh();
  if (respondent) els.commentsTitle.focus();
}

function renderCommentsHead() {
  const p = state.view.person;
  els.commentsTitle.textContent = p ? `Answers of ${state.personLabel || p}` : 'Latest comments';
  els.commentsLead.textContent = p
    ? `Every answer this person gave to this survey, newest first (at most ${PERSON_LIMIT}).`
    : 'From the 20 newest answers in the range: every comment, and every detractor.';
  els.personClear.hidden = !p;
}

export async function refresh() {
  if (!state.survey) return;
  abortLoads();
  const gen = state.gen;
  const controller = new AbortController();
  state.controller = controller;
  const survey = state.survey;
  await loadSegments(survey, controller.signal);
  if (gen !== state.gen) return;
  const q = currentQuery();
  saveView();
  renderCommentsHead();

  offerRetry(null);
  setBusy(true);
  setStatus('Loading the report…', 'busy');
  if (!state.report) {
    for (const r of [els.total, els.chartBox, els.reasons]) placeholder(r, 'Loading…');
  }
  if (!state.answers) placeholder(els.comments, 'Loading…');

  const reportP = api(`${surveyPath('report')}?${q.report}`, controller.signal).then((r) => r.json());
  const answersP = api(`${surveyPath('responses')}?${q.responses}`, controller.signal).then((r) => r.json());
  const ratesP = api(`${surveyPath('response-rates')}?${q.rates}`, controller.signal).then((r) => r.json());
  const churnP = api(`${surveyPath('churn')}?${q.churn}`, controller.signal).then((r) => r.json());
  loadCases(q.report, controller.signal); // follow-ups: a section of its own (cases.js)
  // None may reject unhandled while we wait on another.
  reportP.catch(() => {});
  answersP.catch(() => {});
  ratesP.catch(() => {});
  churnP.catch(() => {});

  let report;
  try {
    report = await reportP;
  } catch (err) {
    if (gen !== state.gen) return;
    setBusy(false);
    if (isAbort(err)) return;
    state.report = null;
    for (const r of [els.total, els.chartBox, els.table, els.reasons]) {
      placeholder(r, 'The report could not be loaded.');
    }
    els.empty.hidden = true;
    els.trendSection.hidden = false;
    els.reasonsSection.hidden = false;
    showError(err, 'the report', refresh);
    if (err instanceof ApiError && err.status === 404) save(SURVEY_STORE, null);
    return;
  }
  if (gen !== state.gen) return;
  state.report = report;
  renderReport(report, q, survey);

  let answersError = null;
  try {
    const body = await answersP;
    if (gen !== state.gen) return;
    state.answers = Array.isArray(body && body.responses) ? body.responses : [];
    renderComments(state.answers, survey, showPerson);
  } catch (err) {
    if (gen !== state.gen || isAbort(err)) return;
    answersError = err;
    state.answers = null;
    placeholder(els.comments, 'The comments could not be loaded.');
  }
  try {
    const rates = await ratesP;
    if (gen !== state.gen) return;
    renderRates(rates);
  } catch (err) {
    if (gen !== state.gen || isAbort(err)) return;
    els.ratesSection.hidden = true; // a view of its own: the report stands without it
  }
  try {
    const churn = await churnP;
    if (gen !== state.gen) return;
    renderChurn(churn);
  } catch (err) {
    if (gen !== state.gen || isAbort(err)) return;
    hideChurn(); // a view of its own: the report stands without it
  }
  setBusy(false);
  if (answersError) {
    showError(answersError, 'the comments', refresh);
    return;
  }
  const t = report.total || {};
  const name = survey.name ? String(survey.name) : survey.id;
  const notice = state.notice ? `${state.notice} ` : '';
  state.notice = '';
  setStatus(notice + (t.responses > 0
    ? `${name}, ${q.rangeLabel} by ${INTERVALS[q.interval].one}: NPS ${fmtNps(t.nps)} from ${plural(t.responses, 'response', 'responses')}.`
    : `${name}, ${q.rangeLabel}: no answers in this range yet.`), '');
}

export function downloadCsv() {
  return download(els.csv, 'report.csv', (q) => q.report, 'Download CSV');
}

export function downloadChurnCsv() {
  return download(els.churnCsv, 'churn.csv', (q) => q.churn, 'Download churn CSV');
}

async function download(button, file, params, label) {
  if (!state.survey || state.downloading) return;
  state.downloading = true;
  button.setAttribute('aria-disabled', 'true');
  button.textContent = 'Preparing CSV…';
  setStatus('Preparing the CSV…', 'busy');
  offerRetry(null);
  try {
    const q = currentQuery();
    const res = await api(`${surveyPath(file)}?${params(q)}`);
    const blob = await res.blob();
    const name = filenameFrom(res.headers.get('Content-Disposition')) || 'heed-report.csv';
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = name;
    a.hidden = true;
    document.body.append(a);
    a.click();
    a.remove();
    window.setTimeout(() => URL.revokeObjectURL(url), 30000);
    setStatus(`Downloaded ${name}.`, '');
  } catch (err) {
    showError(err, 'the CSV', () => download(button, file, params, label));
  } finally {
    state.downloading = false;
    button.removeAttribute('aria-disabled');
    button.textContent = label;
  }
}
