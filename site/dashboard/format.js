// Heed dashboard: formatting. The words for intervals and channels, numbers
// (NPS, counts, shares) and UTC dates as the page shows them, and the date
// arithmetic of the report ranges. Pure functions, no DOM.

export const MINUS = '\u2212';
export const DASH = '\u2014';

export const INTERVALS = {
  day: { one: 'day', many: 'days', start: 'Day' },
  week: { one: 'week', many: 'weeks', start: 'Week starting' },
  month: { one: 'month', many: 'months', start: 'Month' },
};
export const CHANNELS = { email: 'Email', widget: 'Website widget', link: 'Link', api: 'API' };

export function fmtNps(v) {
  if (v === null || v === undefined || !Number.isFinite(Number(v))) return DASH;
  const n = Number(v);
  const s = Math.abs(n).toFixed(1);
  return (n < 0 && s !== '0.0' ? MINUS : '') + s;
}

export function fmtCI(ci) {
  if (!Array.isArray(ci) || ci.length !== 2) return '';
  return `${fmtNps(ci[0])} to ${fmtNps(ci[1])}`;
}

export function fmtInt(n) {
  return Number(n || 0).toLocaleString('en-GB');
}

export function fmtPct(fraction) {
  return `${Math.round(Number(fraction || 0) * 100)}%`;
}

// "32% · scores 9–10", or just "scores 9–10" when there is nothing to share.
export function withShare(part, whole, what) {
  return whole > 0 ? `${fmtPct(part / whole)} · ${what}` : what;
}

export function plural(n, one, many) {
  return `${fmtInt(n)} ${n === 1 ? one : many}`;
}

const dateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', year: 'numeric', timeZone: 'UTC' });
const shortDateFmt = new Intl.DateTimeFormat('en-GB', { day: 'numeric', month: 'short', timeZone: 'UTC' });
const monthFmt = new Intl.DateTimeFormat('en-GB', { month: 'long', year: 'numeric', timeZone: 'UTC' });
const shortMonthFmt = new Intl.DateTimeFormat('en-GB', { month: 'short', year: 'numeric', timeZone: 'UTC' });
// Answer times, in the manager's own time zone.
export const timeFmt = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric', month: 'short', year: 'numeric', hour: '2-digit', minute: '2-digit',
});

// Dates of the API are YYYY-MM-DD in UTC.
export function parseDate(s) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(String(s || ''));
  return m ? new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))) : null;
}

export function ymd(d) {
  return d.toISOString().slice(0, 10);
}

export function addDays(d, n) {
  const r = new Date(d.getTime());
  r.setUTCDate(r.getUTCDate() + n);
  return r;
}

export function addMonths(d, n) {
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() + n;
  const last = new Date(Date.UTC(y, m + 1, 0)).getUTCDate();
  return new Date(Date.UTC(y, m, Math.min(d.getUTCDate(), last)));
}

export function todayUTC() {
  const now = new Date();
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()));
}

export function fmtDate(s) {
  const d = parseDate(s);
  return d ? dateFmt.format(d) : String(s || '');
}

// A period's name in full, e.g. "week of 3 Jun 2024", "June 2024".
export function periodName(start, interval) {
  const d = parseDate(start);
  if (!d) return String(start || '');
  if (interval === 'month') return monthFmt.format(d);
  if (interval === 'week') return `week of ${dateFmt.format(d)}`;
  return dateFmt.format(d);
}

// A period's short axis label.
export function periodLabel(start, interval) {
  const d = parseDate(start);
  if (!d) return String(start || '');
  return interval === 'month' ? shortMonthFmt.format(d) : shortDateFmt.format(d);
}

export function capitalize(s) {
  return s ? s.charAt(0).toUpperCase() + s.slice(1) : s;
}

// "24%–58%": a share's interval.
export function fmtPctCI(ci) {
  if (!Array.isArray(ci) || ci.length !== 2) return '';
  return `${fmtPct(ci[0])}–${fmtPct(ci[1])}`;
}

// "+3.1" / "−20.0": a signed change with one decimal.
export function fmtSigned(v) {
  const n = Number(v || 0);
  const s = Math.abs(n).toFixed(1);
  if (s === '0.0') return '0.0';
  return (n < 0 ? MINUS : '+') + s;
}

// Today's date (YYYY-MM-DD, as a UTC date) in a time zone.
export function todayIn(tz) {
  try {
    const parts = new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
    return parseDate(parts) || todayUTC();
  } catch (_) {
    return todayUTC();
  }
}

// The browser's own time zone, or '' when it cannot tell.
export function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || '';
  } catch (_) {
    return '';
  }
}
