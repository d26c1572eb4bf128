// Heed dashboard: the session. An API key given once as a URL fragment
// (/dashboard.html#key=..., read, stored and removed from the address bar
// at once), the token of an emailed sign-in link (#signin=..., removed at
// once too, and spent only when the person clicks Sign in: mail scanners
// open links), signing out (of the session on the server, or forgetting
// the key), cancelling loads in flight, and the error shown when a load
// fails (a 401 signs out: the key is wrong, or the session has ended).

import { ApiError, isAbort, send } from './api.js';
import { els, offerRetry, regions, setBusy, setStatus } from './dom.js';
import { KEY_STORE, load, save, sessionHint, state } from './state.js';
import { writeView } from './url.js';

// dropFragment removes the fragment from the address bar (and this
// history entry) at once.
function dropFragment() {
  window.history.replaceState(null, '', window.location.pathname + window.location.search);
}

function fragmentValue(prefix) {
  const hash = window.location.hash;
  if (!hash.startsWith(prefix)) return null;
  let value = '';
  try {
    value = decodeURIComponent(hash.slice(prefix.length));
  } catch (_) {
    value = '';
  }
  dropFragment();
  return value;
}

export function keyFromFragment() {
  const key = fragmentValue('#key=');
  if (key) save(KEY_STORE, key);
}

// linkFromFragment returns the token of a #signin= link ('' for none). It
// is kept in memory only, until it is spent.
export function linkFromFragment() {
  return (fragmentValue('#signin=') || '').slice(0, 128);
}

export function abortLoads() {
  state.gen += 1;
  if (state.controller) state.controller.abort();
  state.controller = null;
}

// showSignIn shows the sign-in screen; withKey opens the API key option.
export function showSignIn(withKey) {
  els.app.hidden = true;
  els.nav.hidden = true;
  for (const v of document.querySelectorAll('.dash-view')) v.hidden = true;
  els.signout.hidden = true;
  els.whoami.hidden = true;
  els.signin.hidden = false;
  els.linkBox.hidden = true;
  els.signinWays.hidden = false;
  els.signinSubmit.removeAttribute('aria-disabled');
  els.passwordSubmit.removeAttribute('aria-disabled');
  if (withKey) els.keyOption.open = true;
}

// signOut forgets who was signed in and shows the sign-in screen with
// message. It does not call the server: signOutNow does.
export function signOut(message, isError) {
  const hadKey = !!load(KEY_STORE);
  abortLoads();
  save(KEY_STORE, null);
  sessionHint(false);
  state.me = null;
  state.csrf = '';
  state.surveys = [];
  state.survey = null;
  state.report = null;
  state.answers = null;
  state.segmentsFor = '';
  setBusy(false);
  offerRetry(null);
  els.survey.replaceChildren();
  for (const r of regions) r.replaceChildren();
  els.rangeNote.textContent = '';
  showSignIn(hadKey && isError);
  els.key.value = '';
  els.password.value = '';
  els.emailSent.textContent = '';
  const field = hadKey && isError ? els.key : els.email;
  if (isError) field.setAttribute('aria-invalid', 'true');
  else {
    els.key.removeAttribute('aria-invalid');
    els.email.removeAttribute('aria-invalid');
  }
  setStatus(message, isError ? 'error' : '');
  field.focus();
}

// signOutNow ends the session on the server (everywhere: every session of
// the account), or forgets the key, and shows the sign-in screen.
export async function signOutNow(everywhere) {
  // Whoever signs in next starts at the reports.
  state.view.view = '';
  state.view.action = '';
  writeView(state.view);
  if (state.me && state.me.kind === 'session') {
    try {
      await send('POST', everywhere ? '/api/v1/sign-out/everywhere' : '/api/v1/sign-out');
    } catch (err) {
      if (!(err instanceof ApiError && err.status === 401)) {
        setStatus(`Could not sign out: ${err.message}. Try again.`, 'error');
        return;
      }
      // 401: the session had ended already.
    }
    signOut(everywhere ? 'Signed out everywhere: every session of your account has ended.' : 'Signed out.', false);
    return;
  }
  signOut('Signed out. The key was removed from this tab.', false);
}

// Shows what went wrong. A 401 signs out: the key is wrong, or the
// session has ended.
export function showError(err, what, retry) {
  if (isAbort(err)) return;
  if (err instanceof ApiError && err.status === 401) {
    signOut(load(KEY_STORE)
      ? 'Wrong or revoked key. Check the key and try again.'
      : 'Your session has ended. Sign in again.', true);
    return;
  }
  let text;
  if (!(err instanceof ApiError)) {
    text = `Could not show ${what}: ${err && err.message ? err.message : 'unexpected error'}.`;
  } else if (err.status === 0) {
    text = err.message;
  } else if (err.status === 403) {
    text = `Not allowed to load ${what}: ${err.message}.`;
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
