// Heed dashboard: the churn view. Who left within the window after their
// last answer (GET /api/v1/surveys/:id/churn): the churn rate by NPS group
// and, among the customers who left, the share whose last answer cited
// each reason, with 95% intervals, and the revenue they took with them.

import { el, els } from './dom.js';
import { fmtInt, fmtPct, fmtPctCI, plural } from './format.js';

const GROUP_LABELS = { detractors: 'Detractors (0–6)', passives: 'Passives (7–8)', promoters: 'Promoters (9–10)' };

function bar(label, share, value, extra, cls) {
  const fill = el('span', { class: `dash-bar-fill${cls ? ` ${cls}` : ''}` });
  fill.style.width = `${Math.max(0, Math.min(100, Number(share || 0) * 100)).toFixed(1)}%`;
  return el('li', { class: 'dash-bar' },
    el('span', { class: 'dash-bar-text' },
      el('span', { class: 'dash-bar-label' }, label),
      el('span', { class: 'dash-bar-value' }, el('strong', null, value), extra)),
    el('span', { class: 'dash-bar-track', 'aria-hidden': 'true' }, fill));
}

function money(v) {
  return Number(v || 0).toLocaleString('en-GB', { maximumFractionDigits: 2 });
}

export function renderChurn(rep) {
  const box = els.churn;
  els.churnSection.hidden = false;
  const c = (rep && rep.customers) || {};
  const known = Number(c.churned || 0) + Number(c.pending_churned || 0) + Number(c.churned_before_answer || 0);
  if (!(c.answered > 0) || known === 0) {
    box.replaceChildren(el('p', null, c.answered > 0
      ? `${plural(c.answered, 'customer has', 'customers have')} answered; as far as the churn imported tells, none of them left within ${Number(rep.window_days || 90)} days of their last answer. `
      : 'Nobody who answered this survey can be linked to a customer yet. ',
    'Import who left (', el('code', null, 'POST /api/v1/churn'), ' or ', el('code', null, 'heed churn import'),
    ') to see which answers came before a churn: ', el('a', { href: '/docs.html#churn' }, 'how'), '.'));
    return;
  }
  const rate = rep.churn_rate || {};
  const w = Number(rep.window_days || 90);
  const nodes = [
    el('p', { class: 'dash-churn-lead' },
      'Of ', el('strong', null, fmtInt(rate.customers)), ` customers whose ${w}-day window has closed, `,
      el('strong', null, fmtInt(rate.churned)), ` left within ${w} days of their last answer: `,
      el('strong', null, fmtPct(rate.rate)), rate.ci95 ? ` (95% CI ${fmtPctCI(rate.ci95)})` : '', '.',
      c.pending > 0 ? ` ${plural(c.pending, 'more customer answered', 'more customers answered')} too recently to tell.` : ''),
    el('h3', { class: 'dash-h3' }, 'Churn rate by last answer'),
    el('ol', { class: 'dash-bars', id: 'dash-churn-groups' }, ...(rep.groups || []).map((g) => bar(
      GROUP_LABELS[g.group] || g.group, g.rate,
      g.rate === null || g.rate === undefined ? '—' : fmtPct(g.rate),
      ` left (${fmtInt(g.churned)} of ${fmtInt(g.customers)})${g.ci95 ? ` · 95% CI ${fmtPctCI(g.ci95)}` : ''}`,
      `dash-bar-${g.group}`))),
  ];
  const reasons = (rep.reasons || []).filter((r) => r.churned > 0 || r.customers > 0)
    .sort((a, b) => Number(b.share_of_churned || 0) - Number(a.share_of_churned || 0) || a.label.localeCompare(b.label));
  if (reasons.length && rate.churned > 0) {
    nodes.push(el('h3', { class: 'dash-h3' }, 'What customers who left had said'),
      el('p', { class: 'muted' }, `Share of the ${fmtInt(rate.churned)} customers who left whose last answer cited each reason; then how many of those citing it left.`),
      el('ol', { class: 'dash-bars', id: 'dash-churn-reasons' }, ...reasons.map((r) => bar(
        r.label || r.id, r.share_of_churned, fmtPct(r.share_of_churned),
        [` of those who left (${fmtInt(r.churned)})`,
          r.share_of_churned_ci95 ? ` · 95% CI ${fmtPctCI(r.share_of_churned_ci95)}` : '',
          r.churn_rate !== null && r.churn_rate !== undefined ? ` · ${fmtPct(r.churn_rate)} of the ${fmtInt(r.customers)} citing it left` : '',
          r.revenue_customers > 0 ? ` · ${money(r.revenue_lost)} revenue lost` : ''].join('')))));
  }
  const rev = rep.revenue_lost || {};
  if (rev.customers > 0) {
    nodes.push(el('p', null, 'Revenue lost: ', el('strong', null, money(rev.lost)), ` from ${plural(rev.customers, 'customer', 'customers')} who gave one.`));
  }
  box.replaceChildren(...nodes);
}

export function hideChurn() {
  els.churnSection.hidden = true;
}
