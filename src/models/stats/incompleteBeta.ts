/**
 * The regularised incomplete beta function I_x(a, b), its inverse (the beta quantile), and
 * Student's t distribution built on them. The continued fraction is Lentz's evaluation of
 * Numerical Recipes 6.4 (betacf), switched to the symmetric side when x > (a + 1)/(a + b + 2)
 * so it converges fast; the prefix x^a (1-x)^b / B(a, b) is taken in log space so that tails
 * far below 1e-300 do not underflow before they are multiplied out. The inverse starts from
 * NR 6.4's initial guess (invbetai) and refines by Halley steps inside a bisection bracket, so
 * it cannot wander out of (0, 1) and always converges.
 */
import { logGamma } from './incompleteGamma.js';

const EPS = 1e-16;
const TINY = 1e-300;
const MAX_ITER = 10_000;

const HALF_LOG_2PI = 0.5 * Math.log(2 * Math.PI);

/** Stirling's remainder δ(x) = log Γ(x) − ((x − ½) log x − x + ½ log 2π), for x >= 10. */
function stirlingRemainder(x: number): number {
  const x2 = 1 / (x * x);
  // Bernoulli-number series; at x = 10 the first omitted term is below 1e-16 of log Γ.
  return (
    (1 / 12 - x2 * (1 / 360 - x2 * (1 / 1260 - x2 * (1 / 1680 - x2 * (1 / 1188 - x2 * (691 / 360360 - x2 * (1 / 156 - x2 * (3617 / 122400)))))))) / x
  );
}

/**
 * log B(a, b). Large arguments take R's `lbeta` route (Stirling remainders, log1p), because
 * log Γ(a) + log Γ(b) − log Γ(a + b) cancels ~1e6-sized terms when a or b is ~1e5 and more.
 */
export function logBeta(a: number, b: number): number {
  const p = Math.min(a, b);
  const q = Math.max(a, b);
  if (p >= 10) {
    const corr = stirlingRemainder(p) + stirlingRemainder(q) - stirlingRemainder(p + q);
    return -0.5 * Math.log(q) + HALF_LOG_2PI + corr + (p - 0.5) * Math.log(p / (p + q)) + q * Math.log1p(-p / (p + q));
  }
  if (q >= 10) {
    const corr = stirlingRemainder(q) - stirlingRemainder(p + q);
    return logGamma(p) + corr + p - p * Math.log(p + q) + (q - 0.5) * Math.log1p(-p / (p + q));
  }
  return logGamma(p) + logGamma(q) - logGamma(p + q);
}

/** Continued fraction for I_x(a, b) without its prefix (NR betacf, modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITER; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < EPS) break;
  }
  return h;
}

function checkShape(a: number, b: number, what: string): void {
  if (!(a > 0) || !(b > 0) || !Number.isFinite(a) || !Number.isFinite(b)) {
    throw new RangeError(`${what} needs finite a > 0 and b > 0, got a=${a}, b=${b}`);
  }
}

/** Lower and upper tails [I_x(a, b), 1 − I_x(a, b)], each to full relative precision. */
function betaTails(x: number, a: number, b: number): [number, number] {
  if (x <= 0) return [0, 1];
  if (x >= 1) return [1, 0];
  const logPrefix = a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b);
  if (x < (a + 1) / (a + b + 2)) {
    const lower = Math.exp(logPrefix + Math.log(betaContinuedFraction(a, b, x) / a));
    return [lower, 1 - lower];
  }
  const upper = Math.exp(logPrefix + Math.log(betaContinuedFraction(b, a, 1 - x) / b));
  return [1 - upper, upper];
}

/** Regularised incomplete beta I_x(a, b) = P(X <= x) for X ~ Beta(a, b) (scipy `beta.cdf`). */
export function regularizedBeta(x: number, a: number, b: number): number {
  checkShape(a, b, 'regularizedBeta');
  if (Number.isNaN(x)) return NaN;
  return betaTails(x, a, b)[0];
}

/** 1 − I_x(a, b) = P(X > x) for X ~ Beta(a, b), accurate in the upper tail (scipy `beta.sf`). */
export function betaSurvival(x: number, a: number, b: number): number {
  checkShape(a, b, 'betaSurvival');
  if (Number.isNaN(x)) return NaN;
  return betaTails(x, a, b)[1];
}

/** Density of Beta(a, b) at x. */
export function betaDensity(x: number, a: number, b: number): number {
  checkShape(a, b, 'betaDensity');
  if (x < 0 || x > 1) return 0;
  if (x === 0) return a < 1 ? Infinity : a === 1 ? Math.exp(-logBeta(a, b)) : 0;
  if (x === 1) return b < 1 ? Infinity : b === 1 ? Math.exp(-logBeta(a, b)) : 0;
  return Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logBeta(a, b));
}

/** NR 6.4's starting point for the inverse (a normal approximation, or a power law for small shapes). */
function initialGuess(p: number, a: number, b: number): number {
  if (a >= 1 && b >= 1) {
    const pp = p < 0.5 ? p : 1 - p;
    const t = Math.sqrt(-2 * Math.log(pp));
    let z = (2.30753 + t * 0.27061) / (1 + t * (0.99229 + t * 0.04481)) - t;
    if (p < 0.5) z = -z;
    const al = (z * z - 3) / 6;
    const h = 2 / (1 / (2 * a - 1) + 1 / (2 * b - 1));
    const w = (z * Math.sqrt(al + h)) / h - (1 / (2 * b - 1) - 1 / (2 * a - 1)) * (al + 5 / 6 - 2 / (3 * h));
    return a / (a + b * Math.exp(2 * w));
  }
  const lna = Math.log(a / (a + b));
  const lnb = Math.log(b / (a + b));
  const t = Math.exp(a * lna) / a;
  const u = Math.exp(b * lnb) / b;
  const w = t + u;
  return p < t / w ? Math.pow(a * w * p, 1 / a) : 1 - Math.pow(b * w * (1 - p), 1 / b);
}

/**
 * Quantile of Beta(a, b): the x with I_x(a, b) = p (scipy `beta.ppf`). With `upper`, the x with
 * 1 − I_x(a, b) = p (scipy `beta.isf`), which keeps precision when p is a small upper tail.
 */
export function betaQuantile(p: number, a: number, b: number, upper = false): number {
  checkShape(a, b, 'betaQuantile');
  if (!(p >= 0 && p <= 1)) throw new RangeError(`betaQuantile needs 0 <= p <= 1, got ${p}`);
  const lowerP = upper ? 1 - p : p;
  if ((upper && p === 1) || (!upper && p === 0)) return 0;
  if ((upper && p === 0) || (!upper && p === 1)) return 1;
  // f(x) = (tail at x) − p, increasing in x for the lower tail and decreasing for the upper one.
  const f = (x: number): number => {
    const [lo, hi] = betaTails(x, a, b);
    return upper ? p - hi : lo - p;
  };
  let lo = 0;
  let hi = 1;
  let x = Math.min(Math.max(initialGuess(lowerP, a, b), 1e-300), 1 - 1e-16);
  const logB = logBeta(a, b);
  for (let iter = 0; iter < 200; iter++) {
    const err = f(x);
    if (err === 0) return x;
    if (err < 0) lo = x;
    else hi = x;
    const logDensity = (a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - logB;
    const u = err / Math.exp(logDensity);
    // Halley's correction uses the log-derivative of the density, (a-1)/x − (b-1)/(1-x); far
    // from the root that correction can shrink the step to nothing, so it is used only when small.
    const curvature = u * ((a - 1) / x - (b - 1) / (1 - x));
    const step = Math.abs(curvature) < 1 ? u / (1 - 0.5 * curvature) : u;
    let next = x - step;
    if (!(next > lo && next < hi) || !Number.isFinite(next)) next = (lo + hi) / 2;
    if (Math.abs(next - x) <= 4 * Number.EPSILON * Math.max(x, 1e-300)) return next;
    x = next;
    if (hi - lo <= 2 * Number.EPSILON * x) return x;
  }
  return x;
}

/** P(T > t) for Student's t with `df` degrees of freedom (scipy `t.sf`). */
export function studentTSurvival(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`Student's t needs df > 0, got ${df}`);
  if (Number.isNaN(t)) return NaN;
  if (t === Infinity) return 0;
  if (t === -Infinity) return 1;
  // P(|T| > |t|) = I_{df/(df+t²)}(df/2, 1/2); the tail below uses half of it.
  const x = df / (df + t * t);
  const twoSided = t * t < df ? betaSurvival((t * t) / (df + t * t), 0.5, df / 2) : regularizedBeta(x, df / 2, 0.5);
  return t >= 0 ? twoSided / 2 : 1 - twoSided / 2;
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  return studentTSurvival(-t, df);
}

/** Two-sided p-value 2 P(T > |t|). */
export function twoSidedStudentP(t: number, df: number): number {
  return Math.min(1, 2 * studentTSurvival(Math.abs(t), df));
}

/** Quantile of Student's t with `df` degrees of freedom (scipy `t.ppf`). */
export function studentTQuantile(p: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`Student's t needs df > 0, got ${df}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`studentTQuantile needs 0 <= p <= 1, got ${p}`);
  if (p === 0) return -Infinity;
  if (p === 1) return Infinity;
  if (p === 0.5) return 0;
  const tail = Math.min(p, 1 - p); // P(T < -|t|)
  const twoSided = 2 * tail;
  // |t| solves P(|T| > |t|) = 1 − I_y(1/2, df/2) = 2·tail with y = t²/(df + t²). Solve for y
  // directly while it is small (so t² = df·y/(1−y) keeps its digits), and for x = 1 − y when y
  // is near 1 (heavy tails, small df).
  let t2: number;
  const y = betaQuantile(twoSided, 0.5, df / 2, true);
  if (y <= 0.5) {
    t2 = (df * y) / (1 - y);
  } else {
    const x = betaQuantile(twoSided, df / 2, 0.5);
    t2 = (df * (1 - x)) / x;
  }
  const abs = Math.sqrt(t2);
  return p < 0.5 ? -abs : abs;
}
