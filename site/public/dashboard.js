// Heed dashboard: NPS for a range, its trend with a 95% confidence band,
// why detractors leave, and the latest comments.
//
// Plain ES2020, no libraries. It runs under a strict CSP (no inline
// script, no inline styles in the HTML, no eval), so every node is built
// with createElement / createElementNS, and API data only ever goes into
// textContent or attributes, never into innerHTML.
//
// The admin key is kept in sessionStorage ("heed.adminKey") and sent as a
// bearer token. For screenshots and scripted checks the key may also be
// given once as a URL fragment, /dashboard.html#key=..., which is read,
// stored and removed from the address bar at once.
(() => {
  'use strict';

  const KEY_STORE = 'heed.adminKey';
  const SURVEY_STORE = 'heed.survey';
  const SVG_NS = 'http://www.w3.org/2000/svg';
  const MINUS = '\u2212';
  const DASH = '\u2014';
  const COMMENTS_LIMIT = 20;

  const RANGES = {
    '4w': { days: 28, label: 'last 4 weeks' },
    '12w': { days: 84, label: 'last 12 weeks' },
    '6m': { months: 6, label: 'last 6 months' },
    '12m': { months: 12, label: 'last 12 months' },
  };
  const INTERVALS = {
    day: { one: 'day', many: 'days', start: 'Day' },
    week: { one: 'week', many: 'weeks', start: 'Week starting' },
    month: { one: 'month', many: 'months', start: 'Month' },
  };
  const CHANNELS = { email: 'Email', widget: 'Website widget', link: 'Link', api: 'API' };

  const $ = (id) => document.getElementById(id);
  const els = {
    heading: $('dash-heading'),
    status: $('dash-status'),
    retry: $('dash-retry'),
    signout: $('dash-signout'),
    signin: $('dash-signin'),
    signinForm: $('dash-signin-form'),
    signinSubmit: $('dash-signin-submit'),
    key: $('dash-key'),
    app: $('dash-app'),
    controls: $('dash-controls'),
    survey: $('dash-survey'),
    interval: $('dash-interval'),
    range: $('dash-range'),
    unconfirmed: $('dash-unconfirmed'),
    csv: $('dash-csv'),
    rangeNote: $('dash-range-note'),
    total: $('dash-total'),
    empty: $('dash-empty'),
    trendSection: $('dash-trend-section'),
    chartBox: $('dash-chart-box'),
    table: $('dash-table'),
    reasonsSection: $('dash-reasons-section'),
    reasons: $('dash-reasons'),
    comments: $('dash-comments'),
  };
  const regions = [els.total, els.chartBox, els.table, els.reasons, els.comments];

  const state = {
    surveys: [],
    survey: null,
    report: null,
    answers: null,
    gen: 0, // bumped by every load; answers of older loads are dropped
    controller: null,
    retry: null,
    chartWidth: 0,
    downloading: false,
  };

  // ---------- storage ----------

  function load(key) {
    try {
      return window.sessionStorage.getItem(key);
    } catch (_) {
      return null;
    }
  }

  function save(key, value) {
    try {
      if (value === null || value === undefined) window.sessionStorage.removeItem(key);
      else window.sessionStorage.setItem(key, value);
    } catch (_) {
      // Storage may be off (private mode); the page still works until reload.
    }
  }

  // ---------- DOM helpers ----------

  // el('p', {class: 'x', id: 'y'}, 'text', child...) — strings become text nodes.
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }

  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG_NS, tag);
    setAttrs(node, attrs);
    node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
    return node;
  }

  function setAttrs(node, attrs) {
    if (!attrs) return;
    for (const [name, value] of Object.entries(attrs)) {
      if (value === null || value === undefined || value === false) continue;
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }

  function srOnly(text) {
    return el('span', { class: 'sr-only' }, text);
  }

  function placeholder(node, text) {
    node.replaceChildren(el('p', { class: 'dash-placeholder muted' }, text));
  }

  // ---------- formatting ----------

  function fmtNps(v) {
    if (v === null || v === undefined || !Number.isFinite(Number(v))) return DASH;
    const n = Number(v);
    const s = Math.abs(n).toFixed(1);
    return (n < 0 && s !== '0.0' ? MINUS : '') + s;
  }

  function fmtCI(ci) {
    if (!Array.isArray(ci) || ci.length !== 2) return '';
    return `${fmtNps(ci[0])} to ${fmtNps(ci[1])}`;
  }

  function fmtInt(n) {
    return Number(n || 0).toLocaleString('en-GB');
  }

  function fmtPct(fraction) {
    return `${Math.round(Number(fraction || 0) * 100)}%`;
  }

  // "32% · scores 9–10", or just "scores 9–10" when there is nothing to share.
  function withShare(part, whole, what) {
    return whole > 0 ? `${fmtPct(part / whole)} · ${what}` : what;
  }

  function plural(n, one, many) {
    return `${fmtInt(n)} ${n === 1 ? one : many}`;
  }

  const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
  const shortDateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
  const monthFmt = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
  const shortMonthFmt = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });
  const timeFmt = new Intl.DateTimeFormat('en-GB', {
    day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
  });

  // Dates of the API are YYYY-MM-DD in UTC.
  function parseDate(s) {
    const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(s || ''));
    return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
  }

  function ymd(d) {
    return d.toISOString().slice(0, 10);
  }

  function addDays(d, n) {
    const r = new Date(d.getTime());
    r.setUTCDate(r.getUTCDate() + n);
    return r;
  }

  function addMonths(d, n) {
    const y = d.getUTCFullYear();
    const m = d.getUTCMonth() + n;
    const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
    return new Date(Date.UTC(y, m, Math.min(d.getUTCDate(), last)));
  }

  function fmtDate(s) {
    const d = parseDate(s);
    return d ? dateFmt.format(d) : String(s || '');
  }

  // A period's name in full, e.g. "week of 3 Jun 2024", "June 2024".
  function periodName(start, interval) {
    const d = parseDate(start);
    if (!d) return String(start || '');
    if (interval === 'month') return monthFmt.format(d);
    if (interval === 'week') return `week of ${dateFmt.format(d)}`;
    return dateFmt.format(d);
  }

  // A period's short axis label.
  function periodLabel(start, interval) {
    const d = parseDate(start);
    if (!d) return String(start || '');
    return interval === 'month' ? shortMonthFmt.format(d) : shortDateFmt.format(d);
  }

  function capitalize(s) {
    return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
  }

  // ---------- status ----------

  function setStatus(message, kind) {
    els.status.textContent = message || '';
    els.status.classList.toggle('dash-status-error', kind === 'error');
    els.status.classList.toggle('dash-status-busy', kind === 'busy');
  }

  function offerRetry(fn) {
    state.retry = fn;
    els.retry.hidden = !fn;
  }

  function setBusy(busy) {
    els.app.setAttribute('aria-busy', busy ? 'true' : 'false');
    for (const r of regions) r.classList.toggle('dash-is-loading', busy);
  }

  // ---------- API ----------

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  async function api(path, signal) {
    const key = load(KEY_STORE) || '';
    let res;
    try {
      res = await fetch(path, {
        headers: { Authorization: `Bearer ${key}` },
        cache: 'no-store',
        credentials: 'same-origin',
        signal,
      });
    } catch (err) {
      if (err && err.name === 'AbortError') throw err;
      throw new ApiError(0, 'network', 'Could not reach the Heed server. Check your connection and try again.');
    }
    if (!res.ok) throw await apiError(res);
    return res;
  }

  async function apiError(res) {
    let code = '';
    let message = '';
    try {
      const body = await res.json();
      if (body && body.error) {
        code = String(body.error.code || '');
        message = String(body.error.message || '');
        if (body.error.fields && typeof body.error.fields === 'object') {
          const details = Object.entries(body.error.fields).map(([k, v]) => `${k} ${v}`);
          if (details.length) message += ` (${details.join('; ')})`;
        }
      }
    } catch (_) {
      // Not JSON: fall back to the status text.
    }
    return new ApiError(res.status, code, message || res.statusText || 'request failed');
  }

  function isAbort(err) {
    return err && err.name === 'AbortError';
  }

  // Shows what went wrong. A 401 signs out: the key is wrong.
  function showError(err, what, retry) {
    if (isAbort(err)) return;
    if (err instanceof ApiError && err.status === 401) {
      signOut('Wrong admin key. Check the key and try again.', true);
      return;
    }
    let text;
    if (!(err instanceof ApiError)) {
      text = `Could not show ${what}: ${err && err.message ? err.message : 'unexpected error'}.`;
    } else if (err.status === 0) {
      text = err.message;
    } else if (err.status === 429) {
      text = `Too many requests. Wait a moment, then try again.`;
    } else if (err.status === 503) {
      text = `Heed cannot load ${what} right now (${err.message}). Try again in a moment.`;
    } else {
      text = `Could not load ${what}: ${err.message} (HTTP ${err.status}).`;
    }
    setStatus(text, 'error');
    offerRetry(retry || null);
  }

  // ---------- sign in / out ----------

  function keyFromFragment() {
    const hash = window.location.hash;
    if (!hash.startsWith('#key=')) return;
    let key = '';
    try {
      key = decodeURIComponent(hash.slice(5));
    } catch (_) {
      key = '';
    }
    // Remove the key from the address bar (and this history entry) at once.
    window.history.replaceState(null, '', window.location.pathname + window.location.search);
    if (key) save(KEY_STORE, key);
  }

  function abortLoads() {
    state.gen += 1;
    if (state.controller) state.controller.abort();
    state.controller = null;
  }

  function signOut(message, isError) {
    abortLoads();
    save(KEY_STORE, null);
    state.surveys = [];
    state.survey = null;
    state.report = null;
    state.answers = null;
    setBusy(false);
    offerRetry(null);
    els.survey.replaceChildren();
    for (const r of regions) r.replaceChildren();
    els.rangeNote.textContent = '';
    els.app.hidden = true;
    els.signout.hidden = true;
    els.signin.hidden = false;
    els.signinSubmit.removeAttribute('aria-disabled');
    els.key.value = '';
    if (isError) els.key.setAttribute('aria-invalid', 'true');
    else els.key.removeAttribute('aria-invalid');
    setStatus(message, isError ? 'error' : '');
    els.key.focus();
  }

  async function onSignIn(event) {
    event.preventDefault();
    if (els.signinSubmit.getAttribute('aria-disabled') === 'true') return;
    const key = els.key.value.trim();
    if (!key) {
      els.key.setAttribute('aria-invalid', 'true');
      setStatus('Enter the admin key to open the dashboard.', 'error');
      els.key.focus();
      return;
    }
    save(KEY_STORE, key);
    els.key.value = '';
    await start(true);
  }

  // start loads the surveys with the stored key and opens the dashboard.
  async function start(fromForm) {
    abortLoads();
    const gen = state.gen;
    const controller = new AbortController();
    state.controller = controller;
    offerRetry(null);
    els.signinSubmit.setAttribute('aria-disabled', 'true');
    setStatus(fromForm ? 'Checking the admin key…' : 'Loading your surveys…', 'busy');
    let surveys;
    try {
      const res = await api('/api/v1/surveys', controller.signal);
      const body = await res.json();
      surveys = Array.isArray(body && body.surveys) ? body.surveys : [];
    } catch (err) {
      if (gen !== state.gen) return;
      els.signinSubmit.removeAttribute('aria-disabled');
      if (!(err instanceof ApiError && err.status === 401)) {
        // The key may be fine; the server is not. Keep the key, offer a retry.
        els.signin.hidden = true;
        els.signout.hidden = false;
      }
      showError(err, 'your surveys', () => start(false));
      return;
    }
    if (gen !== state.gen) return;
    els.signinSubmit.removeAttribute('aria-disabled');
    els.key.removeAttribute('aria-invalid');
    state.surveys = surveys.filter((s) => s && typeof s.id === 'string');
    els.signin.hidden = true;
    els.signout.hidden = false;
    els.app.hidden = false;
    fillSurveys();
    if (fromForm) els.heading.focus();
    if (!state.survey) {
      showNoSurveys();
      return;
    }
    refresh();
  }

  function fillSurveys() {
    els.survey.replaceChildren(
      ...state.surveys.map((s) => el('option', { value: s.id }, s.name ? String(s.name) : s.id)),
    );
    const remembered = load(SURVEY_STORE);
    state.survey = state.surveys.find((s) => s.id === remembered) || state.surveys[0] || null;
    if (state.survey) {
      els.survey.value = state.survey.id;
      save(SURVEY_STORE, state.survey.id);
    }
    const disabled = !state.survey;
    for (const c of [els.survey, els.interval, els.range, els.unconfirmed]) c.disabled = disabled;
    els.csv.hidden = disabled;
  }

  function showNoSurveys() {
    setStatus('There are no surveys yet.', '');
    els.rangeNote.textContent = '';
    els.total.replaceChildren(
      el('p', null, 'There are no surveys yet. Create one with ',
        el('code', null, 'POST /api/v1/surveys'), ' — see ',
        el('a', { href: '/docs.html#create-survey' }, 'Create a survey'), ' in the docs.'),
    );
    els.empty.hidden = true;
    els.trendSection.hidden = true;
    els.reasonsSection.hidden = true;
    placeholder(els.comments, 'No answers yet.');
  }

  // ---------- loading ----------

  function currentQuery() {
    const to = addDays(todayUTC(), 1); // exclusive: the range ends with today
    const range = RANGES[els.range.value] || RANGES['12w'];
    const from = range.days ? addDays(to, -range.days) : addMonths(to, -range.months);
    const interval = INTERVALS[els.interval.value] ? els.interval.value : 'week';
    const report = new URLSearchParams({ from: ymd(from), to: ymd(to), interval });
    if (els.unconfirmed.checked) report.set('include_unconfirmed', 'true');
    const responses = new URLSearchParams({ from: ymd(from), to: ymd(to), limit: String(COMMENTS_LIMIT) });
    return { report, responses, interval, rangeLabel: range.label, unconfirmed: els.unconfirmed.checked };
  }

  function todayUTC() {
    const now = new Date();
    return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
  }

  function surveyPath(suffix) {
    return `/api/v1/surveys/${encodeURIComponent(state.survey.id)}/${suffix}`;
  }

  async function refresh() {
    if (!state.survey) return;
    abortLoads();
    const gen = state.gen;
    const controller = new AbortController();
    state.controller = controller;
    const q = currentQuery();
    const survey = state.survey;

    offerRetry(null);
    setBusy(true);
    setStatus('Loading the report…', 'busy');
    if (!state.report) {
      for (const r of [els.total, els.chartBox, els.reasons]) placeholder(r, 'Loading…');
    }
    if (!state.answers) placeholder(els.comments, 'Loading…');

    const reportP = api(`${surveyPath('report')}?${q.report}`, controller.signal).then((r) => r.json());
    const answersP = api(`${surveyPath('responses')}?${q.responses}`, controller.signal).then((r) => r.json());
    // Neither may reject unhandled while we wait on the other.
    reportP.catch(() => {});
    answersP.catch(() => {});

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
      renderComments(state.answers, survey);
    } catch (err) {
      if (gen !== state.gen || isAbort(err)) return;
      answersError = err;
      state.answers = null;
      placeholder(els.comments, 'The comments could not be loaded.');
    }
    setBusy(false);
    if (answersError) {
      showError(answersError, 'the comments', refresh);
      return;
    }
    const t = report.total || {};
    const name = survey.name ? String(survey.name) : survey.id;
    setStatus(t.responses > 0
      ? `${name}, ${q.rangeLabel} by ${INTERVALS[q.interval].one}: NPS ${fmtNps(t.nps)} from ${plural(t.responses, 'response', 'responses')}.`
      : `${name}, ${q.rangeLabel}: no answers in this range yet.`, '');
  }

  // ---------- rendering: report ----------

  function renderReport(report, q, survey) {
    const t = report.total || {};
    const periods = Array.isArray(report.periods) ? report.periods : [];
    const interval = report.interval || q.interval;
    const lastDay = parseDate(report.to) ? ymd(addDays(parseDate(report.to), -1)) : report.to;
    els.rangeNote.textContent = `${fmtDate(report.from)} to ${fmtDate(lastDay)} (UTC), by ${INTERVALS[interval] ? INTERVALS[interval].one : interval}`
      + (q.unconfirmed ? ', including unconfirmed email clicks.' : '.');

    renderTotal(t, q);
    const empty = !(t.responses > 0);
    els.empty.hidden = !empty;
    els.trendSection.hidden = empty;
    els.reasonsSection.hidden = empty;
    state.chartWidth = 0;
    renderChart(periods, interval);
    renderTable(periods, interval);
    renderReasons(t, periods, interval, survey);
  }

  function card(cls, label, value, sub, valueCls) {
    return el('li', { class: `dash-card ${cls}` },
      el('span', { class: 'dash-card-label' }, label),
      el('span', { class: `dash-card-value${valueCls ? ` ${valueCls}` : ''}` }, value),
      sub ? el('span', { class: 'dash-card-sub' }, sub) : null);
  }

  function renderTotal(t, q) {
    const n = Number(t.responses || 0);
    const hasNps = t.nps !== null && t.nps !== undefined;
    const ci = fmtCI(t.nps_ci95);
    const npsCls = !hasNps ? '' : t.nps < 0 ? 'dash-neg' : t.nps > 0 ? 'dash-pos' : '';
    const list = el('ul', { class: 'dash-cards' },
      card('dash-card-nps', 'NPS', fmtNps(t.nps), hasNps ? (ci ? `95% CI ${ci}` : '') : 'No answers yet', npsCls),
      card('dash-card-responses', 'Responses', fmtInt(n), capitalize(q.rangeLabel)),
      card('dash-card-promoters', 'Promoters', fmtInt(t.promoters), withShare(t.promoters, n, 'scores 9–10')),
      card('dash-card-passives', 'Passives', fmtInt(t.passives), withShare(t.passives, n, 'scores 7–8')),
      card('dash-card-detractors', 'Detractors', fmtInt(t.detractors), withShare(t.detractors, n, 'scores 0–6')));
    els.total.replaceChildren(list);
  }

  // ---------- rendering: chart ----------

  function chartSummary(periods, interval) {
    const words = INTERVALS[interval] || INTERVALS.week;
    const known = periods.map((p, i) => ({ p, i })).filter(({ p }) => p.nps !== null && p.nps !== undefined);
    if (!known.length) return `NPS by ${words.one}: no answers in this range.`;
    const latest = known[known.length - 1].p;
    let low = known[0].p;
    let high = known[0].p;
    for (const { p } of known) {
      if (p.nps < low.nps) low = p;
      if (p.nps > high.nps) high = p;
    }
    const parts = [
      `NPS by ${words.one}, ${plural(periods.length, words.one, words.many)} from ${fmtDate(periods[0].start)}`,
      `${fmtInt(known.length)} with answers`,
    ];
    parts.push(`latest ${fmtNps(latest.nps)} (${periodName(latest.start, interval)}${latest.nps_ci95 ? `, 95% CI ${fmtCI(latest.nps_ci95)}` : ''})`);
    if (known.length > 1) {
      parts.push(`lowest ${fmtNps(low.nps)} (${periodName(low.start, interval)})`);
      parts.push(`highest ${fmtNps(high.nps)} (${periodName(high.start, interval)})`);
    }
    return `${parts.join('; ')}.`;
  }

  function renderChart(periods, interval) {
    const box = els.chartBox;
    const width = Math.max(280, Math.round(box.clientWidth || 720));
    state.chartWidth = box.clientWidth;
    const narrow = width < 480;
    const height = narrow ? 230 : 300;
    const m = { top: 12, right: 14, bottom: 34, left: 42 };
    const pw = width - m.left - m.right;
    const ph = height - m.top - m.bottom;
    const n = periods.length;
    const x = (i) => m.left + (n > 0 ? ((i + 0.5) * pw) / n : pw / 2);
    const y = (v) => m.top + ((100 - Math.max(-100, Math.min(100, Number(v)))) / 200) * ph;
    const r1 = (v) => Math.round(v * 10) / 10;

    const chart = svg('svg', {
      id: 'dash-chart',
      class: 'dash-chart',
      viewBox: `0 0 ${width} ${height}`,
      width: '100%',
      preserveAspectRatio: 'xMidYMid meet',
      role: 'img',
      'aria-label': chartSummary(periods, interval),
    });

    // Gridlines and y labels, -100..100.
    const grid = svg('g', { class: 'dash-chart-axis', 'aria-hidden': 'true' });
    const steps = narrow ? [-100, -50, 0, 50, 100] : [-100, -75, -50, -25, 0, 25, 50, 75, 100];
    for (const v of steps) {
      const yy = r1(y(v));
      grid.append(svg('line', {
        class: v === 0 ? 'dash-chart-zero' : 'dash-chart-grid',
        x1: m.left, x2: width - m.right, y1: yy, y2: yy,
      }));
      if (v % 50 === 0) {
        grid.append(svg('text', { class: 'dash-chart-ylabel', x: m.left - 6, y: yy, dy: '0.32em', 'text-anchor': 'end' },
          v < 0 ? `${MINUS}${-v}` : String(v)));
      }
    }
    chart.append(grid);

    // Runs of consecutive periods with an NPS: the line and band break at gaps.
    const runs = [];
    let run = [];
    periods.forEach((p, i) => {
      if (p.nps === null || p.nps === undefined) {
        if (run.length) runs.push(run);
        run = [];
      } else {
        run.push(i);
      }
    });
    if (run.length) runs.push(run);

    const band = svg('g', { class: 'dash-chart-bands' });
    const lines = svg('g', { class: 'dash-chart-lines' });
    const points = svg('g', { class: 'dash-chart-points' });
    const slot = n > 0 ? pw / n : pw;
    for (const idx of runs) {
      const withCI = idx.filter((i) => Array.isArray(periods[i].nps_ci95));
      if (withCI.length === idx.length && idx.length > 1) {
        const upper = idx.map((i) => `${r1(x(i))},${r1(y(periods[i].nps_ci95[1]))}`);
        const lower = idx.slice().reverse().map((i) => `${r1(x(i))},${r1(y(periods[i].nps_ci95[0]))}`);
        band.append(svg('path', { class: 'dash-chart-band', d: `M${upper.join('L')}L${lower.join('L')}Z` }));
      } else {
        for (const i of withCI) {
          const w = Math.max(4, Math.min(14, slot * 0.6));
          const top = y(periods[i].nps_ci95[1]);
          const bottom = y(periods[i].nps_ci95[0]);
          band.append(svg('rect', {
            class: 'dash-chart-band',
            x: r1(x(i) - w / 2), y: r1(top), width: r1(w), height: r1(Math.max(1, bottom - top)), rx: 2,
          }));
        }
      }
      if (idx.length > 1) {
        lines.append(svg('path', {
          class: n > 90 ? 'dash-chart-line dash-chart-line-thin' : 'dash-chart-line',
          d: `M${idx.map((i) => `${r1(x(i))},${r1(y(periods[i].nps))}`).join('L')}`,
        }));
      }
      // Many periods (days over months): the line alone, plus lone points.
      const dense = n > 90;
      if (dense && idx.length > 1) continue;
      const radius = dense ? 2.5 : n > 40 ? 3 : 4;
      for (const i of idx) {
        const p = periods[i];
        const tip = `${capitalize(periodName(p.start, interval))}: NPS ${fmtNps(p.nps)}`
          + (p.nps_ci95 ? ` (95% CI ${fmtCI(p.nps_ci95)})` : '')
          + `, ${plural(p.responses, 'response', 'responses')}`;
        points.append(svg('circle', { class: 'dash-chart-point', cx: r1(x(i)), cy: r1(y(p.nps)), r: radius },
          svg('title', null, tip)));
      }
    }
    chart.append(band, lines, points);

    // X labels with the period starts, thinned to fit; the latest is always labelled.
    const xAxis = svg('g', { class: 'dash-chart-axis', 'aria-hidden': 'true' });
    const labelWidth = interval === 'month' ? 62 : 46;
    const maxLabels = Math.max(1, Math.floor(pw / (labelWidth + 10)));
    const every = Math.max(1, Math.ceil(n / maxLabels));
    for (let i = n - 1; i >= 0; i -= every) {
      const xx = r1(x(i));
      let anchor = 'middle';
      if (xx + labelWidth / 2 > width) anchor = 'end';
      else if (xx - labelWidth / 2 < 0) anchor = 'start';
      xAxis.append(svg('line', { class: 'dash-chart-tick', x1: xx, x2: xx, y1: m.top + ph, y2: m.top + ph + 4 }));
      xAxis.append(svg('text', { class: 'dash-chart-xlabel', x: anchor === 'end' ? width - 2 : xx, y: height - 12, 'text-anchor': anchor },
        periodLabel(periods[i].start, interval)));
    }
    chart.append(xAxis);

    box.replaceChildren(chart);
  }

  function renderTable(periods, interval) {
    const words = INTERVALS[interval] || INTERVALS.week;
    const body = el('tbody', null, ...periods.map((p) => el('tr', null,
      el('th', { scope: 'row' }, el('time', { datetime: p.start }, fmtDate(p.start))),
      el('td', { class: 'num' }, fmtInt(p.responses)),
      el('td', { class: 'num' }, fmtNps(p.nps)),
      el('td', { class: 'num' }, fmtCI(p.nps_ci95) || DASH))));
    const table = el('table', null,
      el('caption', null, `NPS per ${words.one}, oldest first`),
      el('thead', null, el('tr', null,
        el('th', { scope: 'col' }, words.start),
        el('th', { scope: 'col', class: 'num' }, 'Responses'),
        el('th', { scope: 'col', class: 'num' }, 'NPS'),
        el('th', { scope: 'col', class: 'num' }, '95% CI'))),
      body);
    els.table.replaceChildren(table);
  }

  // ---------- rendering: reasons ----------

  // The survey's reasons in its own order, then any others the report names.
  function reasonList(survey, reasons) {
    const out = [];
    const seen = new Set();
    for (const r of Array.isArray(survey && survey.reasons) ? survey.reasons : []) {
      if (!r || typeof r.id !== 'string' || seen.has(r.id)) continue;
      seen.add(r.id);
      out.push({ id: r.id, label: r.label ? String(r.label) : r.id });
    }
    for (const id of Object.keys(reasons || {})) {
      if (!seen.has(id)) {
        seen.add(id);
        out.push({ id, label: id });
      }
    }
    return out;
  }

  function renderReasons(t, periods, interval, survey) {
    const box = els.reasons;
    const reasons = t.reasons || {};
    const list = reasonList(survey, reasons);
    if (!list.length) {
      box.replaceChildren(el('p', null, 'This survey has no reasons for customers to pick.'));
      return;
    }
    if (!(t.detractors > 0)) {
      box.replaceChildren(el('p', null, 'No detractors in this range: nobody scored 0–6.'));
      return;
    }
    const rows = list.map((r) => {
      const v = reasons[r.id] || {};
      return { ...r, count: Number(v.count || 0), share: Number(v.share_of_detractors || 0) };
    }).sort((a, b) => b.share - a.share || b.count - a.count || a.label.localeCompare(b.label));

    const bars = el('ol', { class: 'dash-bars' }, ...rows.map((r) => {
      const fill = el('span', { class: 'dash-bar-fill' });
      fill.style.width = `${Math.max(0, Math.min(100, r.share * 100)).toFixed(1)}%`;
      return el('li', { class: 'dash-bar' },
        el('span', { class: 'dash-bar-text' },
          el('span', { class: 'dash-bar-label' }, r.label),
          el('span', { class: 'dash-bar-value' },
            el('strong', null, fmtPct(r.share)),
            ` of detractors · cited ${r.count === 1 ? 'once' : `${fmtInt(r.count)} times`}`)),
        el('span', { class: 'dash-bar-track', 'aria-hidden': 'true' }, fill));
    }));

    const nodes = [
      el('p', { class: 'dash-reasons-lead' }, `${plural(t.detractors, 'detractor', 'detractors')} in this range.`),
      bars,
    ];

    const top = rows[0];
    if (top && top.share > 0) nodes.push(...topReasonTrend(top, periods, interval));
    box.replaceChildren(...nodes);
  }

  // The top reason's share of detractors over the last periods that had detractors.
  function topReasonTrend(top, periods, interval) {
    const words = INTERVALS[interval] || INTERVALS.week;
    const recent = periods.filter((p) => p.detractors > 0).slice(-6);
    if (!recent.length) return [];
    const steps = el('ol', { class: 'dash-steps' });
    recent.forEach((p, k) => {
      const v = (p.reasons && p.reasons[top.id]) || {};
      steps.append(el('li', { class: 'dash-step' },
        k > 0 ? el('span', { class: 'dash-step-arrow', 'aria-hidden': 'true' }, '→') : null,
        el('span', { class: 'dash-step-box' },
          el('time', { class: 'dash-step-date', datetime: p.start }, periodLabel(p.start, interval)),
          srOnly(': '),
          el('strong', { class: 'dash-step-value' }, fmtPct(v.share_of_detractors)),
          el('span', { class: 'dash-step-count' }, ` of ${fmtInt(p.detractors)}`, srOnly(p.detractors === 1 ? ' detractor' : ' detractors')))));
    });
    return [
      el('h3', { class: 'dash-h3' }, 'Top reason over time'),
      el('p', { class: 'dash-trend-lead' },
        'Share of detractors citing ', el('strong', null, top.label),
        `, by ${words.one} (the last ${recent.length === 1 ? words.one : `${recent.length} ${words.many}`} with detractors, oldest first):`),
      steps,
    ];
  }

  // ---------- rendering: comments ----------

  function category(score) {
    if (score >= 9) return { cls: 'promoter', label: 'Promoter' };
    if (score >= 7) return { cls: 'passive', label: 'Passive' };
    return { cls: 'detractor', label: 'Detractor' };
  }

  function renderComments(answers, survey) {
    const box = els.comments;
    const labels = new Map(reasonList(survey, {}).map((r) => [r.id, r.label]));
    const shown = answers
      .filter((a) => a && (((typeof a.comment === 'string') && a.comment.trim() !== '') || Number(a.score) <= 6))
      .sort((a, b) => String(b.created_at || '').localeCompare(String(a.created_at || '')));
    if (!shown.length) {
      box.replaceChildren(el('p', { class: 'muted' }, answers.length
        ? 'No comments or detractor scores among the latest answers in this range.'
        : 'No answers in this range yet.'));
      return;
    }
    const list = el('ol', { class: 'dash-comment-list' }, ...shown.map((a) => {
      const score = Number(a.score);
      const cat = category(score);
      const head = el('div', { class: 'dash-comment-head' },
        el('span', { class: `dash-chip dash-chip-${cat.cls}` },
          srOnly('Score '), el('strong', null, String(score)),
          el('span', { class: 'dash-chip-cat' }, ` · ${cat.label}`)));
      const reasonIds = Array.isArray(a.reasons) ? a.reasons : [];
      if (reasonIds.length) {
        head.append(el('ul', { class: 'dash-tags', 'aria-label': 'Reasons' },
          ...reasonIds.map((id) => el('li', { class: 'dash-tag' }, labels.get(id) || String(id)))));
      }
      if (a.confirmed === false) {
        const flags = a.flags ? String(a.flags).split(',').filter(Boolean).join(', ') : '';
        head.append(el('span', {
          class: 'dash-tag dash-tag-unconfirmed',
          title: `Nobody confirmed this email score${flags ? ` (looked like a link scanner: ${flags})` : ''}; reports leave it out unless you include unconfirmed email clicks.`,
        }, flags ? `unconfirmed (${flags})` : 'unconfirmed'));
      }
      const comment = typeof a.comment === 'string' ? a.comment.trim() : '';
      const text = comment
        ? el('p', { class: 'dash-comment-text' }, comment)
        : el('p', { class: 'dash-comment-text dash-comment-none' }, 'No comment.');
      const meta = el('p', { class: 'dash-comment-meta' });
      const when = new Date(a.created_at);
      if (!Number.isNaN(when.getTime())) {
        meta.append(el('time', { datetime: when.toISOString() }, timeFmt.format(when)));
      }
      const channel = CHANNELS[a.channel] || (a.channel ? String(a.channel) : '');
      if (channel) meta.append(meta.childNodes.length ? ' · ' : '', `via ${channel}`);
      if (a.respondent) meta.append(meta.childNodes.length ? ' · ' : '', `customer ${a.respondent}`);
      return el('li', { class: `dash-comment dash-comment-${cat.cls}` }, head, text, meta);
    }));
    box.replaceChildren(list);
  }

  // ---------- CSV ----------

  function filenameFrom(header) {
    if (!header) return '';
    let name = '';
    let m = /filename\*\s*=\s*UTF-8''([^;]+)/i.exec(header);
    if (m) {
      try {
        name = decodeURIComponent(m[1].trim().replace(/^"|"$/g, ''));
      } catch (_) {
        name = '';
      }
    }
    if (!name) {
      m = /filename\s*=\s*"((?:\\.|[^"\\])*)"/i.exec(header);
      if (m) name = m[1].replace(/\\(.)/g, '$1');
    }
    if (!name) {
      m = /filename\s*=\s*([^;]+)/i.exec(header);
      if (m) name = m[1].trim();
    }
    // A file name only: no folders, no control characters.
    name = name.replace(/[\\/\u0000-\u001f\u007f]/g, '_').replace(/^\.+/, '').trim().slice(0, 200);
    return name;
  }

  async function downloadCsv() {
    if (!state.survey || state.downloading) return;
    state.downloading = true;
    els.csv.setAttribute('aria-disabled', 'true');
    els.csv.textContent = 'Preparing CSV…';
    setStatus('Preparing the CSV…', 'busy');
    offerRetry(null);
    try {
      const q = currentQuery();
      const res = await api(`${surveyPath('report.csv')}?${q.report}`);
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
      showError(err, 'the CSV', downloadCsv);
    } finally {
      state.downloading = false;
      els.csv.removeAttribute('aria-disabled');
      els.csv.textContent = 'Download CSV';
    }
  }

  // ---------- wiring ----------

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

    els.signinForm.addEventListener('submit', onSignIn);
    els.key.addEventListener('input', () => els.key.removeAttribute('aria-invalid'));
    els.signout.addEventListener('click', () => signOut('Signed out. The admin key was removed from this tab.', false));
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
      refresh();
    });
    for (const c of [els.interval, els.range, els.unconfirmed]) c.addEventListener('change', refresh);
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

    // A #key= typed into the address bar of an open dashboard.
    window.addEventListener('hashchange', () => {
      if (!window.location.hash.startsWith('#key=')) return;
      keyFromFragment();
      if (load(KEY_STORE)) {
        els.signin.hidden = true;
        start(false);
      }
    });

    if (load(KEY_STORE)) {
      els.signin.hidden = true;
      start(false);
    } else {
      els.signin.hidden = false;
      setStatus('', '');
    }
  }

  init();
})();
