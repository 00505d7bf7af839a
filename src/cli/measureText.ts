/**
 * Measurement as text for people at a terminal: an experiment's KPIs against control, the
 * decision-fairness and model-fairness audits, and the customer-outcome report, each with
 * its alerts first. `nextbest fairness`, `nextbest outcomes` and the demo print these.
 */
import type { ExperimentResults, FairnessReport, ModelFairnessAudit, OutcomeReport } from '../index.js';

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const num = (x: number, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
const ci = (i: readonly [number, number], f: (x: number) => string) => `[${f(i[0])}, ${f(i[1])}]`;
type Maybe<T> = T | { unavailable: string };
const cell = <T>(m: Maybe<T>, f: (x: T) => string): string => (m !== null && typeof m === 'object' && 'unavailable' in m ? `n/a (${m.unavailable})` : f(m as T));

/** The four KPIs of each arm against control, with intervals, the SRM check and the latest daily look. */
export function experimentText(r: ExperimentResults): string[] {
  const lines = [`experiment ${r.experimentId}: ${r.arms.map((a) => `${a.arm} ${a.customers}`).join(', ')} customers; sample ratio ${r.srm.alert ? `MISMATCH (p = ${r.srm.pValue.toExponential(2)}): read nothing else until explained` : `as designed (p = ${num(r.srm.pValue, 3)})`}`];
  for (const c of r.comparisons) {
    lines.push(`  ${c.arm} vs ${c.control}:`);
    lines.push(`    acceptance      ${cell(c.acceptance, (t) => `${pct(t.treatmentRate)} vs ${pct(t.controlRate)}, Δ ${num(t.difference, 3)} ${ci(t.newcombeInterval, (x) => num(x, 3))}`)}`);
    lines.push(`    revenue         ${cell(c.value, (t) => `£${num(t.treatmentMean)} vs £${num(t.controlMean)} per customer, Δ £${num(t.difference)} ${ci(t.interval, (x) => `£${num(x)}`)}`)}; CLV ${cell(c.clv, (t) => `Δ £${num(t.test.difference)} ${ci(t.test.interval, (x) => `£${num(x)}`)}`)}`);
    lines.push(`    churn           ${cell(c.churn, (h) => `hazard ratio ${num(h.hazardRatio)} ${ci(h.interval, (x) => num(x))}, log-rank p = ${num(h.logRankP, 4)}`)}`);
    lines.push(`    engagement      logins ${cell(c.engagement, (t) => `Δ ${num(t.test.difference, 1)} ${ci(t.test.interval, (x) => num(x, 1))} (CUPED −${pct(t.varianceReduction)} variance)`)}; products ${cell(c.products, (t) => `Δ ${num(t.test.difference, 3)} ${ci(t.test.interval, (x) => num(x, 3))}`)}`);
    lines.push(`    guardrails      complaints ${cell(c.guardrails.complaints, (t) => `Δ ${num(t.difference, 4)}`)}; arrears ${cell(c.guardrails.arrears, (t) => `Δ ${num(t.difference, 4)} ${ci(t.newcombeInterval, (x) => num(x, 4))}`)}`);
    const last = r.daily.filter((d) => d.arm === c.arm && d.metric === 'acceptance').at(-1);
    if (last) lines.push(`    watched daily   day ${last.day}: 7-day acceptance Δ ${num(last.difference, 3)}, always-valid ${ci(last.interval, (x) => num(x, 3))}, p = ${num(last.pValue, 4)}`);
  }
  return lines;
}

/** Decision fairness: the alerts whose whole interval is below 0.8 first, then how many more could be chance. */
export function fairnessText(r: FairnessReport, show = 6): string[] {
  const lines = [`decision fairness over ${r.customers} customers, ${r.decisions} decisions; attributes ${r.attributes.join(', ')}; ${r.families.length} family × attribute checks`];
  const sure = r.alerts.filter((a) => a.significant);
  const unsure = r.alerts.length - sure.length;
  if (r.alerts.length === 0) lines.push('  no selection or acceptance ratio below 0.8 once exclusions required by law or product rules are set apart');
  for (const a of sure.slice(0, show)) lines.push(`  ALERT ${a.family} / ${a.attribute}=${a.group}: ${a.measure} ratio ${num(a.ratio)} ${ci(a.interval, (x) => num(x))}, whole interval below 0.8`);
  if (sure.length > show) lines.push(`  … and ${sure.length - show} more with the whole interval below 0.8`);
  if (unsure > 0) lines.push(`  ${unsure} more ratio(s) below 0.8 whose interval reaches 0.8: too few customers to tell (see --json)`);
  return lines;
}

/** Model fairness: one line per model version with its flags. */
export function modelFairnessText(models: readonly { id: string; stage: string; card: { fairness: string; fairnessAudit?: unknown } }[]): string[] {
  return models.map((m) => {
    const a = m.card.fairnessAudit as ModelFairnessAudit | undefined;
    if (!a) return `${m.id} (${m.stage}): no fairness audit in the card`;
    return `${m.id} (${m.stage}): ${a.rows} test rows, ${a.attributes.length} attributes/intersections; ${a.flags.length === 0 ? 'no flag' : `${a.flags.length} flag(s): ${a.flags.join('; ')}`}`;
  });
}

/** Customer outcomes: each family's headline (or why it is not compared), then the alerts. */
export function outcomesText(r: OutcomeReport): string[] {
  const lines = [`customer outcomes: ${r.contacted} contacted, ${r.heldOut} held out, ${r.vulnerable} vulnerable (contacted vs held-out customers the engine ranked the same family first for)`];
  for (const l of r.lines.filter((x) => x.segment === 'all')) {
    const m = l.measures;
    if (Object.values(m).every((x) => 'unavailable' in x)) {
      lines.push(`  ${l.group.padEnd(16)} ${l.contacted} vs ${l.comparison}: too few to compare`);
      continue;
    }
    const show = (k: keyof typeof m, f: (x: number) => string) => cell(m[k], (x) => `${f(x.contacted)} vs ${f(x.comparison)}`);
    lines.push(`  ${l.group.padEnd(16)} ${l.contacted} vs ${l.comparison}: arrears ${show('arrears', pct)}, complaints ${show('complaints', pct)}, overdrawn ${show('overdrawn', pct)}, savings change ${show('savingsChange', (x) => `£${num(x, 0)}`)}`);
  }
  if (r.alerts.length === 0) lines.push('  no outcome significantly worse for contacted or vulnerable customers');
  for (const a of r.alerts) lines.push(`  ALERT ${a.group} / ${a.segment}: ${a.measure} worse, contacted − held out ${num(a.difference, 3)} ${ci(a.interval, (x) => num(x, 3))}`);
  return lines;
}
