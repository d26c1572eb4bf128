// Heed dashboard: the views. The reports (the default), and for admins
// Team, API keys and the Audit log, and for a person signed in with a
// session My account; which one is shown lives in the address (?view=),
// like the filters. The navigation shows only the views the role may see
// (GET /api/v1/me's can), and whoever is signed in next to Sign out.

import { els, offerRetry, setStatus } from './dom.js';
import { bySession, can, state } from './state.js';
import { VIEWS, pushView, writeView } from './url.js';

// Each view: who may see it, and what shows it (set by its module).
const views = {
  team: { allowed: () => can('admin'), section: 'dash-team', show: null },
  keys: { allowed: () => can('admin'), section: 'dash-keys', show: null },
  audit: { allowed: () => can('admin'), section: 'dash-audit', show: null },
  account: { allowed: () => bySession(), section: 'dash-account', show: null },
};

let showReports = null;

// defineView sets what shows a view ('' for the reports).
export function defineView(name, show) {
  if (name === '') showReports = show;
  else views[name].show = show;
}

// allowedView returns name if the one signed in may see it, else ''.
export function allowedView(name) {
  return VIEWS.includes(name) && views[name].allowed() ? name : '';
}

const ROLE_WORDS = {
  admin: 'admin', manager: 'manager', viewer: 'viewer', ingest: 'ingest key',
};

// renderNav shows the views the role may see, the current one marked.
export function renderNav() {
  const current = allowedView(state.view.view);
  els.nav.hidden = !state.me;
  for (const li of els.nav.querySelectorAll('li[data-can]')) {
    const need = li.getAttribute('data-can');
    li.hidden = need === 'session' ? !bySession() : !can(need);
  }
  for (const a of els.nav.querySelectorAll('a[data-view]')) {
    const name = a.getAttribute('data-view');
    if (name === current) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const me = state.me;
  if (me) {
    const role = ROLE_WORDS[me.role] || me.role;
    let who;
    if (me.kind === 'session' && me.account) {
      who = `${me.account.name ? `${me.account.name} (${me.account.email})` : me.account.email}, ${role}`;
    } else if (me.kind === 'key' && me.key) {
      who = `API key “${me.key.name || me.key.id}”, ${role}`;
    } else {
      who = `Admin key (${role})`;
    }
    els.whoami.textContent = `Signed in: ${who}`;
    els.whoami.hidden = false;
  }
}

// showView shows the view the address names (the reports when it names
// none, or one the role may not see).
export function showView(focus) {
  const asked = state.view.view;
  const name = allowedView(asked);
  if (asked && !name) {
    state.view.view = '';
    writeView(state.view);
    // Said with the report's status, once it is loaded (load.js).
    if (state.me) state.notice = `That view is not open to your role (${state.me.role}): here are the reports.`;
  }
  for (const [key, v] of Object.entries(views)) {
    document.getElementById(v.section).hidden = key !== name;
  }
  els.app.hidden = name !== '';
  renderNav();
  if (name) {
    if (views[name].show) views[name].show();
    if (focus) document.getElementById(`${views[name].section}-title`).focus();
  } else {
    if (showReports) showReports();
    if (focus) els.heading.focus();
  }
}

// go opens a view as a new history entry.
export function go(name) {
  // The status line spoke of the view left.
  setStatus('', '');
  offerRetry(null);
  state.view.view = name || '';
  pushView(state.view);
  showView(true);
}

export function wireNav() {
  els.nav.addEventListener('click', (e) => {
    const a = e.target.closest('a[data-view]');
    if (!a || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    go(a.getAttribute('data-view'));
  });
  // Keep the links' addresses current (open in a new tab keeps the filters).
  els.nav.addEventListener('focusin', hrefs);
  els.nav.addEventListener('mouseover', hrefs);
}

function hrefs() {
  for (const a of els.nav.querySelectorAll('a[data-view]')) {
    const name = a.getAttribute('data-view');
    const p = new URLSearchParams(window.location.search);
    if (name) p.set('view', name);
    else p.delete('view');
    if (name !== 'audit') p.delete('action');
    const q = p.toString();
    a.href = `${window.location.pathname}${q ? `?${q}` : ''}`;
  }
}
