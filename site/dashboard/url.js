// Heed dashboard: the view in the address. Which view (view: the reports
// by default, or team, keys, audit, account), the filters (survey,
// interval, range, unconfirmed clicks, segment, time zone, person, churn
// window) and the audit log's family (action) are kept in the query
// string, so that a view can be bookmarked or shared: the link opens the
// same view for whoever may see it. No key or token ever goes there.

const NAMES = ['view', 'survey', 'interval', 'range', 'unconfirmed', 'group', 'tz', 'person', 'window', 'action'];

// The views besides the reports, and who may see each (nav.js).
export const VIEWS = ['team', 'keys', 'audit', 'account'];

// readView returns the filters the address asks for ('' for none).
export function readView() {
  const p = new URLSearchParams(window.location.search);
  const out = {};
  for (const n of NAMES) out[n] = (p.get(n) || '').slice(0, 300);
  return out;
}

// viewURL is the address of view (the filters as they are).
export function viewURL(view) {
  const p = new URLSearchParams();
  for (const n of NAMES) {
    if (view[n]) p.set(n, view[n]);
  }
  const query = p.toString();
  return `${window.location.pathname}${query ? `?${query}` : ''}`;
}

// pushView puts the view in the address as a new history entry (Back
// returns to the view before).
export function pushView(view) {
  const url = viewURL(view);
  if (url !== `${window.location.pathname}${window.location.search}`) window.history.pushState(null, '', url);
}

// writeView puts the filters in the address without a new history entry.
export function writeView(view) {
  const p = new URLSearchParams();
  for (const n of NAMES) {
    if (view[n]) p.set(n, view[n]);
  }
  const query = p.toString();
  const url = `${window.location.pathname}${query ? `?${query}` : ''}`;
  if (url !== `${window.location.pathname}${window.location.search}`) {
    window.history.replaceState(null, '', url);
  }
}
