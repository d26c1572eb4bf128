// Heed dashboard: segments and response rates. The table of a grouped
// report (one row per channel or property value, with its NPS, interval,
// its latest change and the small-sample flag), and what became of the
// survey's emails (emailed, delivered, opened, answered).

import { el, els, srOnly } from './dom.js';
import { CHANNELS, DASH, fmtCI, fmtDate, fmtInt, fmtNps, fmtPct, fmtPctCI, periodName } from './format.js';
import { changeNote } from './views.js';

// segmentName names a segment of a grouping for a person.
export function segmentName(groupBy, segment) {
  if (groupBy === 'channel') return CHANNELS[segment] || segment || '(no channel)';
  return segment === '' ? '(not set)' : segment;
}

export function renderSegments(report, interval) {
  const segments = Array.isArray(report.segments) ? report.segments : [];
  els.segmentsSection.hidden = !report.group_by;
  if (!report.group_by) return;
  const what = report.group_by === 'channel' ? 'channel' : report.group_by.replace(/^property:/, '');
  els.segmentsLead.textContent = `NPS by ${what} for the whole range, largest first, and how each moved in the latest period. Segments with fewer than ${fmtInt(report.min_sample || 30)} responses are marked: read them with care.`;
  if (!segments.length) {
    els.segments.replaceChildren(el('p', { class: 'muted' }, 'No answers in this range yet.'));
    return;
  }
  const rows = segments.map((s) => {
    const t = s.total || {};
    const periods = Array.isArray(s.periods) ? s.periods : [];
    const last = [...periods].reverse().find((p) => p.responses > 0);
    const change = last && last.change && last.change.nps;
    return el('tr', { class: t.small_sample ? 'dash-small' : null },
      el('th', { scope: 'row' }, segmentName(report.group_by, s.segment),
        t.small_sample ? el('span', { class: 'dash-tag dash-tag-small', title: 'Fewer answers than the minimum sample: the interval is wide.' }, 'small sample') : null),
      el('td', { class: 'num' }, fmtInt(t.responses)),
      el('td', { class: 'num' }, fmtNps(t.nps)),
      el('td', { class: 'num' }, fmtCI(t.nps_ci95) || DASH),
      el('td', null, last ? periodName(last.start, interval) : DASH, last ? `: ${fmtNps(last.nps)}` : ''),
      el('td', null, change ? changeNote(change, 'point') : DASH));
  });
  // A wide table scrolls: focusable, so that a keyboard can scroll it.
  els.segments.replaceChildren(el('div', { class: 'dash-table', tabindex: '0', role: 'region', 'aria-label': `NPS by ${what}` }, el('table', { id: 'dash-segment-table' },
    el('caption', null, `NPS by ${what}`),
    el('thead', null, el('tr', null,
      el('th', { scope: 'col' }, what === 'channel' ? 'Channel' : what),
      el('th', { scope: 'col', class: 'num' }, 'Responses'),
      el('th', { scope: 'col', class: 'num' }, 'NPS'),
      el('th', { scope: 'col', class: 'num' }, '95% CI'),
      el('th', { scope: 'col' }, 'Latest period'),
      el('th', { scope: 'col' }, 'Change from the period before'))),
    el('tbody', null, ...rows))));
}

function rateCell(r) {
  if (!r || !(r.of > 0)) return el('td', { class: 'num' }, DASH);
  return el('td', { class: 'num' }, fmtPct(r.rate), el('span', { class: 'dash-sub' }, ` ${fmtInt(r.count)} of ${fmtInt(r.of)}`),
    r.ci95 ? el('span', { class: 'dash-sub' }, ` · 95% CI ${fmtPctCI(r.ci95)}`) : null);
}

export function renderRates(rates) {
  const sends = rates && Array.isArray(rates.sends) ? rates.sends : [];
  els.ratesSection.hidden = !sends.length;
  if (!sends.length) return;
  const t = rates.total || {};
  const lead = el('p', null, 'Of ', el('strong', null, fmtInt(t.emailed)), ` people emailed in this range, `,
    el('strong', null, fmtPct(t.response_rate && t.response_rate.rate)), ' answered',
    t.response_rate && t.response_rate.ci95 ? ` (95% CI ${fmtPctCI(t.response_rate.ci95)})` : '', '.');
  const rows = sends.map((s) => el('tr', null,
    el('th', { scope: 'row' }, el('time', { datetime: s.started_at }, fmtDate(String(s.started_at || '').slice(0, 10))),
      el('span', { class: 'dash-sub' }, ` ${s.send_id}`),
      s.small_sample ? el('span', { class: 'dash-tag dash-tag-small' }, 'small sample') : null),
    el('td', { class: 'num' }, fmtInt(s.emailed)),
    rateCell(s.delivery_rate),
    rateCell(s.open_rate),
    rateCell(s.response_rate)));
  els.rates.replaceChildren(lead, el('div', { class: 'dash-table', tabindex: '0', role: 'region', 'aria-label': 'Response rates of each send' }, el('table', { id: 'dash-rates-table' },
    el('caption', null, 'Each send, newest first'),
    el('thead', null, el('tr', null,
      el('th', { scope: 'col' }, 'Send'),
      el('th', { scope: 'col', class: 'num' }, 'Emailed'),
      el('th', { scope: 'col', class: 'num' }, 'Delivered'),
      el('th', { scope: 'col', class: 'num' }, 'Opened', srOnly(' (of delivered)')),
      el('th', { scope: 'col', class: 'num' }, 'Answered'))),
    el('tbody', null, ...rows))),
  el('p', { class: 'muted dash-hint' }, 'Opened counts people whose email client loaded images; Apple Mail opens every email, so read it as an upper bound.'));
}
