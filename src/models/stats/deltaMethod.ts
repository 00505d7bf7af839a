/**
 * Ratio metrics by the delta method (Deng, Knoblich & Lu, "Applying the Delta Method in Metric
 * Analytics", KDD 2018). When the randomisation unit (the customer) differs from the unit in
 * the metric's denominator (exposures, sessions, accounts), e.g. revenue per exposure, the
 * exposures of one customer are correlated, so treating them as independent understates the
 * variance. Instead each customer contributes a numerator Y_i and a denominator X_i, and
 *   R = Ȳ / X̄,  Var(R) ≈ (σ²_Y/μ²_X − 2 μ_Y σ_XY/μ³_X + μ²_Y σ²_X/μ⁴_X) / n
 * with sample (n − 1) moments. The relative lift R_t/R_c − 1 gets the same first-order
 * expansion: Var ≈ V_t/R_c² + R_t² V_c/R_c⁴.
 */
import { checkConfidence, checkFinite, checkMinLength, invalid } from './checks.js';
import { normalQuantile, normalSurvival, twoSidedNormalP } from './normal.js';

/** A ratio metric of one arm and its delta-method variance. */
export interface RatioEstimate {
  /** Number of randomisation units (customers). */
  n: number;
  meanNumerator: number;
  meanDenominator: number;
  ratio: number;
  variance: number;
}

/** Sums per arm, as a KPI job accumulates them from the log without keeping rows. */
export interface RatioSums {
  n: number;
  sumNumerator: number;
  sumDenominator: number;
  sumNumeratorSquared: number;
  sumDenominatorSquared: number;
  sumCrossProduct: number;
}

/** Per-customer numerator and denominator of one arm. */
export interface RatioArm {
  numerator: ArrayLike<number>;
  denominator: ArrayLike<number>;
}

/** Delta-method ratio estimate from per-customer numerators and denominators. */
export function ratioEstimate(arm: RatioArm, field = 'arm'): RatioEstimate {
  const { numerator: y, denominator: x } = arm;
  checkMinLength(y, 2, `${field}.numerator`);
  if (x.length !== y.length) invalid(`${field}.denominator`, 'length', `${x.length} denominators for ${y.length} numerators`);
  checkFinite(y, `${field}.numerator`);
  checkFinite(x, `${field}.denominator`);
  const n = y.length;
  let my = 0;
  let mx = 0;
  for (let i = 0; i < n; i++) {
    my += y[i]!;
    mx += x[i]!;
  }
  my /= n;
  mx /= n;
  // centred second moments in a second pass: the one-pass sums cancel badly for money amounts
  let syy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const dy = y[i]! - my;
    const dx = x[i]! - mx;
    syy += dy * dy;
    sxx += dx * dx;
    sxy += dx * dy;
  }
  return fromMoments(n, my, mx, syy / (n - 1), sxx / (n - 1), sxy / (n - 1), field);
}

/** Delta-method ratio estimate from running sums (one pass over the log). */
export function ratioEstimateFromSums(s: RatioSums, field = 'arm'): RatioEstimate {
  if (!Number.isInteger(s.n) || s.n < 2) invalid(`${field}.n`, 'min_value', `needs n >= 2, got ${s.n}`);
  const my = s.sumNumerator / s.n;
  const mx = s.sumDenominator / s.n;
  const k = 1 / (s.n - 1);
  return fromMoments(
    s.n,
    my,
    mx,
    k * (s.sumNumeratorSquared - s.n * my * my),
    k * (s.sumDenominatorSquared - s.n * mx * mx),
    k * (s.sumCrossProduct - s.n * mx * my),
    field,
  );
}

function fromMoments(n: number, my: number, mx: number, vy: number, vx: number, cxy: number, field: string): RatioEstimate {
  if (!(mx > 0)) invalid(`${field}.denominator`, 'positive_mean', `the mean denominator must be > 0, got ${mx}`);
  const ratio = my / mx;
  const variance = Math.max(0, (vy / (mx * mx) - (2 * my * cxy) / mx ** 3 + (my * my * vx) / mx ** 4) / n);
  return { n, meanNumerator: my, meanDenominator: mx, ratio, variance };
}

/** The comparison of a ratio metric between arms. */
export interface RatioComparison {
  control: RatioEstimate;
  treatment: RatioEstimate;
  /** treatment.ratio − control.ratio, its standard error, z, p and interval. */
  difference: number;
  se: number;
  z: number;
  pValue: number;
  pValueTreatmentGreater: number;
  interval: [number, number];
  /** treatment.ratio / control.ratio − 1 with its delta-method standard error and interval. */
  relativeLift: number;
  relativeSe: number;
  relativeInterval: [number, number];
  confidence: number;
}

/** Compares two arms' ratio estimates (normal approximation, independent arms). */
export function compareRatios(control: RatioEstimate, treatment: RatioEstimate, confidence = 0.95): RatioComparison {
  checkConfidence(confidence);
  if (!(control.ratio > 0)) invalid('control.ratio', 'positive', `the relative lift needs a control ratio > 0, got ${control.ratio}`);
  const crit = normalQuantile(1 - (1 - confidence) / 2);
  const difference = treatment.ratio - control.ratio;
  const se = Math.sqrt(control.variance + treatment.variance);
  const z = se > 0 ? difference / se : 0;
  const rc = control.ratio;
  const rt = treatment.ratio;
  const relativeLift = rt / rc - 1;
  const relativeSe = Math.sqrt(treatment.variance / (rc * rc) + (rt * rt * control.variance) / rc ** 4);
  return {
    control,
    treatment,
    difference,
    se,
    z,
    pValue: twoSidedNormalP(z),
    pValueTreatmentGreater: normalSurvival(z),
    interval: [difference - crit * se, difference + crit * se],
    relativeLift,
    relativeSe,
    relativeInterval: [relativeLift - crit * relativeSe, relativeLift + crit * relativeSe],
    confidence,
  };
}
