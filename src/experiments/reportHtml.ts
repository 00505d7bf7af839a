/**
 * The experiment report people read: one self-contained HTML page (no script, no external
 * file; charts are inline SVG) with the SRM status first, the KPI table per arm, each arm
 * against control with intervals, the daily always-valid lift, and Kaplan–Meier per arm.
 */
import type { Experiment } from './definition.js';
import { DAILY_WINDOW_DAYS, type ExperimentResults, type Maybe } from './results.js';

const COLOURS = ['#1b6ca8', '#d1495b', '#2e933c', '#edae49', '#6a4c93', '#00798c'];
const W = 640;
const H = 260;
const PAD = 44;

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : String(x));

interface Series {
  name: string;
  points: [number, number][];
  band?: [number, number, number][];
  step?: boolean;
}

/** A line chart with optional interval bands, as inline SVG. */
function chart(title: string, series: readonly Series[], o: { yLabel: string; xLabel: string; zeroLine?: boolean }): string {
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => [...s.points.map((p) => p[1]), ...(s.band ?? []).flatMap((b) => [b[1], b[2]])]).filter(Number.isFinite);
  if (xs.length === 0) return `<p class="muted">${esc(title)}: no data yet.</p>`;
  const [x0, x1] = [Math.min(...xs), Math.max(...xs, Math.min(...xs) + 1)];
  let [y0, y1] = [Math.min(...ys, o.zeroLine ? 0 : Infinity), Math.max(...ys, o.zeroLine ? 0 : -Infinity)];
  if (y1 - y0 < 1e-9) [y0, y1] = [y0 - 0.5, y1 + 0.5];
  const sx = (x: number) => PAD + ((x - x0) / (x1 - x0)) * (W - 2 * PAD);
  const sy = (y: number) => H - PAD + ((y0 - y) / (y1 - y0)) * (H - 2 * PAD);
  const path = (pts: [number, number][], step = false) =>
    pts
      .map((p, i) => {
        if (i === 0) return `M${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`;
        return step ? `H${sx(p[0]).toFixed(1)}V${sy(p[1]).toFixed(1)}` : `L${sx(p[0]).toFixed(1)},${sy(p[1]).toFixed(1)}`;
      })
      .join('');
  const parts: string[] = [];
  series.forEach((s, k) => {
    const colour = COLOURS[k % COLOURS.length]!;
    if (s.band && s.band.length > 0) {
      const upper = s.band.map((b) => [b[0], b[2]] as [number, number]);
      const lower = s.band.map((b) => [b[0], b[1]] as [number, number]).reverse();
      parts.push(`<path d="${path(upper, s.step)}${path(lower, s.step).replace(/^M/, 'L')}Z" fill="${colour}" fill-opacity="0.15" stroke="none"/>`);
    }
    parts.push(`<path d="${path(s.points, s.step)}" fill="none" stroke="${colour}" stroke-width="2"/>`);
    parts.push(`<text x="${W - PAD + 4}" y="${PAD + 14 * k}" fill="${colour}" font-size="11">${esc(s.name)}</text>`);
  });
  const ticks = [y0, (y0 + y1) / 2, y1].map((y) => `<text x="${PAD - 4}" y="${sy(y) + 4}" font-size="10" text-anchor="end">${num(y, 3)}</text>`).join('');
  const xticks = [x0, (x0 + x1) / 2, x1].map((x) => `<text x="${sx(x)}" y="${H - PAD + 14}" font-size="10" text-anchor="middle">${num(x, 0)}</text>`).join('');
  const zero = o.zeroLine && y0 < 0 && y1 > 0 ? `<line x1="${PAD}" x2="${W - PAD}" y1="${sy(0)}" y2="${sy(0)}" stroke="#888" stroke-dasharray="4 3"/>` : '';
  return `<figure><figcaption>${esc(title)}</figcaption><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W + 60} ${H}" width="${W + 60}" height="${H}" role="img" aria-label="${esc(title)}">
<rect x="${PAD}" y="${PAD}" width="${W - 2 * PAD}" height="${H - 2 * PAD}" fill="none" stroke="#ccc"/>${zero}${parts.join('')}${ticks}${xticks}
<text x="${W / 2}" y="${H - 8}" font-size="11" text-anchor="middle">${esc(o.xLabel)}</text><text x="12" y="${H / 2}" font-size="11" transform="rotate(-90 12 ${H / 2})" text-anchor="middle">${esc(o.yLabel)}</text></svg></figure>`;
}

function cell<T>(m: Maybe<T>, f: (x: T) => string): string {
  return m !== null && typeof m === 'object' && 'unavailable' in m ? `<span class="muted" title="${esc(m.unavailable)}">n/a</span>` : f(m as T);
}

const interval = (i: [number, number], f = (x: number) => num(x, 3)) => `[${f(i[0])}, ${f(i[1])}]`;

const cupedCell = (t: { test: { difference: number; interval: [number, number] }; varianceReduction: number }) => `${num(t.test.difference)} ${interval(t.test.interval, (x) => num(x))} (CUPED −${pct(t.varianceReduction)} var)`;

/** The whole page. */
export function renderExperimentReport(e: Experiment, r: ExperimentResults, generatedAt: number): string {
  const srm = r.srm.alert
    ? `<p class="alert"><strong>Sample-ratio mismatch</strong>: χ² = ${num(r.srm.chiSquare)}, p = ${r.srm.pValue.toExponential(2)}. The split is not the one designed; read nothing else until the assignment or the exposure log is explained.</p>`
    : `<p class="ok">Sample ratio as designed: χ² = ${num(r.srm.chiSquare)}, p = ${num(r.srm.pValue, 3)} (alert below ${r.srm.threshold}).</p>`;
  const armRows = r.arms
    .map(
      (a, i) =>
        `<tr><td>${esc(a.arm)}${a.arm === r.control ? ' (control)' : ''}</td><td>${esc(a.kind)}</td><td>${a.customers}</td><td>${pct(r.srm.observedShares[i] ?? 0)} / ${pct(r.srm.expectedCounts[i]! / Math.max(1, r.arms.reduce((s, x) => s + x.customers, 0)))}</td><td>${pct(a.acceptanceRate)} ${interval(a.acceptanceInterval, pct)}</td><td>${num(a.valuePerCustomer)}</td><td>${a.clvPerCustomer === null ? '<span class="muted">n/a</span>' : num(a.clvPerCustomer)}</td><td>${num(a.loginsPerCustomer, 1)}</td><td>${num(a.productsPerCustomer, 2)}</td><td>${num(a.savingsChangePerCustomer)}</td><td>${a.churned}</td><td>${num(a.contactsPerCustomer, 2)}</td><td>${num(a.complaintsPerCustomer, 3)}</td><td>${pct(a.consentWithdrawalRate)}</td><td>${pct(a.arrearsRate)}</td></tr>`,
    )
    .join('\n');
  const cmpRows = r.comparisons
    .map(
      (c) =>
        `<tr><td>${esc(c.arm)} vs ${esc(c.control)}</td><td>${cell(c.acceptance, (t) => `${num(t.difference, 4)} ${interval(t.newcombeInterval, (x) => num(x, 4))}, p = ${num(t.pValue, 4)}`)}</td><td>${cell(c.value, (t) => `${num(t.difference)} ${interval(t.interval, (x) => num(x))}, p = ${num(t.pValue, 4)}`)}</td><td>${cell(c.clv, cupedCell)}</td><td>${cell(c.engagement, cupedCell)}</td><td>${cell(c.products, cupedCell)}</td><td>${cell(c.savings, cupedCell)}</td><td>${cell(c.churn, (h) => `HR ${num(h.hazardRatio)} ${interval(h.interval, (x) => num(x))}, log-rank p = ${num(h.logRankP, 4)}`)}</td><td>${cell(c.guardrails.complaints, (t) => `${num(t.difference, 4)} ${interval(t.interval, (x) => num(x, 4))}`)}</td><td>${cell(c.guardrails.consentWithdrawals, (t) => `${num(t.difference, 4)} ${interval(t.newcombeInterval, (x) => num(x, 4))}`)}</td><td>${cell(c.guardrails.arrears, (t) => `${num(t.difference, 4)} ${interval(t.newcombeInterval, (x) => num(x, 4))}`)}</td></tr>`,
    )
    .join('\n');
  const treated = r.arms.filter((a) => a.arm !== r.control).map((a) => a.arm);
  const lift = chart(
    `Difference in ${DAILY_WINDOW_DAYS}-day acceptance vs ${r.control}, with the always-valid 95% interval (mSPRT), by day`,
    treated.map((arm) => {
      const looks = r.daily.filter((d) => d.arm === arm && d.metric === 'acceptance');
      return { name: arm, points: looks.map((d) => [d.day, d.difference] as [number, number]), band: looks.map((d) => [d.day, Math.max(-1, d.interval[0]), Math.min(1, d.interval[1])] as [number, number, number]) };
    }),
    { yLabel: 'difference', xLabel: 'days since start', zeroLine: true },
  );
  const km = chart(
    'Kaplan–Meier: share not churned (silent for 30 days) by days since exposure, 95% band',
    r.arms.filter((a) => a.survival).map((a) => ({ name: a.arm, step: true, points: [[0, 1] as [number, number], ...a.survival!.time.map((t, i) => [t, a.survival!.survival[i]!] as [number, number])], band: a.survival!.time.map((t, i) => [t, a.survival!.lower[i]!, a.survival!.upper[i]!] as [number, number, number]) })),
    { yLabel: 'survival', xLabel: 'days since exposure' },
  );
  const day = (t: number) => new Date(t).toISOString().slice(0, 10);
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Experiment ${esc(e.id)}</title>
<style>body{font:14px/1.45 system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ddd;padding:4px 8px;text-align:left;font-size:13px}th{background:#f4f4f4}.alert{background:#fde2e1;border-left:4px solid #c0392b;padding:8px}.ok{background:#e3f4e1;border-left:4px solid #2e933c;padding:8px}.muted{color:#888}figure{margin:1.5em 0}figcaption{font-weight:600;margin-bottom:4px}</style></head>
<body><h1>Experiment <code>${esc(e.id)}</code></h1>
<p>${esc(e.description)}${e.hypothesis ? `<br><em>Hypothesis:</em> ${esc(e.hypothesis)}` : ''}</p>
<p class="muted">Status ${esc(e.status)}; layer ${esc(e.layer)}; exposure ${pct(e.exposure)}; window ${day(r.from)} to ${day(r.until)}; generated ${new Date(generatedAt).toISOString()}. Differences are arm − control.</p>
<h2>Sample ratio</h2>${srm}
<h2>Per arm</h2><table><tr><th>arm</th><th>kind</th><th>customers</th><th>share observed / designed</th><th>accepted an offer (95% CI)</th><th>value / customer</th><th>CLV / customer</th><th>logins / customer</th><th>products / customer</th><th>savings change / customer</th><th>churned</th><th>contacts / customer</th><th>complaints / customer</th><th>consent withdrawn</th><th>in arrears</th></tr>
${armRows}</table>
<h2>Against control</h2><table><tr><th>comparison</th><th>acceptance Δ (Newcombe CI)</th><th>value Δ (Welch CI)</th><th>CLV Δ (CUPED)</th><th>logins Δ (CUPED)</th><th>products Δ (CUPED)</th><th>savings Δ (CUPED)</th><th>churn (Cox)</th><th>complaints Δ</th><th>consent withdrawals Δ</th><th>arrears Δ</th></tr>
${cmpRows}</table>
${lift}
${km}
</body></html>
`;
}
