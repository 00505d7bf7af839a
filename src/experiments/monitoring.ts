/**
 * Customer-outcome monitoring (FCA Consumer Duty, PS22/9: firms monitor the outcomes their
 * products and communications lead to, and whether some groups, vulnerable customers above
 * all, get worse ones). For every action family, and for targeted support, the customers the
 * engine contacted with it are compared with comparable customers it did not contact: held-out
 * customers (an experiment's holdout arm or the universal control) whose top-ranked action was
 * of that family, i.e. who would have been contacted with it. Holdouts are randomised, so the
 * comparison is causal for the customers the engine picks (intent to treat on the ranking).
 *
 * Outcomes after the customer's first decision in the window (src/experiments/outcomes.ts):
 * savings change (idle cash moved into savings or investments), arrears (a late or missed
 * repayment: after credit offers above all), complaints, ended overdrawn (a loss), went silent.
 * Each is compared overall, for vulnerable customers and for the others; the vulnerable gap
 * is the difference in differences (effect on vulnerable − effect on others). An alert is
 * raised when an outcome is worse for the contacted group, or the vulnerable gap is worse,
 * with the whole 95% interval on the harmful side.
 */
import { normalQuantile } from '../models/stats/normal.js';
import { twoProportionTest, welchTest } from '../models/stats/index.js';
import { customerOutcomes, type CustomerOutcome, type ExposureDecision } from './outcomes.js';

export const OUTCOME_MEASURES = ['savingsChange', 'arrears', 'complaints', 'overdrawn', 'churned'] as const;
export type OutcomeMeasure = (typeof OUTCOME_MEASURES)[number];
/** Savings: a fall is harm; every other measure is a share of customers, where a rise is harm. */
const HIGHER_IS_WORSE: Record<OutcomeMeasure, boolean> = { savingsChange: false, arrears: true, complaints: true, overdrawn: true, churned: true };
const shareOf: Record<Exclude<OutcomeMeasure, 'savingsChange'>, (c: CustomerOutcome) => boolean> = {
  arrears: (c) => c.arrearsAfter > 0,
  complaints: (c) => c.complaints > 0,
  overdrawn: (c) => c.overdrawnAtEnd,
  churned: (c) => c.churned,
};
/** Fewer customers than this in either group and a comparison is not made. */
export const MIN_GROUP = 5;
export const TARGETED_SUPPORT = 'targeted_support';

export type Segment = 'all' | 'vulnerable' | 'not_vulnerable';

export interface MeasureComparison {
  /** Mean (savings change, pounds) or share of customers, contacted and not. */
  contacted: number;
  comparison: number;
  /** contacted − comparison, with its 95% interval (Welch or Newcombe) and two-sided p. */
  difference: number;
  interval: [number, number];
  pValue: number;
  /** The whole interval is on the harmful side. */
  worse: boolean;
}

export interface OutcomeLine {
  /** An action family, or `targeted_support`. */
  group: string;
  segment: Segment;
  contacted: number;
  comparison: number;
  measures: Record<OutcomeMeasure, MeasureComparison | { unavailable: string }>;
}

export interface VulnerableGap {
  group: string;
  measure: OutcomeMeasure;
  /** (contacted − comparison among the vulnerable) − (the same among the others). */
  differenceInDifferences: number;
  interval: [number, number];
  worse: boolean;
}

export interface OutcomeReport {
  from: number;
  until: number;
  customers: number;
  contacted: number;
  heldOut: number;
  vulnerable: number;
  lines: OutcomeLine[];
  vulnerableGaps: VulnerableGap[];
  alerts: { group: string; segment: Segment | 'vulnerable_gap'; measure: OutcomeMeasure; difference: number; interval: [number, number] }[];
}

interface Customer {
  outcome: CustomerOutcome;
  heldOut: boolean;
  /** Families contacted with (contacted customers) or top-ranked (held-out ones), plus targeted support. */
  groups: Set<string>;
}

/**
 * The report over the decisions of [from, until) and the customers' events. `targetedSupport`
 * says which action ids are targeted-support actions (from the catalogue).
 */
export function outcomeMonitoring(decisions: readonly ExposureDecision[], events: Parameters<typeof customerOutcomes>[1], o: { from: number; until: number; targetedSupport?: ReadonlySet<string>; inactiveDays?: number }): OutcomeReport {
  const ts = o.targetedSupport ?? new Set<string>();
  const mine = decisions.filter((d) => d.decidedAt >= o.from && d.decidedAt < o.until);
  // A customer counts as held out only if every decision of theirs in the window was.
  const held = new Map<string, boolean>();
  for (const d of mine) held.set(d.customerId, (held.get(d.customerId) ?? true) && d.experiment?.heldOut === true);
  const groups = new Map<string, Set<string>>();
  for (const d of mine) {
    const g = groups.get(d.customerId) ?? new Set<string>();
    groups.set(d.customerId, g);
    const picks = held.get(d.customerId) ? (d.topAction ? [d.topAction] : []) : d.chosen;
    for (const a of picks) {
      g.add(a.family);
      if (ts.has(a.actionId)) g.add(TARGETED_SUPPORT);
    }
  }
  const tagged = mine.map((d) => ({ ...d, experiment: { experimentId: 'monitor', arm: held.get(d.customerId) ? 'held_out' : 'contacted', heldOut: held.get(d.customerId)! } }));
  const outcomes = customerOutcomes(tagged, events, { experimentId: 'monitor', until: o.until, ...(o.inactiveDays !== undefined ? { inactiveDays: o.inactiveDays } : {}) });
  const customers: Customer[] = outcomes.map((c) => ({ outcome: c, heldOut: held.get(c.customerId)!, groups: groups.get(c.customerId)! }));
  const contactedAny = customers.filter((c) => !c.heldOut && c.outcome.contacts > 0);
  const heldOut = customers.filter((c) => c.heldOut);
  const names = [...new Set(customers.flatMap((c) => [...c.groups]))].sort();
  const lines: OutcomeLine[] = [];
  const gaps: VulnerableGap[] = [];
  const alerts: OutcomeReport['alerts'] = [];
  for (const group of names) {
    const bySegment = new Map<Segment, OutcomeLine>();
    for (const segment of ['all', 'vulnerable', 'not_vulnerable'] as const) {
      const keep = (c: Customer) => c.groups.has(group) && (segment === 'all' || c.outcome.vulnerable === (segment === 'vulnerable'));
      const t = contactedAny.filter(keep).map((c) => c.outcome);
      const k = heldOut.filter(keep).map((c) => c.outcome);
      const measures = Object.fromEntries(OUTCOME_MEASURES.map((m) => [m, compareMeasure(m, t, k)])) as OutcomeLine['measures'];
      const line: OutcomeLine = { group, segment, contacted: t.length, comparison: k.length, measures };
      lines.push(line);
      bySegment.set(segment, line);
      for (const m of OUTCOME_MEASURES) {
        const x = measures[m];
        if ('worse' in x && x.worse) alerts.push({ group, segment, measure: m, difference: x.difference, interval: x.interval });
      }
    }
    for (const m of OUTCOME_MEASURES) {
      const v = bySegment.get('vulnerable')!.measures[m];
      const n = bySegment.get('not_vulnerable')!.measures[m];
      if ('unavailable' in v || 'unavailable' in n) continue;
      const gap = differenceInDifferences(group, m, v, n);
      gaps.push(gap);
      if (gap.worse) alerts.push({ group, segment: 'vulnerable_gap', measure: m, difference: gap.differenceInDifferences, interval: gap.interval });
    }
  }
  return { from: o.from, until: o.until, customers: customers.length, contacted: contactedAny.length, heldOut: heldOut.length, vulnerable: customers.filter((c) => c.outcome.vulnerable).length, lines, vulnerableGaps: gaps, alerts };
}

function compareMeasure(m: OutcomeMeasure, t: readonly CustomerOutcome[], k: readonly CustomerOutcome[]): MeasureComparison | { unavailable: string } {
  if (t.length < MIN_GROUP || k.length < MIN_GROUP) return { unavailable: `needs ${MIN_GROUP} customers in each group (contacted ${t.length}, not contacted ${k.length})` };
  const harmful = (lo: number, hi: number) => (HIGHER_IS_WORSE[m] ? lo > 0 : hi < 0);
  if (m === 'savingsChange') {
    const y = (c: CustomerOutcome) => c.savingsAfter - c.savingsBefore;
    const yt = t.map(y);
    const yk = k.map(y);
    if (new Set(yt).size < 2 && new Set(yk).size < 2) return { unavailable: 'no variation in either group' };
    const w = welchTest(yk, yt);
    return { contacted: w.treatmentMean, comparison: w.controlMean, difference: w.difference, interval: w.interval, pValue: w.pValue, worse: harmful(w.interval[0], w.interval[1]) };
  }
  const f = shareOf[m];
  const p = twoProportionTest({ conversions: k.filter(f).length, n: k.length }, { conversions: t.filter(f).length, n: t.length });
  return { contacted: p.treatmentRate, comparison: p.controlRate, difference: p.difference, interval: p.newcombeInterval, pValue: p.pValue, worse: harmful(p.newcombeInterval[0], p.newcombeInterval[1]) };
}

/** The vulnerable gap with a normal interval; each difference's SE is read back from its 95% interval's half-width. */
function differenceInDifferences(group: string, measure: OutcomeMeasure, v: MeasureComparison, n: MeasureComparison): VulnerableGap {
  const z = normalQuantile(0.975);
  const se = (x: MeasureComparison) => (x.interval[1] - x.interval[0]) / (2 * z);
  const d = v.difference - n.difference;
  const h = z * Math.hypot(se(v), se(n));
  const interval: [number, number] = [d - h, d + h];
  return { group, measure, differenceInDifferences: d, interval, worse: HIGHER_IS_WORSE[measure] ? interval[0] > 0 : interval[1] < 0 };
}
