// Heed dashboard: the NPS trend chart. An SVG line of each period's NPS
// with its 95% confidence band (breaking at periods without answers), the
// axes, and a text summary of it for screen readers.

import { els, svg } from './dom.js';
import { INTERVALS, MINUS, capitalize, fmtCI, fmtDate, fmtInt, fmtNps, fmtSigned, periodLabel, periodName, plural } from './format.js';
import { state } from './state.js';

function chartSummary(periods, interval) {
  const words = INTERVALS[interval] || INTERVALS.week;
  const known = periods.map((p, i) => ({ p, i })).filter(({ p }) => p.nps !== null && p.nps !== undefined);
  if (!known.length) return `NPS by ${words.one}: no answers in this range.`;
  const latest = known[known.length - 1].p;
  let low = known[0].p;
  let high = known[0].p;
  for (const { p } of known) {
    if (p.nps < low.nps) low = p;
    if (p.nps > high.nps) high = p;
  }
  const parts = [
    `NPS by ${words.one}, ${plural(periods.length, words.one, words.many)} from ${fmtDate(periods[0].start)}`,
    `${fmtInt(known.length)} with answers`,
  ];
  parts.push(`latest ${fmtNps(latest.nps)} (${periodName(latest.start, interval)}${latest.nps_ci95 ? `, 95% CI ${fmtCI(latest.nps_ci95)}` : ''})`);
  const sig = periods.filter((p) => significant(p));
  parts.push(sig.length
    ? `significant changes at 95%: ${sig.map((p) => `${periodName(p.start, interval)} ${fmtSigned(p.change.nps.diff)} points`).join(', ')}`
    : 'no change from one period to the next is significant at 95%');
  if (known.length > 1) {
    parts.push(`lowest ${fmtNps(low.nps)} (${periodName(low.start, interval)})`);
    parts.push(`highest ${fmtNps(high.nps)} (${periodName(high.start, interval)})`);
  }
  return `${parts.join('; ')}.`;
}

// significant reports whether a period's NPS moved from the period before
// by more than noise (95%).
function significant(p) {
  return !!(p && p.change && p.change.nps && p.change.nps.significant);
}

export function renderChart(periods, interval) {
  const box = els.chartBox;
  const width = Math.max(280, Math.round(box.clientWidth || 720));
  state.chartWidth = box.clientWidth;
  const narrow = width < 480;
  const height = narrow ? 230 : 300;
  const m = { top: 12, right: 14, bottom: 34, left: 42 };
  const pw = width - m.left - m.right;
  const ph = height - m.top - m.bottom;
  const n = periods.length;
  const x = (i) => m.left + (n > 0 ? ((i + 0.5) * pw) / n : pw / 2);
  const y = (v) => m.top + ((100 - Math.max(-100, Math.min(100, Number(v)))) / 200) * ph;
  const r1 = (v) => Math.round(v * 10) / 10;

  const chart = svg('svg', {
    id: 'dash-chart',
    class: 'dash-chart',
    viewBox: `0 0 ${width} ${height}`,
    width: '100%',
    preserveAspectRatio: 'xMidYMid meet',
    role: 'img',
    'aria-label': chartSummary(periods, interval),
  });

  // Gridlines and y labels, -100..100.
  const grid = svg('g', { class: 'dash-chart-axis', 'aria-hidden': 'true' });
  const steps = narrow ? [-100, -50, 0, 50, 100] : [-100, -75, -50, -25, 0, 25, 50, 75, 100];
  for (const v of steps) {
    const yy = r1(y(v));
    grid.append(svg('line', {
      class: v === 0 ? 'dash-chart-zero' : 'dash-chart-grid',
      x1: m.left, x2: width - m.right, y1: yy, y2: yy,
    }));
    if (v % 50 === 0) {
      grid.append(svg('text', { class: 'dash-chart-ylabel', x: m.left - 6, y: yy, dy: '0.32em', 'text-anchor': 'end' },
        v < 0 ? `${MINUS}${-v}` : String(v)));
    }
  }
  chart.append(grid);

  // Runs of consecutive periods with an NPS: the line and band break at gaps.
  const runs = [];
  let run = [];
  periods.forEach((p, i) => {
    if (p.nps === null || p.nps === undefined) {
      if (run.length) runs.push(run);
      run = [];
    } else {
      run.push(i);
    }
  });
  if (run.length) runs.push(run);

  const band = svg('g', { class: 'dash-chart-bands' });
  const lines = svg('g', { class: 'dash-chart-lines' });
  const points = svg('g', { class: 'dash-chart-points' });
  const marks = svg('g', { class: 'dash-chart-marks' });
  const slot = n > 0 ? pw / n : pw;
  for (const idx of runs) {
    const withCI = idx.filter((i) => Array.isArray(periods[i].nps_ci95));
    if (withCI.length === idx.length && idx.length > 1) {
      const upper = idx.map((i) => `${r1(x(i))},${r1(y(periods[i].nps_ci95[1]))}`);
      const lower = idx.slice().reverse().map((i) => `${r1(x(i))},${r1(y(periods[i].nps_ci95[0]))}`);
      band.append(svg('path', { class: 'dash-chart-band', d: `M${upper.join('L')}L${lower.join('L')}Z` }));
    } else {
      for (const i of withCI) {
        const w = Math.max(4, Math.min(14, slot * 0.6));
        const top = y(periods[i].nps_ci95[1]);
        const bottom = y(periods[i].nps_ci95[0]);
        band.append(svg('rect', {
          class: 'dash-chart-band',
          x: r1(x(i) - w / 2), y: r1(top), width: r1(w), height: r1(Math.max(1, bottom - top)), rx: 2,
        }));
      }
    }
    if (idx.length > 1) {
      lines.append(svg('path', {
        class: n > 90 ? 'dash-chart-line dash-chart-line-thin' : 'dash-chart-line',
        d: `M${idx.map((i) => `${r1(x(i))},${r1(y(periods[i].nps))}`).join('L')}`,
      }));
    }
    // A triangle over (under) a period whose NPS rose (fell) significantly.
    for (const i of idx) {
      const p = periods[i];
      if (!significant(p)) continue;
      const down = p.change.nps.diff < 0;
      const cx = x(i);
      const cy = y(p.nps) + (down ? 12 : -12);
      const d = down ? `M${r1(cx - 6)},${r1(cy - 4)}L${r1(cx + 6)},${r1(cy - 4)}L${r1(cx)},${r1(cy + 5)}Z`
        : `M${r1(cx - 6)},${r1(cy + 4)}L${r1(cx + 6)},${r1(cy + 4)}L${r1(cx)},${r1(cy - 5)}Z`;
      const c = p.change.nps;
      marks.append(svg('path', { class: `dash-chart-sig ${down ? 'dash-chart-sig-down' : 'dash-chart-sig-up'}`, d, 'data-start': p.start },
        svg('title', null, `${capitalize(periodName(p.start, interval))}: ${fmtSigned(c.diff)} points from the period before, significant at 95% (95% CI ${fmtSigned(c.ci95[0])} to ${fmtSigned(c.ci95[1])})`)));
    }
    // Many periods (days over months): the line alone, plus lone points.
    const dense = n > 90;
    if (dense && idx.length > 1) continue;
    const radius = dense ? 2.5 : n > 40 ? 3 : 4;
    for (const i of idx) {
      const p = periods[i];
      const tip = `${capitalize(periodName(p.start, interval))}: NPS ${fmtNps(p.nps)}`
        + (p.nps_ci95 ? ` (95% CI ${fmtCI(p.nps_ci95)})` : '')
        + `, ${plural(p.responses, 'response', 'responses')}`;
      points.append(svg('circle', { class: 'dash-chart-point', cx: r1(x(i)), cy: r1(y(p.nps)), r: radius },
        svg('title', null, tip)));
    }
  }
  chart.append(band, lines, points, marks);

  // X labels with the period starts, thinned to fit; the latest is always labelled.
  const xAxis = svg('g', { class: 'dash-chart-axis', 'aria-hidden': 'true' });
  const labelWidth = interval === 'month' ? 62 : 46;
  const maxLabels = Math.max(1, Math.floor(pw / (labelWidth + 10)));
  const every = Math.max(1, Math.ceil(n / maxLabels));
  for (let i = n - 1; i >= 0; i -= every) {
    const xx = r1(x(i));
    let anchor = 'middle';
    if (xx + labelWidth / 2 > width) anchor = 'end';
    else if (xx - labelWidth / 2 < 0) anchor = 'start';
    xAxis.append(svg('line', { class: 'dash-chart-tick', x1: xx, x2: xx, y1: m.top + ph, y2: m.top + ph + 4 }));
    xAxis.append(svg('text', { class: 'dash-chart-xlabel', x: anchor === 'end' ? width - 2 : xx, y: height - 12, 'text-anchor': anchor },
      periodLabel(periods[i].start, interval)));
  }
  chart.append(xAxis);

  box.replaceChildren(chart);
}
