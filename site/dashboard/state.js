// Heed dashboard: state and storage. The page's one mutable state object
// and the sessionStorage it keeps between loads of the tab: an API key
// ("heed.adminKey", sent as a bearer token; the bootstrap admin key or an
// API key) and the chosen survey ("heed.survey"). A person signed in with
// a session has no key stored: the browser sends the session cookie
// (HttpOnly: scripts never see it), and state.csrf (from GET /api/v1/me)
// goes with every request that changes something.

export const KEY_STORE = 'heed.adminKey';
export const SURVEY_STORE = 'heed.survey';
// SESSION_HINT (localStorage, shared by the tabs) says this browser signed
// in with a session and has not signed out: only then does a load ask
// /api/v1/me for it. The session itself is the HttpOnly cookie, which
// scripts cannot see; without the hint, a visitor who never signed in
// would get a 401 (logged as a console error) on every load.
export const SESSION_HINT = 'heed.session';

export const state = {
  surveys: [],
  survey: null,
  report: null,
  answers: null,
  gen: 0, // bumped by every load; answers of older loads are dropped
  controller: null,
  retry: null,
  chartWidth: 0,
  downloading: false,
  // The filters of the view, as in the address (url.js).
  view: { view: '', survey: '', interval: '', range: '', unconfirmed: '', group: '', tz: '', person: '', window: '', action: '' },
  // Who is signed in: GET /api/v1/me ({kind, role, account, can, ...}),
  // null when nobody; csrf is its csrf_token (sessions only).
  me: null,
  csrf: '',
  notice: '', // said before the report's status once, then dropped (nav.js)
  personLabel: '',
  segmentsFor: '', // the survey whose segment names the picker holds
  onSurveyChanged: null, // reloads the surveys after a change (main.js)
};

export function load(key) {
  try {
    return window.sessionStorage.getItem(key);
  } catch (_) {
    return null;
  }
}

export function save(key, value) {
  try {
    if (value === null || value === undefined) window.sessionStorage.removeItem(key);
    else window.sessionStorage.setItem(key, value);
  } catch (_) {
    // Storage may be off (private mode); the page still works until reload.
  }
}

// can reports whether the one signed in may do what: read, manage, ingest
// or admin (GET /api/v1/me's can). The server refuses anyway (403): this
// only hides what would be refused.
export function can(what) {
  return !!(state.me && state.me.can && state.me.can[what]);
}

// bySession reports whether a person is signed in with a session (not a key).
export function bySession() {
  return !!(state.me && state.me.kind === 'session');
}

// sessionHint reads or (on: true or false) sets SESSION_HINT.
export function sessionHint(on) {
  try {
    if (on === true) window.localStorage.setItem(SESSION_HINT, '1');
    else if (on === false) window.localStorage.removeItem(SESSION_HINT);
    return window.localStorage.getItem(SESSION_HINT) === '1';
  } catch (_) {
    return on === undefined; // storage off: always ask
  }
}
