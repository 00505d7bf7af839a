/**
 * The fairness audit of a model version, written into its model card: on the held-out test
 * slice, per group of each protected attribute the customer records carry (age band at the
 * row's as-of time; sex where recorded; vulnerability) and of every pair of them
 * (intersections), Fairlearn's metrics (src/models/metrics/fairness.ts): selection rate,
 * TPR, FPR, AUC, calibration gap; across groups the demographic-parity ratio,
 * equal-opportunity ratio and difference, and the four-fifths rule with Katz intervals.
 *
 * "Selected" means scored in the top SELECTED_SHARE of the test slice (the customers the
 * model would put first). Groups smaller than MIN_GROUP rows are reported but not judged.
 * A flag is raised when, among the judged groups, the demographic-parity or the
 * equal-opportunity ratio is below 0.8, the equal-opportunity difference above 0.1, a
 * group's AUC more than 0.05 below the whole slice's, or a group's calibration gap above 0.05.
 */
import { ageAt, ageBand, type Customer } from '../core/customer.js';
import { auc } from '../models/metrics/classification.js';
import { fairnessSummary, fourFifthsRule, type FourFifthsCheck, type GroupFairness } from '../models/metrics/fairness.js';

export const FAIRNESS_THRESHOLDS = { ratio: 0.8, equalOpportunityDifference: 0.1, aucShortfall: 0.05, calibrationGap: 0.05 } as const;
export const SELECTED_SHARE = 0.2;
export const MIN_GROUP = 30;

export interface AttributeAudit {
  /** One attribute (`age_band`) or an intersection (`age_band & sex`). */
  attribute: string;
  groups: (Pick<GroupFairness, 'group' | 'n' | 'positives' | 'selectionRate' | 'truePositiveRate' | 'falsePositiveRate' | 'auc' | 'calibrationGap'> & { judged: boolean })[];
  demographicParityRatio: number;
  equalOpportunityRatio: number;
  equalOpportunityDifference: number;
  fourFifths: FourFifthsCheck | null;
  flags: string[];
}

export interface ModelFairnessAudit {
  rows: number;
  selectedShare: number;
  overallAuc: number;
  thresholds: typeof FAIRNESS_THRESHOLDS;
  attributes: AttributeAudit[];
  /** Every flag, prefixed with its attribute. */
  flags: string[];
}

/** The protected groups of a customer at a time: age band, sex (when recorded), vulnerability. */
export function protectedGroups(c: Customer | undefined, at: number): Record<string, string> {
  if (!c) return { age_band: 'unknown', vulnerable: 'unknown' };
  const out: Record<string, string> = { age_band: ageBand(c.dateOfBirth ? ageAt(c.dateOfBirth, at) : -1), vulnerable: c.vulnerabilityFlags.length > 0 ? 'yes' : 'no' };
  const sex = c.attributes.sex ?? c.attributes.gender;
  if (typeof sex === 'string' && sex !== '') out.sex = sex;
  return out;
}

/** Audits scores against outcomes over the rows' groups. */
export function auditModelFairness(rows: readonly { groups: Record<string, string>; score: number; label: number }[]): ModelFairnessAudit {
  const scores = rows.map((r) => r.score);
  const labels = rows.map((r) => r.label);
  const cut = [...scores].sort((a, b) => b - a)[Math.max(0, Math.ceil(rows.length * SELECTED_SHARE) - 1)] ?? Number.POSITIVE_INFINITY;
  const selected = scores.map((s) => (s >= cut ? 1 : 0));
  const overallAuc = rows.length > 0 && labels.some((l) => l === 1) && labels.some((l) => l === 0) ? auc(scores, labels) : Number.NaN;
  const names = [...new Set(rows.flatMap((r) => Object.keys(r.groups)))].sort();
  const sets = [...names.map((n) => [n]), ...names.flatMap((a, i) => names.slice(i + 1).map((b) => [a, b]))];
  const attributes: AttributeAudit[] = [];
  for (const set of sets) {
    const label = (r: (typeof rows)[number]) => set.map((n) => (set.length > 1 ? `${n}=${r.groups[n] ?? 'unknown'}` : (r.groups[n] ?? 'unknown'))).join(' & ');
    const groups = rows.map(label);
    if (new Set(groups).size < 2) continue;
    attributes.push(auditAttribute(set.join(' & '), groups, selected, labels, scores, overallAuc));
  }
  return { rows: rows.length, selectedShare: SELECTED_SHARE, overallAuc, thresholds: FAIRNESS_THRESHOLDS, attributes, flags: attributes.flatMap((a) => a.flags.map((f) => `${a.attribute}: ${f}`)) };
}

function auditAttribute(attribute: string, groups: string[], selected: number[], labels: number[], scores: number[], overallAuc: number): AttributeAudit {
  const all = fairnessSummary({ groups, selected, outcomes: labels, scores });
  const judgedNames = new Set(all.groups.filter((g) => g.n >= MIN_GROUP).map((g) => g.group));
  const keep = groups.map((g) => judgedNames.has(g));
  const T = FAIRNESS_THRESHOLDS;
  const flags: string[] = [];
  let judged = { demographicParityRatio: Number.NaN, equalOpportunityRatio: Number.NaN, equalOpportunityDifference: Number.NaN };
  let fourFifths: FourFifthsCheck | null = null;
  if (judgedNames.size >= 2) {
    const pick = <T>(xs: T[]) => xs.filter((_, i) => keep[i]);
    const s = fairnessSummary({ groups: pick(groups), selected: pick(selected), outcomes: pick(labels), scores: pick(scores) });
    judged = { demographicParityRatio: s.demographicParityRatio, equalOpportunityRatio: s.equalOpportunityRatio, equalOpportunityDifference: s.equalOpportunityDifference };
    if (s.demographicParityRatio < T.ratio) flags.push(`demographic parity ratio ${fmt(s.demographicParityRatio)} < ${T.ratio}`);
    if (s.equalOpportunityRatio < T.ratio) flags.push(`equal opportunity ratio ${fmt(s.equalOpportunityRatio)} < ${T.ratio}`);
    if (s.equalOpportunityDifference > T.equalOpportunityDifference) flags.push(`equal opportunity difference ${fmt(s.equalOpportunityDifference)} > ${T.equalOpportunityDifference}`);
    const counts = s.groups.map((g) => ({ group: g.group, n: g.n, selected: g.selectedCount }));
    if (counts.some((c) => c.selected > 0)) fourFifths = fourFifthsRule(counts);
    for (const g of s.groups) {
      if (Number.isFinite(g.auc) && Number.isFinite(overallAuc) && g.auc < overallAuc - T.aucShortfall) flags.push(`AUC of ${g.group} ${fmt(g.auc)} is more than ${T.aucShortfall} below the whole slice's ${fmt(overallAuc)}`);
      if (Math.abs(g.calibrationGap) > T.calibrationGap) flags.push(`${g.group} is ${g.calibrationGap > 0 ? 'over' : 'under'}-predicted by ${fmt(Math.abs(g.calibrationGap))}`);
    }
  }
  return {
    attribute,
    groups: all.groups.map((g) => ({ group: g.group, n: g.n, positives: g.positives, selectionRate: g.selectionRate, truePositiveRate: g.truePositiveRate, falsePositiveRate: g.falsePositiveRate, auc: g.auc, calibrationGap: g.calibrationGap, judged: judgedNames.has(g.group) })),
    ...judged,
    fourFifths,
    flags,
  };
}

const fmt = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : 'n/a');

/** The card's one-paragraph fairness statement. */
export function fairnessStatement(a: ModelFairnessAudit): string {
  const judged = a.attributes.map((x) => x.attribute).join(', ');
  const head = `Fairness audit on the ${a.rows}-row test slice (selected = top ${Math.round(a.selectedShare * 100)}% by score; groups under ${MIN_GROUP} rows reported, not judged) over ${judged || 'no attribute with two groups'}.`;
  return a.flags.length === 0 ? `${head} No disparity beyond the thresholds (ratios ≥ ${FAIRNESS_THRESHOLDS.ratio}, equal-opportunity difference ≤ ${FAIRNESS_THRESHOLDS.equalOpportunityDifference}, AUC within ${FAIRNESS_THRESHOLDS.aucShortfall}, calibration within ${FAIRNESS_THRESHOLDS.calibrationGap}).` : `${head} Flags: ${a.flags.join('; ')}.`;
}
