/**
 * The BG/BB model for discrete transaction opportunities (Fader, Hardie & Shang 2010,
 * "Customer-base analysis in a discrete-time noncontractual setting", Marketing Science
 * 29(6)): at each of n opportunities (a yearly donation drive, a monthly product holding) a
 * customer who is alive transacts with probability p ~ Beta(alpha, beta), and before each
 * later opportunity drops out with probability theta ~ Beta(gamma, delta).
 *
 * A customer with x transactions, the last at opportunity t_x, out of n has
 *   L = B(alpha+x, beta+n-x)/B(alpha,beta) * B(gamma, delta+n)/B(gamma,delta)
 *     + sum_{i=0}^{n-t_x-1} B(alpha+x, beta+t_x-x+i)/B(alpha,beta) * B(gamma+1, delta+t_x+i)/B(gamma,delta).
 * (x, t_x, n) is a sufficient summary, so rows are first merged into distinct patterns with
 * counts: a million customers with six opportunities cost the same as 22 rows.
 */
import { ValidationError, type FieldIssue } from '../../core/errors.js';
import { bfgs } from '../optimize/bfgs.js';
import { invert, numericHessian } from '../optimize/hessian.js';
import { logGamma } from '../stats/incompleteGamma.js';

/** BG/BB parameters: transaction probability Beta(alpha, beta), dropout probability Beta(gamma, delta). */
export interface BgBbParams {
  alpha: number;
  beta: number;
  gamma: number;
  delta: number;
}

/** Per row: transactions x, opportunity of the last one t_x (0 without any), opportunities n, and how many customers the row stands for. */
export interface BgBbSummary {
  frequency: Float64Array;
  recency: Float64Array;
  n: Float64Array;
  /** Customers per row; absent = 1 each. */
  weight?: Float64Array;
}

/** A fitted BG/BB. */
export interface BgBbFit {
  params: BgBbParams;
  /** From the observed information (numeric Hessian of the log-likelihood) at the optimum; NaN where singular. */
  standardErrors: BgBbParams;
  logLikelihood: number;
  customers: number;
  /** Distinct (x, t_x, n) patterns the customers fall into. */
  patterns: number;
  iterations: number;
  converged: boolean;
  warnings: string[];
}

const toParams = (v: readonly number[]): BgBbParams => ({ alpha: v[0]!, beta: v[1]!, gamma: v[2]!, delta: v[3]! });
const logBeta = (a: number, b: number): number => logGamma(a) + logGamma(b) - logGamma(a + b);

/** Throws a ValidationError naming the first rows that break the model's rules. */
export function validateBgBb(s: BgBbSummary): void {
  const rows = s.frequency.length;
  const issues: FieldIssue[] = [];
  if (s.recency.length !== rows || s.n.length !== rows || (s.weight && s.weight.length !== rows)) {
    issues.push({ field: 'summary', rule: 'same_length', message: 'frequency, recency, n (and weight) must have one value per row' });
  }
  if (rows === 0) issues.push({ field: 'summary', rule: 'non_empty', message: 'needs at least one row' });
  for (let i = 0; i < rows && issues.length < 5; i++) {
    const [x, tx, n] = [s.frequency[i]!, s.recency[i]!, s.n[i]!];
    const w = s.weight ? s.weight[i]! : 1;
    if (!(Number.isInteger(n) && n >= 1)) issues.push({ field: `n[${i}]`, rule: 'positive_integer', message: `is ${n}` });
    else if (!(Number.isInteger(x) && x >= 0 && x <= n)) issues.push({ field: `frequency[${i}]`, rule: 'integer_0_to_n', message: `is ${x} with n = ${n}` });
    else if (!(Number.isInteger(tx) && tx <= n && (x === 0 ? tx === 0 : tx >= x))) {
      issues.push({ field: `recency[${i}]`, rule: 'between_x_and_n', message: `is ${tx} with frequency ${x} and n = ${n} (0 when frequency is 0)` });
    } else if (!(w >= 0 && Number.isFinite(w))) issues.push({ field: `weight[${i}]`, rule: 'non_negative', message: `is ${w}` });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Distinct (x, t_x, n) patterns with summed weights. */
function patternsOf(s: BgBbSummary): { x: number[]; tx: number[]; n: number[]; w: number[] } {
  const index = new Map<string, number>();
  const out = { x: [] as number[], tx: [] as number[], n: [] as number[], w: [] as number[] };
  for (let i = 0; i < s.frequency.length; i++) {
    const w = s.weight ? s.weight[i]! : 1;
    if (w === 0) continue;
    const key = `${s.frequency[i]},${s.recency[i]},${s.n[i]}`;
    const k = index.get(key);
    if (k !== undefined) out.w[k] = out.w[k]! + w;
    else {
      index.set(key, out.x.length);
      out.x.push(s.frequency[i]!);
      out.tx.push(s.recency[i]!);
      out.n.push(s.n[i]!);
      out.w.push(w);
    }
  }
  return out;
}

/** log L of one customer with history (x, t_x, n). */
export function bgBbLogLikelihoodOne(p: BgBbParams, x: number, tx: number, n: number): number {
  const { alpha, beta, gamma, delta } = p;
  const b0 = logBeta(alpha, beta);
  const d0 = logBeta(gamma, delta);
  const terms = [logBeta(alpha + x, beta + n - x) - b0 + logBeta(gamma, delta + n) - d0];
  for (let i = 0; i < n - tx; i++) terms.push(logBeta(alpha + x, beta + tx - x + i) - b0 + logBeta(gamma + 1, delta + tx + i) - d0);
  const top = Math.max(...terms);
  return top + Math.log(terms.reduce((acc, t) => acc + Math.exp(t - top), 0));
}

/** Total log-likelihood of a summary (weighted). */
export function bgBbLogLikelihood(p: BgBbParams, s: BgBbSummary): number {
  const pat = patternsOf(s);
  return patternLogLikelihood(p, pat);
}

function patternLogLikelihood(p: BgBbParams, pat: ReturnType<typeof patternsOf>): number {
  if (!(p.alpha > 0 && p.beta > 0 && p.gamma > 0 && p.delta > 0)) return -Infinity;
  let ll = 0;
  for (let k = 0; k < pat.x.length; k++) ll += pat.w[k]! * bgBbLogLikelihoodOne(p, pat.x[k]!, pat.tx[k]!, pat.n[k]!);
  return ll;
}

/**
 * Fits the BG/BB by maximum likelihood: BFGS on log-parameters with central-difference
 * gradients (the summary is a handful of patterns, so the likelihood is cheap), standard
 * errors from the numeric Hessian at the optimum.
 */
export function fitBgBb(s: BgBbSummary, options: { start?: BgBbParams } = {}): BgBbFit {
  validateBgBb(s);
  const pat = patternsOf(s);
  const customers = pat.w.reduce((a, b) => a + b, 0);
  if (!(customers > 0)) throw new ValidationError([{ field: 'weight', rule: 'positive_total', message: 'the weights sum to 0' }]);
  const meanNegLL = (theta: readonly number[]) => -patternLogLikelihood(toParams(theta.map(Math.exp)), pat) / customers;
  const objective = (theta: readonly number[]) => {
    const value = meanNegLL(theta);
    const gradient = theta.map((_, i) => {
      const h = 1e-6;
      const up = Array.from(theta);
      const down = Array.from(theta);
      up[i] = up[i]! + h;
      down[i] = down[i]! - h;
      return (meanNegLL(up) - meanNegLL(down)) / (2 * h);
    });
    return { value, gradient };
  };
  const first = options.start ?? { alpha: 1, beta: 1, gamma: 1, delta: 1 };
  const result = bfgs(objective, [first.alpha, first.beta, first.gamma, first.delta].map(Math.log), { gradientTolerance: 1e-7, maxIterations: 500 });
  const estimate = result.x.map(Math.exp);
  const information = numericHessian((v) => -patternLogLikelihood(toParams(v), pat), estimate);
  let se: number[];
  try {
    se = invert(information).map((row, i) => (row[i]! > 0 ? Math.sqrt(row[i]!) : NaN));
  } catch {
    se = estimate.map(() => NaN);
  }
  const warnings: string[] = [];
  if (!result.converged) warnings.push(`the optimiser stopped after ${result.iterations} iterations without meeting its gradient tolerance`);
  const names = ['alpha', 'beta', 'gamma', 'delta'];
  const loose = estimate.flatMap((v, i) => (!Number.isFinite(se[i]!) || se[i]! > 10 * v || v > 1e5 || v < 1e-5 ? [names[i]!] : []));
  if (loose.length > 0) {
    warnings.push(`degenerate fit: ${loose.join(', ')} ${loose.length === 1 ? 'is' : 'are'} not identified by the data (at a limit of the model or with a standard error over ten times the estimate)`);
  }
  return {
    params: toParams(estimate),
    standardErrors: toParams(se),
    logLikelihood: -result.value * customers,
    customers,
    patterns: pat.x.length,
    iterations: result.iterations,
    converged: result.converged && loose.length === 0,
    warnings,
  };
}

/** P(alive at opportunity n+1 | x, t_x, n). */
export function bgBbProbabilityAlive(p: BgBbParams, x: number, tx: number, n: number): number {
  const lead = logBeta(p.alpha + x, p.beta + n - x) - logBeta(p.alpha, p.beta) + logBeta(p.gamma, p.delta + n + 1) - logBeta(p.gamma, p.delta);
  return Math.exp(lead - bgBbLogLikelihoodOne(p, x, tx, n));
}

/** E[transactions in the next nStar opportunities | x, t_x, n] (FHS 2010, eq. 13). */
export function bgBbConditionalExpectedTransactions(p: BgBbParams, nStar: number, x: number, tx: number, n: number): number {
  const { alpha, beta, gamma, delta } = p;
  if (gamma === 1) throw new ValidationError([{ field: 'gamma', rule: 'not_1', message: 'the BG/BB expectation is undefined at exactly gamma = 1' }]);
  const lead = Math.exp(logBeta(alpha + x + 1, beta + n - x) - logBeta(alpha, beta) - bgBbLogLikelihoodOne(p, x, tx, n));
  const scale = (delta / (gamma - 1)) * Math.exp(logGamma(gamma + delta) - logGamma(1 + delta));
  const now = Math.exp(logGamma(1 + delta + n) - logGamma(gamma + delta + n));
  const later = Math.exp(logGamma(1 + delta + n + nStar) - logGamma(gamma + delta + n + nStar));
  return lead * scale * (now - later);
}

/** P(X(n) = x): the share of new customers with x transactions in their first n opportunities (FHS 2010, eq. 8). */
export function bgBbProbabilityOfTransactions(p: BgBbParams, x: number, n: number): number {
  const { alpha, beta, gamma, delta } = p;
  const logChoose = (m: number, k: number) => logGamma(m + 1) - logGamma(k + 1) - logGamma(m - k + 1);
  const b0 = logBeta(alpha, beta);
  const d0 = logBeta(gamma, delta);
  let total = Math.exp(logChoose(n, x) + logBeta(alpha + x, beta + n - x) - b0 + logBeta(gamma, delta + n) - d0);
  for (let i = x; i < n; i++) total += Math.exp(logChoose(i, x) + logBeta(alpha + x, beta + i - x) - b0 + logBeta(gamma + 1, delta + i) - d0);
  return total;
}
