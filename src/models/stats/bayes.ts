/**
 * Bayesian A/B comparisons: the chance that treatment beats control and the expected loss of
 * choosing each arm (the regret if it is in fact the worse one), as VWO's SmartStats and
 * GrowthBook report them.
 *
 * Conversion rates: Beta-Binomial. With prior Beta(α₀, β₀), x conversions of n give the
 * posterior Beta(α₀ + x, β₀ + n − x). P(p_t > p_c) = ∫ f_t(u) F_c(u) du is computed exactly by
 * Evan Miller's sum when the treatment's α is a whole number (uniform or other integer priors),
 * and by adaptive quadrature (singular ends substituted away) otherwise.
 * The expected loss of choosing treatment, E[max(p_c − p_t, 0)], follows from x·f(x; α, β) =
 * m·f(x; α + 1, β) (m the mean):  E = m_c·P(p_c⁺ > p_t) − m_t·P(p_c > p_t⁺), where ⁺ adds 1 to α.
 *
 * Means (revenue, balances): Normal with a flat prior (the posterior of an arm's mean is
 * N(x̄, s²/n)) or a weak conjugate normal prior N(μ₀, σ₀²). The difference is normal, so the
 * chance to beat is Φ(m/s) and the expected loss is s·φ(m/s) − m·Φ(−m/s) in closed form.
 */
import { checkSuccesses, checkTrials, checkVariance, invalid } from './checks.js';
import { betaDensity, betaQuantile, logBeta, regularizedBeta } from './incompleteBeta.js';
import { integrate } from './integrate.js';
import { normalCdf, normalQuantile } from './normal.js';
import type { ArmConversions } from './proportions.js';

/** A Beta distribution's shape parameters. */
export interface BetaShape {
  alpha: number;
  beta: number;
}

const MAX_EXACT_TERMS = 100_000;

/** P(Y > X) for X ~ Beta(x.alpha, x.beta), Y ~ Beta(y.alpha, y.beta), independent. */
export function probabilityBetaGreater(x: BetaShape, y: BetaShape): number {
  for (const [name, s] of [['x', x], ['y', y]] as const) {
    if (!(s.alpha > 0 && s.beta > 0 && Number.isFinite(s.alpha) && Number.isFinite(s.beta))) {
      invalid(name, 'beta_shape', `needs finite alpha > 0 and beta > 0, got ${s.alpha}, ${s.beta}`);
    }
  }
  if (Number.isInteger(y.alpha) && y.alpha <= MAX_EXACT_TERMS) return exactProbabilityGreater(x, y);
  return numericalProbabilityGreater(x, y);
}

/**
 * Evan Miller's closed form, "Formulas for Bayesian A/B Testing" (2015):
 * P(Y > X) = Σ_{i=0}^{α_Y−1} B(α_X + i, β_X + β_Y) / ((β_Y + i) B(1 + i, β_Y) B(α_X, β_X)).
 */
export function exactProbabilityGreater(x: BetaShape, y: BetaShape): number {
  if (!Number.isInteger(y.alpha)) invalid('y.alpha', 'integer', `the exact sum needs a whole alpha, got ${y.alpha}`);
  const base = logBeta(x.alpha, x.beta);
  let total = 0;
  for (let i = 0; i < y.alpha; i++) {
    total += Math.exp(logBeta(x.alpha + i, x.beta + y.beta) - Math.log(y.beta + i) - logBeta(1 + i, y.beta) - base);
  }
  return Math.min(1, total);
}

/**
 * P(Y > X) = ∫ f_Y(u) F_X(u) du by adaptive Simpson, split at Y's median. A shape below 1 makes
 * f_Y infinite at that end (Jeffreys prior, no conversions yet); there u = s^(1/α) (or
 * 1 − u = s^(1/β)) turns u^(α−1) du into ds/α, a bounded integrand. Ends with shape >= 1 are
 * cut at Y's 1e-15 tail quantiles.
 */
export function numericalProbabilityGreater(x: BetaShape, y: BetaShape): number {
  const { alpha: a, beta: b } = y;
  const logB = logBeta(a, b);
  const cdfX = (u: number): number => regularizedBeta(u, x.alpha, x.beta);
  const opts = { absoluteTolerance: 1e-13 };
  const median = betaQuantile(0.5, a, b);
  let left: number;
  if (a < 1) {
    left = integrate((s) => {
      const u = Math.pow(s, 1 / a);
      return (Math.exp((b - 1) * Math.log1p(-u) - logB) / a) * cdfX(u);
    }, 0, Math.pow(median, a), opts);
  } else {
    left = integrate((u) => betaDensity(u, a, b) * cdfX(u), betaQuantile(1e-15, a, b), median, opts);
  }
  let right: number;
  if (b < 1) {
    right = integrate((s) => {
      const u = 1 - Math.pow(s, 1 / b);
      return (Math.exp((a - 1) * Math.log(u) - logB) / b) * cdfX(u);
    }, 0, Math.pow(1 - median, b), opts);
  } else {
    right = integrate((u) => betaDensity(u, a, b) * cdfX(u), median, betaQuantile(1e-15, a, b, true), opts);
  }
  return Math.min(1, Math.max(0, left + right));
}

/** E[max(X − Y, 0)] for independent Beta X and Y: what choosing Y loses when X is better. */
export function expectedBetaShortfall(x: BetaShape, y: BetaShape): number {
  const mx = x.alpha / (x.alpha + x.beta);
  const my = y.alpha / (y.alpha + y.beta);
  const xPlus = { alpha: x.alpha + 1, beta: x.beta };
  const yPlus = { alpha: y.alpha + 1, beta: y.beta };
  // E[X·1{X>Y}] = m_x P(X⁺ > Y) and E[Y·1{X>Y}] = m_y P(X > Y⁺)
  return Math.max(0, mx * probabilityBetaGreater(y, xPlus) - my * probabilityBetaGreater(yPlus, x));
}

/** A Bayesian comparison of two arms. */
export interface BayesianComparison<P> {
  control: P;
  treatment: P;
  /** P(treatment's true value > control's). */
  chanceToBeatControl: number;
  /** E[max(control − treatment, 0)]: expected regret of shipping treatment. */
  expectedLossTreatment: number;
  /** E[max(treatment − control, 0)]: expected regret of keeping control. */
  expectedLossControl: number;
}

/** Posterior of a conversion rate, with its mean and central credible interval. */
export interface BetaPosterior extends BetaShape {
  mean: number;
  credibleInterval: [number, number];
}

function betaPosterior(arm: ArmConversions, prior: BetaShape, field: string, credibility: number): BetaPosterior {
  checkTrials(arm.n, `${field}.n`);
  checkSuccesses(arm.conversions, arm.n, `${field}.conversions`);
  const alpha = prior.alpha + arm.conversions;
  const beta = prior.beta + arm.n - arm.conversions;
  const tail = (1 - credibility) / 2;
  return {
    alpha,
    beta,
    mean: alpha / (alpha + beta),
    credibleInterval: [betaQuantile(tail, alpha, beta), betaQuantile(tail, alpha, beta, true)],
  };
}

/** Beta-Binomial comparison of conversion rates; the default prior is uniform, Beta(1, 1). */
export function betaBinomialComparison(
  control: ArmConversions,
  treatment: ArmConversions,
  prior: BetaShape = { alpha: 1, beta: 1 },
  credibility = 0.95,
): BayesianComparison<BetaPosterior> {
  if (!(prior.alpha > 0 && prior.beta > 0)) invalid('prior', 'beta_shape', `needs alpha > 0 and beta > 0, got ${prior.alpha}, ${prior.beta}`);
  const c = betaPosterior(control, prior, 'control', credibility);
  const t = betaPosterior(treatment, prior, 'treatment', credibility);
  return {
    control: c,
    treatment: t,
    chanceToBeatControl: probabilityBetaGreater(c, t),
    expectedLossTreatment: expectedBetaShortfall(c, t),
    expectedLossControl: expectedBetaShortfall(t, c),
  };
}

/** A normal distribution for an arm's mean. */
export interface NormalPosterior {
  mean: number;
  variance: number;
  credibleInterval: [number, number];
}

/** An arm's observed mean and the variance of that mean (s²/n). */
export interface MeanEstimate {
  mean: number;
  varianceOfMean: number;
}

/** A normal prior on an arm's mean. */
export interface NormalPrior {
  mean: number;
  variance: number;
}

function normalPosterior(arm: MeanEstimate, prior: NormalPrior | undefined, field: string, z: number): NormalPosterior {
  if (!Number.isFinite(arm.mean)) invalid(`${field}.mean`, 'finite', `must be finite, got ${arm.mean}`);
  checkVariance(arm.varianceOfMean, `${field}.varianceOfMean`);
  if (arm.varianceOfMean === 0) invalid(`${field}.varianceOfMean`, 'positive', 'must be > 0');
  let mean = arm.mean;
  let variance = arm.varianceOfMean;
  if (prior) {
    const precision = 1 / prior.variance + 1 / arm.varianceOfMean;
    mean = (prior.mean / prior.variance + arm.mean / arm.varianceOfMean) / precision;
    variance = 1 / precision;
  }
  const sd = Math.sqrt(variance);
  return { mean, variance, credibleInterval: [mean - z * sd, mean + z * sd] };
}

/** E[max(D, 0)] for D ~ N(m, s²). */
function normalPositivePart(m: number, s: number): number {
  const r = m / s;
  return s * Math.exp(-0.5 * r * r) / Math.sqrt(2 * Math.PI) + m * normalCdf(r);
}

/** Normal comparison of arm means; flat prior unless `prior` (the same for both arms) is given. */
export function normalComparison(
  control: MeanEstimate,
  treatment: MeanEstimate,
  prior?: NormalPrior,
  credibility = 0.95,
): BayesianComparison<NormalPosterior> {
  if (prior && !(prior.variance > 0 && Number.isFinite(prior.mean))) {
    invalid('prior', 'normal_prior', `needs a finite mean and variance > 0, got ${prior.mean}, ${prior.variance}`);
  }
  const z = normalQuantile(1 - (1 - credibility) / 2);
  const c = normalPosterior(control, prior, 'control', z);
  const t = normalPosterior(treatment, prior, 'treatment', z);
  const m = t.mean - c.mean;
  const s = Math.sqrt(c.variance + t.variance);
  return {
    control: c,
    treatment: t,
    chanceToBeatControl: normalCdf(m / s),
    expectedLossTreatment: normalPositivePart(-m, s),
    expectedLossControl: normalPositivePart(m, s),
  };
}
