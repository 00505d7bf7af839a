/**
 * Group fairness metrics with Fairlearn's definitions (`fairlearn.metrics`, 'between_groups'):
 * per group the selection rate (share predicted/offered 1), true- and false-positive rates,
 * ROC AUC and calibration in the large (mean predicted vs observed rate); across groups the
 * demographic parity difference (max − min selection rate) and ratio (min / max), the equalized
 * odds difference (the larger of the TPR and FPR differences) and ratio (the smaller of the two
 * ratios), and the equal-opportunity difference and ratio (TPR only). A rate a group cannot
 * have (TPR without positives) is NaN and left out of the across-group summary, where
 * scikit-learn would silently report 0 and distort the difference.
 *
 * The four-fifths rule (US EEOC Uniform Guidelines, 29 CFR 1607.4(D)): each group's selection
 * rate over the reference group's (by default the highest rate), with Katz's log interval on
 * the ratio, ln(RR) ± z·√(1/x₁ − 1/n₁ + 1/x₀ − 1/n₀) (Katz et al., Biometrics 1978). A zero
 * count gets the Haldane–Anscombe ½ added to both counts, so the interval stays finite.
 */
import { ValidationError } from '../../core/errors.js';
import { normalQuantile } from '../stats/normal.js';
import { auc } from './classification.js';

/** Per-row inputs of a fairness audit; every array is one entry per customer. */
export interface FairnessInput {
  /** Group label of each row (one attribute, or an intersection from `intersectGroups`). */
  groups: readonly string[];
  /** 1 when the customer was selected (offered, approved, predicted positive), else 0. */
  selected: ArrayLike<number>;
  /** The true outcome (1 accepted / churned / defaulted), needed for TPR, FPR, AUC and calibration. */
  outcomes?: ArrayLike<number>;
  /** The model's probability, needed for AUC and calibration. */
  scores?: ArrayLike<number>;
}

/** Metrics of one group. */
export interface GroupFairness {
  group: string;
  n: number;
  selectedCount: number;
  selectionRate: number;
  positives: number;
  negatives: number;
  truePositives: number;
  falsePositives: number;
  truePositiveRate: number;
  falsePositiveRate: number;
  auc: number;
  meanScore: number;
  observedRate: number;
  /** meanScore − observedRate: positive when the model over-predicts for the group. */
  calibrationGap: number;
}

/** Across-group summary of a fairness audit. */
export interface FairnessSummary {
  groups: GroupFairness[];
  demographicParityDifference: number;
  demographicParityRatio: number;
  equalizedOddsDifference: number;
  equalizedOddsRatio: number;
  equalOpportunityDifference: number;
  equalOpportunityRatio: number;
  /** Largest |calibrationGap| over groups (NaN without scores). */
  maxCalibrationGap: number;
}

function binaryCheck(values: ArrayLike<number>, field: string, n: number, issues: { field: string; rule: string; message: string }[]): void {
  if (values.length !== n) {
    issues.push({ field, rule: 'length', message: `${values.length} values for ${n} rows` });
    return;
  }
  for (let i = 0; i < values.length; i++) {
    if (values[i] !== 0 && values[i] !== 1) {
      issues.push({ field: `${field}[${i}]`, rule: 'binary', message: `must be 0 or 1, got ${values[i]}` });
      return;
    }
  }
}

function validate(input: FairnessInput): void {
  const n = input.groups.length;
  const issues: { field: string; rule: string; message: string }[] = [];
  if (n === 0) issues.push({ field: 'groups', rule: 'non_empty', message: 'no rows to audit' });
  binaryCheck(input.selected, 'selected', n, issues);
  if (input.outcomes) binaryCheck(input.outcomes, 'outcomes', n, issues);
  if (input.scores) {
    if (input.scores.length !== n) issues.push({ field: 'scores', rule: 'length', message: `${input.scores.length} scores for ${n} rows` });
    else if (!input.outcomes) issues.push({ field: 'outcomes', rule: 'required', message: 'scores need outcomes for AUC and calibration' });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Row indices per group, groups in first-seen order. */
function indexGroups(groups: readonly string[]): Map<string, number[]> {
  const byGroup = new Map<string, number[]>();
  groups.forEach((g, i) => {
    const rows = byGroup.get(g);
    if (rows) rows.push(i);
    else byGroup.set(g, [i]);
  });
  return byGroup;
}

function groupMetrics(group: string, rows: number[], input: FairnessInput): GroupFairness {
  const { selected, outcomes, scores } = input;
  let sel = 0;
  let pos = 0;
  let tp = 0;
  let fp = 0;
  let scoreSum = 0;
  for (const i of rows) {
    const s = selected[i]!;
    sel += s;
    if (outcomes) {
      if (outcomes[i] === 1) {
        pos++;
        tp += s;
      } else fp += s;
    }
    if (scores) scoreSum += scores[i]!;
  }
  const n = rows.length;
  const neg = outcomes ? n - pos : 0;
  let groupAuc = NaN;
  if (scores && outcomes) {
    groupAuc = auc(rows.map((i) => scores[i]!), rows.map((i) => outcomes[i]!));
  }
  const meanScore = scores ? scoreSum / n : NaN;
  const observedRate = outcomes ? pos / n : NaN;
  return {
    group,
    n,
    selectedCount: sel,
    selectionRate: sel / n,
    positives: outcomes ? pos : NaN,
    negatives: outcomes ? neg : NaN,
    truePositives: outcomes ? tp : NaN,
    falsePositives: outcomes ? fp : NaN,
    truePositiveRate: pos > 0 ? tp / pos : NaN,
    falsePositiveRate: neg > 0 ? fp / neg : NaN,
    auc: groupAuc,
    meanScore,
    observedRate,
    calibrationGap: meanScore - observedRate,
  };
}

/** max − min and min / max over the finite values (NaN when fewer than one). */
function spread(values: number[]): { difference: number; ratio: number } {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return { difference: NaN, ratio: NaN };
  const max = Math.max(...finite);
  const min = Math.min(...finite);
  // Fairlearn's ratio is min/max; with every rate 0 it is 0/0 = NaN there, but no one being
  // selected is no disparity, so it is 1 here and the ratio alert stays quiet.
  return { difference: max - min, ratio: max === 0 ? 1 : min / max };
}

/** Per-group metrics and Fairlearn's between-group differences and ratios. */
export function fairnessSummary(input: FairnessInput): FairnessSummary {
  validate(input);
  const groups = [...indexGroups(input.groups)].map(([g, rows]) => groupMetrics(g, rows, input));
  const dp = spread(groups.map((g) => g.selectionRate));
  const tpr = spread(groups.map((g) => g.truePositiveRate));
  const fpr = spread(groups.map((g) => g.falsePositiveRate));
  const gaps = groups.map((g) => Math.abs(g.calibrationGap)).filter((v) => Number.isFinite(v));
  return {
    groups,
    demographicParityDifference: dp.difference,
    demographicParityRatio: dp.ratio,
    equalizedOddsDifference: Math.max(tpr.difference, fpr.difference),
    equalizedOddsRatio: Math.min(tpr.ratio, fpr.ratio),
    equalOpportunityDifference: tpr.difference,
    equalOpportunityRatio: tpr.ratio,
    maxCalibrationGap: gaps.length > 0 ? Math.max(...gaps) : NaN,
  };
}

/** Group labels for the intersection of attributes, e.g. `age_band=65+ & vulnerable=yes`. */
export function intersectGroups(attributes: Readonly<Record<string, readonly string[]>>, names: readonly string[]): string[] {
  if (names.length === 0) throw new ValidationError([{ field: 'names', rule: 'non_empty', message: 'name at least one attribute' }]);
  const columns = names.map((name) => {
    const col = attributes[name];
    if (!col) throw new ValidationError([{ field: `attributes.${name}`, rule: 'required', message: 'no such attribute' }]);
    return col;
  });
  const n = columns[0]!.length;
  columns.forEach((c, k) => {
    if (c.length !== n) throw new ValidationError([{ field: `attributes.${names[k]}`, rule: 'length', message: `${c.length} values for ${n} rows` }]);
  });
  return Array.from({ length: n }, (_, i) => names.map((name, k) => `${name}=${columns[k]![i]}`).join(' & '));
}

/** Selected customers out of those considered, for one group. */
export interface SelectionCounts {
  group: string;
  n: number;
  selected: number;
}

/** One group's line of the four-fifths (adverse impact) check. */
export interface AdverseImpact extends SelectionCounts {
  rate: number;
  /** This group's rate over the reference group's rate. */
  ratio: number;
  /** Katz log interval on the ratio. */
  interval: [number, number];
  /** ratio < threshold: the rule of thumb is broken. */
  belowThreshold: boolean;
  /** The whole interval is below the threshold: the shortfall is not chance. */
  significantlyBelow: boolean;
}

/** The four-fifths check over groups. */
export interface FourFifthsCheck {
  reference: string;
  threshold: number;
  confidence: number;
  groups: AdverseImpact[];
  /** True when any group is below the threshold. */
  alert: boolean;
}

/** Four-fifths rule with Katz intervals; the reference group defaults to the highest selection rate. */
export function fourFifthsRule(
  counts: readonly SelectionCounts[],
  options: { reference?: string; threshold?: number; confidence?: number } = {},
): FourFifthsCheck {
  const threshold = options.threshold ?? 0.8;
  const confidence = options.confidence ?? 0.95;
  const issues: { field: string; rule: string; message: string }[] = [];
  if (counts.length < 2) issues.push({ field: 'counts', rule: 'min_length', message: `needs at least 2 groups, got ${counts.length}` });
  counts.forEach((c, i) => {
    if (!Number.isInteger(c.n) || c.n <= 0) issues.push({ field: `counts[${i}].n`, rule: 'positive_integer', message: `must be a positive integer, got ${c.n}` });
    else if (!Number.isInteger(c.selected) || c.selected < 0 || c.selected > c.n) {
      issues.push({ field: `counts[${i}].selected`, rule: 'count_in_range', message: `must be an integer in [0, ${c.n}], got ${c.selected}` });
    }
  });
  if (!(threshold > 0 && threshold <= 1)) issues.push({ field: 'threshold', rule: 'unit_interval', message: `must be in (0, 1], got ${threshold}` });
  if (!(confidence > 0 && confidence < 1)) issues.push({ field: 'confidence', rule: 'open_unit_interval', message: `must be in (0, 1), got ${confidence}` });
  if (issues.length > 0) throw new ValidationError(issues);
  const rate = (c: SelectionCounts): number => c.selected / c.n;
  const ref = options.reference !== undefined
    ? counts.find((c) => c.group === options.reference)
    : counts.reduce((best, c) => (rate(c) > rate(best) ? c : best));
  if (!ref) throw new ValidationError([{ field: 'reference', rule: 'known_group', message: `no group named ${options.reference}` }]);
  if (ref.selected === 0) throw new ValidationError([{ field: 'reference', rule: 'positive_rate', message: `the reference group ${ref.group} selected no one; ratios are undefined` }]);
  const z = normalQuantile(1 - (1 - confidence) / 2);
  const groups = counts.map((c): AdverseImpact => {
    const ratio = rate(c) / rate(ref);
    const zero = c.selected === 0;
    // Haldane–Anscombe: ½ added to a zero count (and its total) keeps the log finite.
    const x1 = zero ? 0.5 : c.selected;
    const n1 = zero ? c.n + 0.5 : c.n;
    const se = Math.sqrt(1 / x1 - 1 / n1 + 1 / ref.selected - 1 / ref.n);
    const centre = Math.log(x1 / n1 / rate(ref));
    const interval: [number, number] = c === ref ? [1, 1] : [Math.exp(centre - z * se), Math.exp(centre + z * se)];
    return { ...c, rate: rate(c), ratio, interval, belowThreshold: ratio < threshold, significantlyBelow: interval[1] < threshold };
  });
  return { reference: ref.group, threshold, confidence, groups, alert: groups.some((g) => g.belowThreshold) };
}
