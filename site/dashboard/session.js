// Heed dashboard: the session. The admin key given once as a URL fragment
// (/dashboard.html#key=..., read, stored and removed from the address bar
// at once), signing out, cancelling loads in flight, and the error shown
// when a load fails (a 401 signs out: the key is wrong).

import { ApiError, isAbort } from './api.js';
import { els, offerRetry, regions, setBusy, setStatus } from './dom.js';
import { KEY_STORE, save, state } from './state.js';

export function keyFromFragment() {
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

export function abortLoads() {
  state.gen += 1;
  if (state.controller) state.controller.abort();
  state.controller = null;
}

export function signOut(message, isError) {
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

// Shows what went wrong. A 401 signs out: the key is wrong.
export function showError(err, what, retry) {
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
