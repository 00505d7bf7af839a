/**
 * CUPED (Deng, Xu, Kohavi & Walker, "Improving the Sensitivity of Online Controlled Experiments
 * by Utilizing Pre-Experiment Data", WSDM 2013). Each customer's metric Y is adjusted by the
 * same metric (or any covariate unaffected by treatment) X from before the experiment:
 *   Y' = Y − θ (X − X̄),  θ = cov(Y, X) / var(X)
 * with θ and X̄ taken over both arms together, so the adjustment cannot depend on the arm and
 * the difference of adjusted means stays unbiased. The variance falls by the factor 1 − ρ²;
 * the adjusted values are then compared with Welch's t.
 */
import { checkConfidence, checkFinite, checkMinLength, invalid } from './checks.js';
import { summarize, welchTestFromSummaries, type ArmSummary, type WelchTest } from './means.js';

/** One arm's in-experiment metric and pre-period covariate, one entry per customer. */
export interface CupedArm {
  metric: ArrayLike<number>;
  covariate: ArrayLike<number>;
}

/** A CUPED comparison. */
export interface CupedTest {
  theta: number;
  covariateMean: number;
  /** Summaries of the adjusted metric per arm (their means are the adjusted means). */
  adjustedControl: ArmSummary;
  adjustedTreatment: ArmSummary;
  /** 1 − Var(adjusted difference) / Var(raw difference): the share of variance removed. */
  varianceReduction: number;
  /** Welch's test on the adjusted values. */
  test: WelchTest;
  /** Welch's test on the raw values, for contrast. */
  unadjusted: WelchTest;
}

function checkArm(arm: CupedArm, field: string): void {
  checkMinLength(arm.metric, 2, `${field}.metric`);
  if (arm.covariate.length !== arm.metric.length) {
    invalid(`${field}.covariate`, 'length', `${arm.covariate.length} covariate values for ${arm.metric.length} customers`);
  }
  checkFinite(arm.metric, `${field}.metric`);
  checkFinite(arm.covariate, `${field}.covariate`);
}

/** CUPED-adjusted comparison of treatment against control. */
export function cupedTest(control: CupedArm, treatment: CupedArm, confidence = 0.95): CupedTest {
  checkArm(control, 'control');
  checkArm(treatment, 'treatment');
  checkConfidence(confidence);
  const arms = [control, treatment];
  let n = 0;
  let my = 0;
  let mx = 0;
  for (const a of arms) {
    for (let i = 0; i < a.metric.length; i++) {
      my += a.metric[i]!;
      mx += a.covariate[i]!;
    }
    n += a.metric.length;
  }
  my /= n;
  mx /= n;
  let sxy = 0;
  let sxx = 0;
  for (const a of arms) {
    for (let i = 0; i < a.metric.length; i++) {
      const dx = a.covariate[i]! - mx;
      sxx += dx * dx;
      sxy += dx * (a.metric[i]! - my);
    }
  }
  // A constant covariate carries no information: no adjustment rather than a division by zero.
  const theta = sxx > 0 ? sxy / sxx : 0;
  const adjust = (a: CupedArm): Float64Array => {
    const out = new Float64Array(a.metric.length);
    for (let i = 0; i < out.length; i++) out[i] = a.metric[i]! - theta * (a.covariate[i]! - mx);
    return out;
  };
  const adjustedControl = summarize(adjust(control), 'control.metric');
  const adjustedTreatment = summarize(adjust(treatment), 'treatment.metric');
  const rawControl = summarize(control.metric, 'control.metric');
  const rawTreatment = summarize(treatment.metric, 'treatment.metric');
  const test = welchTestFromSummaries(adjustedControl, adjustedTreatment, confidence);
  const unadjusted = welchTestFromSummaries(rawControl, rawTreatment, confidence);
  return {
    theta,
    covariateMean: mx,
    adjustedControl,
    adjustedTreatment,
    varianceReduction: 1 - (test.se * test.se) / (unadjusted.se * unadjusted.se),
    test,
    unadjusted,
  };
}
