// Heed dashboard: the view in the address. The filters (survey, interval,
// range, unconfirmed clicks, segment, time zone, person, churn window) are kept in the
// query string, so that a view can be bookmarked or shared: the link opens
// the same view for whoever has a key. The admin key never goes there.

const NAMES = ['survey', 'interval', 'range', 'unconfirmed', 'group', 'tz', 'person', 'window'];

// readView returns the filters the address asks for ('' for none).
export function readView() {
  const p = new URLSearchParams(window.location.search);
  const out = {};
  for (const n of NAMES) out[n] = (p.get(n) || '').slice(0, 300);
  return out;
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
