/**
 * The BG/NBD model of repeat purchasing (Fader, Hardie & Lee 2005, "Counting your customers
 * the easy way"): while alive a customer buys at a Poisson rate lambda ~ Gamma(r, alpha),
 * and after each purchase drops out with probability p ~ Beta(a, b).
 *
 * Per customer with x repeat purchases, last at t_x, observed for T:
 *   L = B(a, b+x)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+T)^(r+x))
 *     + [x>0] B(a+1, b+x-1)/B(a, b) * G(r+x) alpha^r / (G(r) (alpha+t_x)^(r+x)).
 * Because x is a whole number, G(r+x)/G(r) = prod_{j<x} (r+j) and likewise for the Beta
 * ratios: the fit precomputes these products once per distinct x, so each likelihood
 * evaluation costs two logarithms and one exponential per customer and needs no log-gamma.
 */
import { ValidationError } from '../../core/errors.js';
import { bfgs } from '../optimize/bfgs.js';
import { hessianFromGradient, invert } from '../optimize/hessian.js';
import { hyp2f1 } from './hypergeometric.js';
import { customerCount, maxFrequency, validateRfm, type RfmSummary } from './rfm.js';

/** BG/NBD parameters: purchase rate Gamma(r, alpha), dropout Beta(a, b). */
export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** Why a fit's parameters are not identified by the data. */
export interface DegenerateFit {
  /**
   * `no_dropout`: a/(a+b) -> 0, nobody seems to drop out (the NBD limit), a and b run off;
   * `homogeneous_dropout`: a, b -> infinity at a fixed a/(a+b), everyone drops out alike;
   * `unidentified`: the information matrix is singular or a parameter's error exceeds it tenfold.
   */
  kind: 'no_dropout' | 'homogeneous_dropout' | 'unidentified';
  message: string;
}

/** A fitted BG/NBD: parameters, standard errors, log-likelihood and how the optimiser ended. */
export interface BgNbdFit {
  params: BgNbdParams;
  /** From the observed information at the optimum; NaN (null in JSON) where a parameter is not identified. */
  standardErrors: BgNbdParams;
  logLikelihood: number;
  /** Customers the fit stands for (the sum of the row weights). */
  customers: number;
  iterations: number;
  /** The optimiser stopped at a stationary point and the parameters are identified. */
  converged: boolean;
  /** Set when the optimum sits at a limit of the model: the parameters must not be read as estimates. */
  degenerate: DegenerateFit | null;
  warnings: string[];
}

const toParams = (v: readonly number[]): BgNbdParams => ({ r: v[0]!, alpha: v[1]!, a: v[2]!, b: v[3]! });

/**
 * Total log-likelihood and its gradient with respect to (r, alpha, a, b).
 * Constants are kept, so the value is comparable with the published -9582.4 on CDNOW.
 */
export function bgNbdLogLikelihood(params: BgNbdParams, s: RfmSummary): { value: number; gradient: number[] } {
  const { r, alpha, a, b } = params;
  const maxX = maxFrequency(s);
  // Per-frequency sums: log of prod_{j<x} (r+j)(b+j)/(a+b+j) and the matching digamma differences.
  const logCoef = new Float64Array(maxX + 1);
  const dR = new Float64Array(maxX + 1);
  const dB = new Float64Array(maxX + 1);
  const dAB = new Float64Array(maxX + 1);
  const logBx = new Float64Array(maxX + 1); // log(b + x - 1), the dropout odds' denominator
  for (let x = 1; x <= maxX; x++) {
    const j = x - 1;
    logBx[x] = Math.log(b + j);
    logCoef[x] = logCoef[j]! + Math.log(r + j) + Math.log(b + j) - Math.log(a + b + j);
    dR[x] = dR[j]! + 1 / (r + j);
    dB[x] = dB[j]! + 1 / (b + j);
    dAB[x] = dAB[j]! + 1 / (a + b + j);
  }
  const logA = Math.log(a);
  const logAlpha = Math.log(alpha);
  let ll = 0;
  let gR = 0;
  let gAlpha = 0;
  let gA = 0;
  let gB = 0;
  const n = s.frequency.length;
  const weights = s.weight;
  for (let i = 0; i < n; i++) {
    const wi = weights ? weights[i]! : 1;
    if (wi === 0) continue;
    const x = s.frequency[i]!;
    const T = s.T[i]!;
    const rx = r + x;
    const logAT = Math.log(alpha + T);
    const a3 = -rx * logAT;
    let lse = a3;
    let w = 0; // posterior weight of "dropped out after the last purchase"
    let logATx = 0;
    if (x > 0) {
      logATx = Math.log(alpha + s.recency[i]!);
      const a4 = logA - logBx[x]! - rx * logATx;
      if (a4 > a3) {
        const e = Math.exp(a3 - a4);
        lse = a4 + Math.log1p(e);
        w = 1 / (1 + e);
      } else {
        const e = Math.exp(a4 - a3);
        lse = a3 + Math.log1p(e);
        w = e / (1 + e);
      }
      gA += (wi * w) / a;
      gB -= (wi * w) / (b + x - 1);
    }
    ll += wi * (logCoef[x]! + lse);
    gR += wi * (dR[x]! - (1 - w) * logAT - w * logATx);
    gAlpha -= wi * rx * ((1 - w) / (alpha + T) + (x > 0 ? w / (alpha + s.recency[i]!) : 0));
    gB += wi * (dB[x]! - dAB[x]!);
    gA -= wi * dAB[x]!;
  }
  const customers = customerCount(s);
  ll += customers * r * logAlpha;
  gR += customers * logAlpha;
  gAlpha += (customers * r) / alpha;
  return { value: ll, gradient: [gR, gAlpha, gA, gB] };
}

/** BFGS on the mean negative log-likelihood per customer in log-parameter space. */
function minimizeNegLogLik(s: RfmSummary, start: readonly number[], initialInverseHessian?: number[][]) {
  const n = customerCount(s);
  // Mean per customer keeps the gradient's scale independent of the number of customers.
  const objective = (theta: readonly number[]) => {
    const p = theta.map(Math.exp);
    const { value, gradient } = bgNbdLogLikelihood(toParams(p), s);
    return { value: -value / n, gradient: gradient.map((g, i) => (-g * p[i]!) / n) };
  };
  return bfgs(objective, start, { gradientTolerance: 1e-8, maxIterations: 1000, ...(initialInverseHessian ? { initialInverseHessian } : {}) });
}

/** Every `step`-th customer: a deterministic subsample for a warm start. */
function everyNth(s: RfmSummary, step: number): RfmSummary {
  const pick = <T extends Float64Array>(a: T) => a.filter((_, i) => i % step === 0);
  return { frequency: pick(s.frequency), recency: pick(s.recency), T: pick(s.T), ...(s.weight ? { weight: pick(s.weight) } : {}) };
}

/**
 * Fits the BG/NBD by maximum likelihood (BFGS on log-parameters, analytic gradient). Past
 * `warmStartAbove` customers (200,000) it first fits every n-th customer (about
 * `warmStartSize`, 50,000) and starts the full fit from that answer and its curvature, so the
 * expensive passes over all customers only polish (4 iterations on a million).
 */
export function fitBgNbd(s: RfmSummary, options: { start?: BgNbdParams; warmStartAbove?: number; warmStartSize?: number } = {}): BgNbdFit {
  validateRfm(s);
  const n = s.frequency.length;
  const customers = customerCount(s);
  const first = options.start ?? { r: 1, alpha: 1, a: 1, b: 1 };
  let start = [first.r, first.alpha, first.a, first.b].map(Math.log);
  let initialInverseHessian: number[][] | undefined;
  const warmSize = options.warmStartSize ?? 50_000;
  if (n > (options.warmStartAbove ?? 200_000)) {
    const warm = minimizeNegLogLik(everyNth(s, Math.floor(n / warmSize)), start);
    start = warm.x;
    initialInverseHessian = warm.inverseHessian;
  }
  const result = minimizeNegLogLik(s, start, initialInverseHessian);
  const estimate = result.x.map(Math.exp);
  // Observed information from the analytic gradient: 8 likelihood passes instead of 33.
  const information = hessianFromGradient((v) => bgNbdLogLikelihood(toParams(v), s).gradient.map((g) => -g), estimate);
  const se = standardErrorsOf(information);
  const degenerate = diagnose(toParams(estimate), se);
  const warnings: string[] = [];
  if (degenerate) {
    warnings.push(degenerate.message);
    // Conditional on the limit, the purchase-rate part (r, alpha) is still estimated.
    if (!se.slice(0, 2).every(Number.isFinite)) {
      const sub = standardErrorsOf(information.slice(0, 2).map((row) => row.slice(0, 2)));
      se[0] = sub[0]!;
      se[1] = sub[1]!;
    }
    if (degenerate.kind !== 'unidentified') se[2] = se[3] = NaN;
  } else if (!result.converged) {
    warnings.push(`the optimiser stopped after ${result.iterations} iterations without meeting its gradient tolerance`);
  }
  return {
    params: toParams(estimate),
    standardErrors: toParams(se),
    logLikelihood: -result.value * customers,
    customers,
    iterations: result.iterations,
    converged: result.converged && degenerate === null,
    degenerate,
    warnings,
  };
}

/** Square roots of the inverse information's diagonal; NaN where it is singular or not positive. */
function standardErrorsOf(information: number[][]): number[] {
  try {
    return invert(information).map((row, i) => (row[i]! > 0 ? Math.sqrt(row[i]!) : NaN));
  } catch {
    return information.map(() => NaN);
  }
}

// A parameter past these bounds has run off to a limit of the model.
const RUN_OFF = 1e5;
const RELATIVE_ERROR = 10;

/** Tells a real optimum from one at the no-dropout or homogeneous-dropout limit. */
function diagnose(p: BgNbdParams, se: number[]): DegenerateFit | null {
  const meanDropout = p.a / (p.a + p.b);
  const values = [p.r, p.alpha, p.a, p.b];
  const unidentified = values.some((v, i) => !Number.isFinite(se[i]!) || se[i]! > RELATIVE_ERROR * v);
  const runOff = values.some((v) => v > RUN_OFF || v < 1 / RUN_OFF);
  if (!unidentified && !runOff) return null;
  if (meanDropout < 1e-3 && (p.a < 1 / RUN_OFF || p.b > RUN_OFF || unidentified)) {
    return {
      kind: 'no_dropout',
      message: `degenerate fit: the data sit at the BG/NBD's no-dropout limit (a = ${p.a.toPrecision(3)}, b = ${p.b.toPrecision(3)}, mean dropout per purchase a/(a+b) = ${meanDropout.toPrecision(3)}): no customer is seen to drop out, so a and b are not identified; r and alpha describe an NBD without attrition`,
    };
  }
  if (p.a > RUN_OFF && p.b > RUN_OFF) {
    return {
      kind: 'homogeneous_dropout',
      message: `degenerate fit: a and b run off together (a = ${p.a.toPrecision(3)}, b = ${p.b.toPrecision(3)}): every customer has the same dropout probability ${meanDropout.toPrecision(3)}, and a, b are not identified separately`,
    };
  }
  return {
    kind: 'unidentified',
    message: `degenerate fit: the information matrix does not pin the parameters down (standard errors ${se.map((v) => (Number.isFinite(v) ? v.toPrecision(3) : 'undefined')).join(', ')} for r, alpha, a, b)`,
  };
}

/**
 * (base / (base + d))^power, as exp(-power log1p(d / base)). Near the BG/NBD's Poisson limit
 * (r and alpha run off together, as fits to near-daily card spending do) base is ~1e238 and
 * the ratio rounds to exactly 1 in double precision, so Math.pow of the ratio gave 1 where
 * the answer is e^-27, and the expected purchases came out at -2e148 (regression:
 * test/fixtures/clv/bgnbd_poisson_limit.json).
 */
function powerOfRatio(d: number, base: number, power: number): number {
  return Math.exp(-power * Math.log1p(d / base));
}

/** Probability that a customer with (x, t_x, T) has not yet dropped out. */
export function probabilityAlive(p: BgNbdParams, x: number, tx: number, T: number): number {
  if (x === 0) return 1;
  const logOdds = Math.log(p.a) - Math.log(p.b + x - 1) + (p.r + x) * Math.log1p((T - tx) / (p.alpha + tx));
  return 1 / (1 + Math.exp(logOdds));
}

// The closed forms divide by a - 1; they hold on both sides of 1 (CDNOW's a is 0.79), only
// a = 1 itself is a removable singularity that a fitted value never hits exactly.
function notOne(a: number): void {
  if (a === 1) throw new ValidationError([{ field: 'a', rule: 'not_1', message: 'the BG/NBD expectations are undefined at exactly a = 1' }]);
}

/** E[X(t)]: expected purchases in (0, t] of a customer just acquired. */
export function expectedPurchases(p: BgNbdParams, t: number): number {
  notOne(p.a);
  const z = t / (p.alpha + t);
  return ((p.a + p.b - 1) / (p.a - 1)) * (1 - powerOfRatio(t, p.alpha, p.r) * hyp2f1(p.r, p.b, p.a + p.b - 1, z));
}

/** E[Y(t) | x, t_x, T]: expected purchases in the next t for a customer with this history. */
export function conditionalExpectedPurchases(p: BgNbdParams, t: number, x: number, tx: number, T: number): number {
  notOne(p.a);
  if (t === 0) return 0;
  const { r, alpha, a, b } = p;
  const z = t / (alpha + T + t);
  const head = ((a + b + x - 1) / (a - 1)) * (1 - powerOfRatio(t, alpha + T, r + x) * hyp2f1(r + x, b + x, a + b + x - 1, z));
  const tail = x > 0 ? (a / (b + x - 1)) / powerOfRatio(T - tx, alpha + tx, r + x) : 0;
  return head / (1 + tail);
}
