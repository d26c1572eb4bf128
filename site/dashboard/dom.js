// Heed dashboard: DOM helpers. The page's elements (looked up once, by id),
// el() and svg() to build nodes, and the status line, retry button and busy
// state. Under the strict CSP every node is built with createElement /
// createElementNS, and API data only ever goes into textContent or
// attributes, never into innerHTML.

import { state } from './state.js';

const SVG_NS = 'http://www.w3.org/2000/svg';

const $ = (id) => document.getElementById(id);
export const $id = $;
export const els = {
  heading: $('dash-heading'),
  whoami: $('dash-whoami'),
  nav: $('dash-nav'),
  signinTitle: $('dash-signin-title'),
  linkBox: $('dash-link-box'),
  linkSubmit: $('dash-link-submit'),
  signinWays: $('dash-signin-ways'),
  passwordForm: $('dash-password-form'),
  email: $('dash-email'),
  password: $('dash-password'),
  passwordSubmit: $('dash-password-submit'),
  emailSubmit: $('dash-email-submit'),
  emailSent: $('dash-email-sent'),
  keyOption: $('dash-key-option'),
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
  group: $('dash-group'),
  tz: $('dash-tz'),
  segmentsSection: $('dash-segments-section'),
  segmentsLead: $('dash-segments-lead'),
  segments: $('dash-segments'),
  manageSection: $('dash-manage-section'),
  embed: $('dash-embed-box'),
  editSurvey: $('dash-edit-survey'),
  newSurvey: $('dash-new-survey'),
  archiveSurvey: $('dash-archive-survey'),
  deleteSurvey: $('dash-delete-survey'),
  deleteBox: $('dash-delete-box'),
  deleteLabel: $('dash-delete-label'),
  deleteInput: $('dash-delete-input'),
  deleteError: $('dash-delete-error'),
  deleteConfirm: $('dash-delete-confirm'),
  deleteCancel: $('dash-delete-cancel'),
  surveyStatus: $('dash-survey-status'),
  history: $('dash-history'),
  surveyForm: $('dash-survey-form'),
  surveyFormTitle: $('dash-survey-form-title'),
  surveyFormError: $('dash-survey-form-error'),
  surveyFormSubmit: $('dash-survey-form-submit'),
  surveyFormCancel: $('dash-survey-form-cancel'),
  surveyPreview: $('dash-survey-preview'),
  sendsSection: $('dash-sends-section'),
  contactsFile: $('dash-contacts-file'),
  contactsProgress: $('dash-contacts-progress'),
  contactsUpload: $('dash-contacts-upload'),
  contactsResult: $('dash-contacts-result'),
  peopleForm: $('dash-people-form'),
  peopleQuery: $('dash-people-q'),
  peopleList: $('dash-people-results'),
  personBox: $('dash-person-box'),
  personError: null, // set when a person is shown (people.js)
  sendForm: $('dash-send-form'),
  sendWhere: $('dash-send-where-box'),
  sendEmails: $('dash-send-emails-box'),
  sendCount: $('dash-send-count'),
  sendStart: $('dash-send-start'),
  sendResult: $('dash-send-result'),
  churnSection: $('dash-churn-section'),
  churn: $('dash-churn'),
  churnWindow: $('dash-churn-window'),
  churnCsv: $('dash-churn-csv'),
  ratesSection: $('dash-rates-section'),
  rates: $('dash-rates'),
  commentsTitle: $('dash-comments-title'),
  commentsLead: $('dash-comments-lead'),
  personClear: $('dash-person-clear'),
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
// The regions a load refills.
export const regions = [els.total, els.chartBox, els.table, els.reasons, els.comments, els.segments, els.rates, els.churn];

// el('p', {class: 'x', id: 'y'}, 'text', child...) — strings become text nodes.
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  setAttrs(node, attrs);
  node.append(...children.filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

export function svg(tag, attrs, ...children) {
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

export function srOnly(text) {
  return el('span', { class: 'sr-only' }, text);
}

export function placeholder(node, text) {
  node.replaceChildren(el('p', { class: 'dash-placeholder muted' }, text));
}

export function setStatus(message, kind) {
  els.status.textContent = message || '';
  els.status.classList.toggle('dash-status-error', kind === 'error');
  els.status.classList.toggle('dash-status-busy', kind === 'busy');
}

export function offerRetry(fn) {
  state.retry = fn;
  els.retry.hidden = !fn;
}

export function setBusy(busy) {
  els.app.setAttribute('aria-busy', busy ? 'true' : 'false');
  for (const r of regions) r.classList.toggle('dash-is-loading', busy);
}
