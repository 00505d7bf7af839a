/**
 * Comparing means of a continuous metric (revenue, balances, logins) between two arms with
 * Welch's t test: no equal-variance assumption, Welch–Satterthwaite degrees of freedom
 * (scipy `ttest_ind(equal_var=False)`, statsmodels `CompareMeans.tconfint_diff(usevar='unequal')`).
 */
import { checkConfidence, checkFinite, checkMinLength, checkVariance, invalid } from './checks.js';
import { studentTQuantile, studentTSurvival, twoSidedStudentP } from './incompleteBeta.js';

/** Mean, sample variance (n − 1 denominator) and size of one arm's metric. */
export interface ArmSummary {
  mean: number;
  variance: number;
  n: number;
}

/** Welch's comparison of treatment against control. */
export interface WelchTest {
  controlMean: number;
  treatmentMean: number;
  /** treatmentMean − controlMean. */
  difference: number;
  se: number;
  t: number;
  df: number;
  pValue: number;
  /** One-sided p for treatment > control. */
  pValueTreatmentGreater: number;
  confidence: number;
  interval: [number, number];
}

/** Mean and sample variance (n − 1) of values, by Welford's update so large means do not cancel. */
export function summarize(values: ArrayLike<number>, field = 'values'): ArmSummary {
  checkMinLength(values, 2, field);
  checkFinite(values, field);
  let mean = 0;
  let m2 = 0;
  for (let i = 0; i < values.length; i++) {
    const d = values[i]! - mean;
    mean += d / (i + 1);
    m2 += d * (values[i]! - mean);
  }
  return { mean, variance: m2 / (values.length - 1), n: values.length };
}

function checkSummary(s: ArmSummary, field: string): void {
  if (!Number.isInteger(s.n) || s.n < 2) invalid(`${field}.n`, 'min_value', `needs n >= 2, got ${s.n}`);
  if (!Number.isFinite(s.mean)) invalid(`${field}.mean`, 'finite', `must be finite, got ${s.mean}`);
  checkVariance(s.variance, `${field}.variance`);
}

/** Welch's t test from each arm's summary (what a KPI job keeps), treatment − control. */
export function welchTestFromSummaries(control: ArmSummary, treatment: ArmSummary, confidence = 0.95): WelchTest {
  checkSummary(control, 'control');
  checkSummary(treatment, 'treatment');
  checkConfidence(confidence);
  const va = control.variance / control.n;
  const vb = treatment.variance / treatment.n;
  const se = Math.sqrt(va + vb);
  const diff = treatment.mean - control.mean;
  if (se === 0) invalid('variance', 'positive', 'both arms have zero variance; the t statistic is undefined');
  const df = (va + vb) ** 2 / (va ** 2 / (control.n - 1) + vb ** 2 / (treatment.n - 1));
  const t = diff / se;
  const crit = studentTQuantile(1 - (1 - confidence) / 2, df);
  return {
    controlMean: control.mean,
    treatmentMean: treatment.mean,
    difference: diff,
    se,
    t,
    df,
    pValue: twoSidedStudentP(t, df),
    pValueTreatmentGreater: studentTSurvival(t, df),
    confidence,
    interval: [diff - crit * se, diff + crit * se],
  };
}

/** Welch's t test of treatment values against control values. */
export function welchTest(control: ArrayLike<number>, treatment: ArrayLike<number>, confidence = 0.95): WelchTest {
  return welchTestFromSummaries(summarize(control, 'control'), summarize(treatment, 'treatment'), confidence);
}
