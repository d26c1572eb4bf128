// Heed dashboard: the entry point, bundled by site.BuildDashboard into
// /dashboard.js. NPS for a range, its trend with a 95% confidence band, why
// detractors leave, and the latest comments.
//
// No libraries. It runs under a strict CSP (no inline script, no inline
// styles in the HTML, no eval), so every node is built with createElement /
// createElementNS, and API data only ever goes into textContent or
// attributes, never into innerHTML.
//
// People sign in with their email and password, or with a one-time link
// emailed to them (/dashboard.html#signin=<token>: removed from the address
// at once, spent by a click on Sign in); the server then keeps a session in
// an HttpOnly cookie, and GET /api/v1/me says who they are and what their
// role may do. On load, when this browser signed in with a session and has
// not signed out since (state.js, SESSION_HINT), the dashboard asks
// /api/v1/me: a session still open opens the dashboard at once, an ended
// one shows the sign-in screen. An API key (the bootstrap admin
// key) is the other way in: kept in sessionStorage ("heed.adminKey") and
// sent as a bearer token; for screenshots and scripted checks it may also
// be given once as a URL fragment, /dashboard.html#key=..., which is read,
// stored and removed from the address bar at once.
//
// This file wires the page's events; the rest lives in:
//   state.js    state object, sessionStorage
//   dom.js      elements, el()/svg(), status line
//   format.js   numbers, dates, words
//   api.js      fetch with the key or the session's CSRF token, ApiError, CSV file names
//   session.js  #key= and #signin= fragments, sign out, errors
//   signin.js   the sign-in screen: password, emailed link, the link's button, a key
//   nav.js      the views (reports, team, keys, audit, account) in the address, by role
//   team.js     accounts: invite, role, resend, remove (admins)
//   keys.js     API keys: create (shown once), revoke (admins)
//   audit.js    the audit log, by family, older pages (admins)
//   account.js  my account: password, sign out, sign out everywhere
//   load.js     surveys, report, answers and rates, CSV download
//   views.js    cards, table, reasons, comments, change notes
//   segments.js the segment table, response rates
//   churn.js    who left, by last NPS group and reason
//   chart.js    the SVG trend chart, with significance marks
//   url.js      the view's filters in the address
//   manage.js   the embed snippet, the survey form and its preview
//   sends.js    the contacts upload, the send form and its progress
//   people.js   find a contact; one person's answers, emails, suppression
//
// Modules are strict anyway; the directive makes esbuild keep the bundle,
// a classic script, strict too.
'use strict';

import { renderChart } from './chart.js';
import { el, els, offerRetry, setStatus } from './dom.js';
import { browserZone } from './format.js';
import { downloadChurnCsv, downloadCsv, openReports, refresh, showPerson, start } from './load.js';
import { keyFromFragment, linkFromFragment, showSignIn, signOutNow } from './session.js';
import { offerLink, wireSignIn } from './signin.js';
import { defineView, showView, wireNav } from './nav.js';
import { showTeam, wireTeam } from './team.js';
import { hideNewKey, showKeys, wireKeys } from './keys.js';
import { showAudit, wireAudit } from './audit.js';
import { showAccount, wireAccount } from './account.js';
import { KEY_STORE, SURVEY_STORE, load, save, sessionHint, state } from './state.js';
import { openForm, renderManage } from './manage.js';
import { searchPeople } from './people.js';
import { countRecipients, renderSends, startSend, uploadContacts } from './sends.js';
import { readView } from './url.js';

// applyView sets the controls from the address (a shared link).
function applyView() {
  const v = readView();
  state.view = v;
  const pick = (select, value) => {
    if (value && [...select.options].some((o) => o.value === value)) select.value = value;
  };
  pick(els.interval, v.interval);
  pick(els.range, v.range);
  pick(els.churnWindow, v.window);
  els.unconfirmed.checked = v.unconfirmed === '1';
  // Time zones: UTC, the browser's own, and one a link names.
  const zones = ['UTC'];
  const own = browserZone();
  if (own && own !== 'UTC') zones.push(own);
  if (v.tz && !zones.includes(v.tz)) zones.push(v.tz);
  els.tz.replaceChildren(...zones.map((z) => el('option', { value: z }, z === own ? `${z} (yours)` : z)));
  els.tz.value = v.tz && zones.includes(v.tz) ? v.tz : 'UTC';
  if (v.group) {
    els.group.append(el('option', { value: v.group }, v.group));
    els.group.value = v.group;
  }
}

function onResize() {
  if (!state.report || els.trendSection.hidden) return;
  const w = els.chartBox.clientWidth;
  if (w > 0 && Math.abs(w - state.chartWidth) > 4) {
    const periods = Array.isArray(state.report.periods) ? state.report.periods : [];
    renderChart(periods, state.report.interval || els.interval.value);
  }
}

function init() {
  if (!els.app || !els.signinForm) return;
  keyFromFragment();
  const link = linkFromFragment();
  applyView();

  wireSignIn();
  wireNav();
  wireTeam();
  wireKeys();
  wireAudit();
  wireAccount();
  defineView('', openReports);
  defineView('team', showTeam);
  defineView('keys', showKeys);
  defineView('audit', showAudit);
  defineView('account', showAccount);
  // Back and Forward between views (nav.js pushes them).
  window.addEventListener('popstate', () => {
    if (!state.me) return;
    state.view = { ...state.view, view: readView().view, action: readView().action };
    hideNewKey();
    showView(false);
  });
  els.nav.addEventListener('click', hideNewKey);
  els.signout.addEventListener('click', () => signOutNow(false));
  els.retry.addEventListener('click', () => {
    const fn = state.retry;
    offerRetry(null);
    if (fn) fn();
  });
  els.controls.addEventListener('submit', (e) => e.preventDefault());
  els.survey.addEventListener('change', () => {
    state.survey = state.surveys.find((s) => s.id === els.survey.value) || state.surveys[0] || null;
    if (state.survey) save(SURVEY_STORE, state.survey.id);
    state.report = null;
    state.answers = null;
    state.view.person = '';
    renderManage(saved);
    renderSends();
    refresh();
  });
  for (const c of [els.interval, els.range, els.unconfirmed, els.group, els.tz, els.churnWindow]) c.addEventListener('change', refresh);
  els.churnCsv.addEventListener('click', downloadChurnCsv);
  els.personClear.addEventListener('click', () => showPerson('', ''));
  // A saved survey: load the surveys again and open it.
  const saved = (id) => {
    state.view.survey = id || '';
    save(SURVEY_STORE, id || null);
    start(false);
  };
  state.onSurveyChanged = saved;
  els.newSurvey.addEventListener('click', () => openForm(null, saved));
  els.contactsUpload.addEventListener('click', uploadContacts);
  els.peopleForm.addEventListener('submit', (e) => {
    e.preventDefault();
    searchPeople();
  });
  els.sendForm.addEventListener('change', renderSends);
  els.sendForm.addEventListener('submit', (e) => e.preventDefault());
  els.sendCount.addEventListener('click', countRecipients);
  els.sendStart.addEventListener('click', startSend);
  els.editSurvey.addEventListener('click', () => openForm(state.survey, saved));
  els.csv.addEventListener('click', downloadCsv);

  let frame = 0;
  const schedule = () => {
    if (frame) return;
    frame = window.requestAnimationFrame(() => {
      frame = 0;
      onResize();
    });
  };
  if ('ResizeObserver' in window) new ResizeObserver(schedule).observe(els.chartBox);
  else window.addEventListener('resize', schedule);

  // A #key= or #signin= typed into the address bar of an open dashboard.
  window.addEventListener('hashchange', () => {
    if (window.location.hash.startsWith('#signin=')) {
      const token = linkFromFragment();
      if (token) offerLink(token);
      return;
    }
    if (!window.location.hash.startsWith('#key=')) return;
    keyFromFragment();
    if (load(KEY_STORE)) {
      els.signin.hidden = true;
      start(false);
    }
  });

  if (link) {
    // An emailed link: signed in only by a click (mail scanners open links).
    offerLink(link);
  } else if (load(KEY_STORE) || sessionHint()) {
    // A stored key, or else a session cookie the server may still know.
    els.signin.hidden = true;
    start(false, !load(KEY_STORE));
  } else {
    showSignIn(false);
    setStatus('', '');
  }
}

init();
