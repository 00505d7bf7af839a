/**
 * Always-valid inference so an experiment can be read every day without inflating false
 * positives: the mixture sequential probability ratio test (mSPRT) with a normal mixture
 * (Johari, Koomen, Pekelis & Walsh, "Always Valid Inference: Continuous Monitoring of A/B
 * Tests", Operations Research 2022 / arXiv 1512.04922, 2017; the method behind Optimizely's
 * Stats Engine and, in its confidence-sequence form (Howard et al. 2021), Eppo's sequential mode).
 *
 * At each look the estimate Δ̂ (a difference of rates, means, CUPED-adjusted or delta-method
 * ratios: anything asymptotically normal) has variance V. Mixing the likelihood ratio over
 * θ ~ N(θ₀, τ²) gives
 *   Λ = √(V/(V+τ²)) · exp(τ² (Δ̂ − θ₀)² / (2V(V+τ²)))
 * Λ is a nonnegative martingale under H0, so by Ville's inequality P(sup Λ ≥ 1/α) ≤ α; the
 * always-valid p-value is the running minimum of 1/Λ and the confidence sequence is
 *   Δ̂ ± √( V(V+τ²)/τ² · (2 ln(1/α) + ln((V+τ²)/V)) ),
 * intersected with every earlier interval. The guarantee is exact for normal data with known
 * V and asymptotic when V is estimated from the data, as here.
 *
 * The mixing variance τ² sets where the test is sharpest. `mixingVarianceForHorizon` picks the
 * τ² that makes the interval narrowest when the variance has fallen to its planned final value
 * V_h: minimising (1+r)/r·(2 ln(1/α) + ln(1+r)) over r = τ²/V_h gives r = 2 ln(1/α) + ln(1+r)
 * (r ≈ 8.1 at α = 0.05), so τ² = r·V_h. Looks before the horizon are wider; after it the
 * interval keeps shrinking, only less than it could.
 */
import { checkVariance, invalid } from './checks.js';

/** One look at the experiment: the current estimate of the effect and its variance. */
export interface SequentialLook {
  estimate: number;
  variance: number;
}

/** Settings of the mSPRT. */
export interface MsprtSettings {
  /** τ², the variance of the normal mixture over effects; on the scale of the estimate squared. */
  mixingVariance: number;
  /** Error rate α: P(ever rejecting a true null) <= α; intervals cover with probability 1 − α at all looks at once. */
  alpha?: number;
  /** The effect under the null hypothesis (0: no difference). */
  nullValue?: number;
}

/** What one look says, with the running p-value and interval over all looks so far. */
export interface SequentialResult {
  estimate: number;
  variance: number;
  /** Mixture likelihood ratio at this look. */
  likelihoodRatio: number;
  /** Always-valid p-value: min over looks so far of min(1, 1/Λ). */
  pValue: number;
  /** Always-valid interval: this look's interval intersected with every earlier one. */
  interval: [number, number];
  /** True once pValue <= α: the null can be rejected and the test stopped. */
  significant: boolean;
}

function checkSettings(s: MsprtSettings): { tau2: number; alpha: number; theta0: number } {
  const alpha = s.alpha ?? 0.05;
  if (!(s.mixingVariance > 0) || !Number.isFinite(s.mixingVariance)) {
    invalid('mixingVariance', 'positive', `must be a finite number > 0, got ${s.mixingVariance}`);
  }
  if (!(alpha > 0 && alpha < 1)) invalid('alpha', 'open_unit_interval', `must be in (0, 1), got ${alpha}`);
  const theta0 = s.nullValue ?? 0;
  if (!Number.isFinite(theta0)) invalid('nullValue', 'finite', `must be finite, got ${theta0}`);
  return { tau2: s.mixingVariance, alpha, theta0 };
}

/** log Λ of one look (in logs: Λ overflows long before the p-value stops being meaningful). */
export function msprtLogLikelihoodRatio(look: SequentialLook, mixingVariance: number, nullValue = 0): number {
  const v = look.variance;
  const d = look.estimate - nullValue;
  return 0.5 * Math.log(v / (v + mixingVariance)) + (mixingVariance * d * d) / (2 * v * (v + mixingVariance));
}

/** Half-width of one look's mSPRT interval (before intersecting with earlier looks). */
export function msprtHalfWidth(variance: number, mixingVariance: number, alpha: number): number {
  const v = variance;
  return Math.sqrt(((v * (v + mixingVariance)) / mixingVariance) * (2 * Math.log(1 / alpha) + Math.log((v + mixingVariance) / v)));
}

/** Runs the mSPRT over looks in time order and returns the always-valid result at each. */
export function alwaysValidSequence(looks: readonly SequentialLook[], settings: MsprtSettings): SequentialResult[] {
  const { tau2, alpha, theta0 } = checkSettings(settings);
  let pValue = 1;
  let lo = -Infinity;
  let hi = Infinity;
  return looks.map((look, i) => {
    if (!Number.isFinite(look.estimate)) invalid(`looks[${i}].estimate`, 'finite', `must be finite, got ${look.estimate}`);
    checkVariance(look.variance, `looks[${i}].variance`);
    if (look.variance === 0) invalid(`looks[${i}].variance`, 'positive', 'must be > 0 (no data yet?)');
    const logLr = msprtLogLikelihoodRatio(look, tau2, theta0);
    pValue = Math.min(pValue, Math.min(1, Math.exp(-logLr)));
    const half = msprtHalfWidth(look.variance, tau2, alpha);
    lo = Math.max(lo, look.estimate - half);
    hi = Math.min(hi, look.estimate + half);
    // The running intersection can become empty (under the model only with probability <= α,
    // in practice when the effect drifts over time); then the two crossed bounds are reported
    // in order, a narrow interval that the report should flag rather than a reversed one.
    const interval: [number, number] = lo <= hi ? [lo, hi] : [Math.min(lo, hi), Math.max(lo, hi)];
    return {
      estimate: look.estimate,
      variance: look.variance,
      likelihoodRatio: Math.exp(logLr),
      pValue,
      interval,
      significant: pValue <= alpha,
    };
  });
}

/** τ² that makes the always-valid interval narrowest when the estimate's variance is `varianceAtHorizon`. */
export function mixingVarianceForHorizon(varianceAtHorizon: number, alpha = 0.05): number {
  if (!(varianceAtHorizon > 0) || !Number.isFinite(varianceAtHorizon)) {
    invalid('varianceAtHorizon', 'positive', `must be a finite number > 0, got ${varianceAtHorizon}`);
  }
  if (!(alpha > 0 && alpha < 1)) invalid('alpha', 'open_unit_interval', `must be in (0, 1), got ${alpha}`);
  // r = 2 ln(1/α) + ln(1 + r) is a contraction (derivative 1/(1+r) < 1): fixed-point iteration.
  const c = 2 * Math.log(1 / alpha);
  let r = c;
  for (let i = 0; i < 200; i++) {
    const next = c + Math.log1p(r);
    if (Math.abs(next - r) < 1e-14 * next) return next * varianceAtHorizon;
    r = next;
  }
  return r * varianceAtHorizon;
}
