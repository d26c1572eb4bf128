// Heed dashboard: views. What the page shows from the API's answers: the
// survey picker, the NPS cards for the range, the table behind the chart,
// why detractors leave (with the top reason over time), and the latest
// comments.

import { renderChart } from './chart.js';
import { el, els, placeholder, setStatus, srOnly } from './dom.js';
import {
  CHANNELS, DASH, INTERVALS, addDays, capitalize, fmtCI, fmtDate, fmtInt, fmtNps, fmtPct, fmtPctCI, fmtSigned, parseDate,
  periodLabel, periodName, plural, timeFmt, withShare, ymd,
} from './format.js';
import { renderSegments } from './segments.js';
import { SURVEY_STORE, can, load, save, state } from './state.js';

// ---------- surveys ----------

export function fillSurveys() {
  els.survey.replaceChildren(
    ...state.surveys.map((s) => el('option', { value: s.id }, s.name ? String(s.name) : s.id)),
  );
  const remembered = state.view.survey || load(SURVEY_STORE);
  state.survey = state.surveys.find((s) => s.id === remembered) || state.surveys[0] || null;
  if (state.survey) {
    els.survey.value = state.survey.id;
    save(SURVEY_STORE, state.survey.id);
  }
  const disabled = !state.survey;
  for (const c of [els.survey, els.interval, els.range, els.unconfirmed, els.group, els.tz]) c.disabled = disabled;
  els.csv.hidden = disabled;
}

export function showNoSurveys() {
  setStatus('There are no surveys yet.', '');
  els.rangeNote.textContent = '';
  els.total.replaceChildren(can('manage')
    ? el('p', null, 'There are no surveys yet. Create one with “New survey” under Survey settings above (or ',
      el('code', null, 'POST /api/v1/surveys'), ', see ',
      el('a', { href: '/docs.html#create-survey' }, 'Create a survey'), ').')
    : el('p', null, 'There are no surveys yet. A manager or an admin creates them; they show up here.'),
  );
  els.empty.hidden = true;
  els.trendSection.hidden = true;
  els.reasonsSection.hidden = true;
  placeholder(els.comments, 'No answers yet.');
}

// ---------- report ----------

export function renderReport(report, q, survey) {
  const t = report.total || {};
  const periods = Array.isArray(report.periods) ? report.periods : [];
  const interval = report.interval || q.interval;
  const lastDay = parseDate(report.to) ? ymd(addDays(parseDate(report.to), -1)) : report.to;
  els.rangeNote.textContent = `${fmtDate(report.from)} to ${fmtDate(lastDay)} (${report.tz || 'UTC'}), by ${INTERVALS[interval] ? INTERVALS[interval].one : interval}`
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
  renderSegments(report, interval);
}

// changeNote says how a figure moved and whether that is more than noise:
// "▼ −20.0 points, significant at 95%" or "+3.1 points, within noise".
// unit is 'point' for NPS, 'share' for a share (a fraction).
export function changeNote(c, unit) {
  const diff = unit === 'share' ? Number(c.diff || 0) * 100 : Number(c.diff || 0);
  const words = unit === 'share' ? 'pts' : 'points';
  const ci = Array.isArray(c.ci95) ? (unit === 'share'
    ? `${fmtSigned(c.ci95[0] * 100)} to ${fmtSigned(c.ci95[1] * 100)}` : `${fmtSigned(c.ci95[0])} to ${fmtSigned(c.ci95[1])}`) : '';
  const title = `Change ${fmtSigned(diff)} ${words} (95% CI ${ci}, z = ${Number(c.z || 0).toFixed(2)})`
    + (c.small_sample ? '; a small sample on one side' : '');
  if (c.significant) {
    return el('span', { class: `dash-change dash-sig ${diff < 0 ? 'dash-sig-down' : 'dash-sig-up'}`, title },
      el('span', { 'aria-hidden': 'true' }, diff < 0 ? '▼ ' : '▲ '),
      `${fmtSigned(diff)} ${words}, significant at 95%`,
      c.small_sample ? ' (small sample)' : '');
  }
  return el('span', { class: 'dash-change dash-noise', title }, `${fmtSigned(diff)} ${words}, within noise`,
    c.small_sample ? ' (small sample)' : '');
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

function renderTable(periods, interval) {
  const words = INTERVALS[interval] || INTERVALS.week;
  const body = el('tbody', null, ...periods.map((p) => el('tr', null,
    el('th', { scope: 'row' }, el('time', { datetime: p.start }, fmtDate(p.start)),
      p.responses > 0 && p.small_sample ? el('span', { class: 'dash-tag dash-tag-small' }, 'small sample') : null),
    el('td', { class: 'num' }, fmtInt(p.responses)),
    el('td', { class: 'num' }, fmtNps(p.nps)),
    el('td', { class: 'num' }, fmtCI(p.nps_ci95) || DASH),
    el('td', null, p.change && p.change.nps ? changeNote(p.change.nps, 'point') : DASH))));
  const table = el('table', null,
    el('caption', null, `NPS per ${words.one}, oldest first`),
    el('thead', null, el('tr', null,
      el('th', { scope: 'col' }, words.start),
      el('th', { scope: 'col', class: 'num' }, 'Responses'),
      el('th', { scope: 'col', class: 'num' }, 'NPS'),
      el('th', { scope: 'col', class: 'num' }, '95% CI'),
      el('th', { scope: 'col' }, `Change from the ${words.one} before`))),
    body);
  els.table.replaceChildren(table);
}

// ---------- reasons ----------

const GROUPS = ['detractors', 'passives', 'promoters'];

// The survey's reasons in its own order (top-level, then each group's
// follow_ups), then any others the report names.
function reasonList(survey, reasons) {
  const out = [];
  const seen = new Set();
  const own = (survey && survey.follow_ups) || {};
  const all = [survey && survey.reasons, ...GROUPS.map((g) => own[g] && own[g].reasons)];
  for (const r of all.flatMap((list) => (Array.isArray(list) ? list : []))) {
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

// Whom a reason's share is of: the detractors for a reason offered to every
// group (as before follow_ups), else the groups it is offered to (its
// citations among their answers).
// With one group, the share's interval and how it moved (group) come from
// the report; a share among two groups is summed here, without them.
function reasonBase(v, t) {
  const among = (k) => (v.among && v.among[k]) || {};
  const g = Array.isArray(v.groups) && v.groups.length > 0 && v.groups.length < GROUPS.length ? v.groups : ['detractors'];
  const cited = g.reduce((n, k) => n + Number(among(k).cited || 0), 0);
  const n = g.reduce((n, k) => n + Number(t[k] || 0), 0);
  const one = g.length === 1 ? g[0] : null;
  return {
    of: g.join(' and '), group: one, n, cited, share: n > 0 ? cited / n : 0, ci: one ? among(one).ci95 : null,
  };
}

function renderReasons(t, periods, interval, survey) {
  const box = els.reasons;
  const reasons = t.reasons || {};
  const list = reasonList(survey, reasons);
  if (!list.length) {
    box.replaceChildren(el('p', null, 'This survey has no reasons for customers to pick.'));
    return;
  }
  // The latest period that changed from the one before: its reason moves.
  const latest = [...periods].reverse().find((p) => p.change && p.change.reasons);
  const all = list.map((r) => {
    const v = reasons[r.id] || {};
    const base = reasonBase(v, t);
    const moves = latest && latest.change.reasons[r.id];
    return { ...r, ...base, count: Number(v.count || 0), moved: moves && base.group ? moves[base.group] : null };
  });
  const rank = (r) => GROUPS.indexOf(r.of.split(' ')[0]);
  const rows = all.filter((r) => r.n > 0)
    .sort((a, b) => rank(a) - rank(b) || b.share - a.share || b.count - a.count || a.label.localeCompare(b.label));
  if (!rows.length) {
    box.replaceChildren(el('p', null, all.every((r) => r.of === 'detractors')
      ? 'No detractors in this range: nobody scored 0–6.'
      : 'Nobody in this range was offered these reasons.'));
    return;
  }

  const bars = el('ol', { class: 'dash-bars' }, ...rows.map((r) => {
    const fill = el('span', { class: 'dash-bar-fill' });
    fill.style.width = `${Math.max(0, Math.min(100, r.share * 100)).toFixed(1)}%`;
    const mark = r.moved && r.moved.significant && latest
      ? el('span', { class: 'dash-bar-moved' }, ' · ', changeNote(r.moved, 'share'), ` in ${periodName(latest.start, interval)}`)
      : null;
    return el('li', { class: 'dash-bar' },
      el('span', { class: 'dash-bar-text' },
        el('span', { class: 'dash-bar-label' }, r.label),
        el('span', { class: 'dash-bar-value' },
          el('strong', null, fmtPct(r.share)),
          ` of ${r.of} (${fmtInt(r.cited)} of ${fmtInt(r.n)})`,
          r.ci ? el('span', { class: 'dash-sub' }, ` · 95% CI ${fmtPctCI(r.ci)}`) : null,
          mark)),
      el('span', { class: 'dash-bar-track', 'aria-hidden': 'true' }, fill));
  }));

  const bases = [...new Map(rows.map((r) => [r.of, r.n]))];
  const nodes = [
    el('p', { class: 'dash-reasons-lead' },
      `${bases.map(([of, n]) => plural(n, of.replace(/s( and |$)/g, '$1'), of)).join(', ')} in this range.`),
    bars,
  ];

  const top = rows.find((r) => r.of === 'detractors');
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

// ---------- comments ----------

function category(score) {
  if (score >= 9) return { cls: 'promoter', label: 'Promoter' };
  if (score >= 7) return { cls: 'passive', label: 'Passive' };
  return { cls: 'detractor', label: 'Detractor' };
}

// person names who wrote an answer: the email of an email answer's
// contact, else the respondent id the site or API gave.
export function person(a) {
  if (a.email) return a.name ? `${a.name} <${a.email}>` : String(a.email);
  return a.respondent ? String(a.respondent) : '';
}

export function renderComments(answers, survey, onPerson) {
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
    const who = person(a);
    if (who) {
      meta.append(meta.childNodes.length ? ' · ' : '');
      if (a.email) meta.append(el('a', { href: `mailto:${a.email}`, class: 'dash-person' }, who));
      else meta.append(el('span', { class: 'dash-person' }, who));
      if (onPerson && a.respondent && state.view.person !== a.respondent) {
        const b = el('button', { type: 'button', class: 'dash-link-button', 'data-respondent': a.respondent }, 'All their answers');
        b.addEventListener('click', () => onPerson(a.respondent, who));
        meta.append(' · ', b);
      }
    }
    return el('li', { class: `dash-comment dash-comment-${cat.cls}` }, head, text, meta);
  }));
  box.replaceChildren(list);
}
