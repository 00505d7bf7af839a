/**
 * The Gamma-Gamma model of spend per transaction (Fader & Hardie 2013, "The Gamma-Gamma model
 * of monetary value"): each purchase's value is Gamma(p, nu) around a customer's mean, and
 * nu ~ Gamma(q, gamma) across customers. Fitted on customers with at least one repeat
 * purchase, from their number of repeat purchases x and the mean value of those, zbar:
 *   f(zbar | x) = G(px+q) / (G(px) G(q)) * gamma^q x^(px) zbar^(px-1) / (gamma + x zbar)^(px+q).
 * The model assumes spend is independent of purchase frequency; check that before use.
 */
import { ValidationError, type FieldIssue } from '../../core/errors.js';
import { nelderMead } from '../optimize/nelderMead.js';
import { standardErrors } from '../optimize/hessian.js';
import { logGamma } from '../stats/incompleteGamma.js';

/** Gamma-Gamma parameters (lifetimes calls gamma "v"). */
export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** A fitted Gamma-Gamma spend model. */
export interface GammaGammaFit {
  params: GammaGammaParams;
  standardErrors: GammaGammaParams;
  logLikelihood: number;
  /** Customers used: those with frequency > 0. */
  customers: number;
  converged: boolean;
}

const toParams = (v: readonly number[]): GammaGammaParams => ({ p: v[0]!, q: v[1]!, gamma: v[2]! });

/** Log-likelihood of (frequency, mean spend) pairs; customers with frequency 0 are skipped. */
export function gammaGammaLogLikelihood(params: GammaGammaParams, frequency: Float64Array, monetary: Float64Array): number {
  const { p, q, gamma } = params;
  if (!(p > 0 && q > 0 && gamma > 0)) return -Infinity;
  const base = q * Math.log(gamma) - logGamma(q);
  let ll = 0;
  for (let i = 0; i < frequency.length; i++) {
    const x = frequency[i]!;
    if (x === 0) continue;
    const m = monetary[i]!;
    const px = p * x;
    ll += logGamma(px + q) - logGamma(px) + base + (px - 1) * Math.log(m) + px * Math.log(x) - (px + q) * Math.log(gamma + x * m);
  }
  return ll;
}

function validate(frequency: Float64Array, monetary: Float64Array): number {
  const issues: FieldIssue[] = [];
  if (frequency.length !== monetary.length) issues.push({ field: 'monetary', rule: 'same_length', message: 'needs one value per customer' });
  let used = 0;
  for (let i = 0; i < frequency.length && issues.length < 5; i++) {
    if (frequency[i]! === 0) continue;
    used++;
    if (!(monetary[i]! > 0)) issues.push({ field: `monetary[${i}]`, rule: 'positive', message: `is ${monetary[i]}; spend must be positive for a customer with repeat purchases` });
  }
  if (used < 3) issues.push({ field: 'frequency', rule: 'enough_repeat_customers', message: `only ${used} customers have repeat purchases; need at least 3` });
  if (issues.length > 0) throw new ValidationError(issues);
  return used;
}

/** Fits the Gamma-Gamma by maximum likelihood (Nelder-Mead on log-parameters, restarted once from its end). */
export function fitGammaGamma(frequency: Float64Array, monetary: Float64Array): GammaGammaFit {
  const used = validate(frequency, monetary);
  const objective = (theta: readonly number[]) => -gammaGammaLogLikelihood(toParams(theta.map(Math.exp)), frequency, monetary) / used;
  // A restart from the first answer guards against the simplex collapsing early on a ridge.
  let result = nelderMead(objective, [0, 0, 0], { fTolerance: 1e-14, xTolerance: 1e-10 });
  result = nelderMead(objective, result.x, { fTolerance: 1e-14, xTolerance: 1e-10, initialStep: 0.05 });
  const estimate = result.x.map(Math.exp);
  const se = standardErrors((v) => -gammaGammaLogLikelihood(toParams(v), frequency, monetary), estimate);
  return {
    params: toParams(estimate),
    standardErrors: toParams(se),
    logLikelihood: -result.value * used,
    customers: used,
    converged: result.converged,
  };
}

/**
 * E[spend per transaction | x, zbar]: a weighted mean of the population mean p*gamma/(q-1)
 * and the customer's own zbar, the weight on zbar growing with x. Customers with no repeat
 * purchase get the population mean.
 */
export function conditionalExpectedSpend(params: GammaGammaParams, x: number, zbar: number): number {
  const { p, q, gamma } = params;
  if (!(q > 1)) throw new ValidationError([{ field: 'q', rule: 'greater_than_1', message: `the mean spend is infinite unless q > 1, got ${q}` }]);
  if (x === 0) return (p * gamma) / (q - 1);
  return (p * (gamma + x * zbar)) / (p * x + q - 1);
}
