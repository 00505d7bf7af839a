/**
 * Take-up of a retention offer, by whether the customer is leaving. Few customers are
 * leaving at any time, and they take a retention offer up far more often than the rest, so
 * a log of offers holds only a handful of take-ups from leavers and a per-family GBDT learns
 * little about them. With the churn score r as the chance that the customer is leaving,
 * take-up is a two-part mixture, (1 − r) × stayers' rate + r × leavers' rate: two numbers,
 * which the offers do pin down when their churn scores vary. The same mixture says what a
 * take-up is worth: by Bayes' rule the chance a taker was leaving is r × leavers' rate /
 * take-up. Pure maths over plain arrays: the twin (src/simulation/retentionTakeUp.ts) and
 * the production family (src/training/families/retention.ts) both fit and serve it here.
 */

/** Take-up rates of a retention offer among customers staying and leaving, fitted on offers with their churn scores. */
export interface LeaverTakeUp {
  stayers: number;
  leavers: number;
  /** Offers and take-ups fitted on. */
  offers: number;
  takeUps: number;
}

/** A fit and how EM got there. */
export interface LeaverTakeUpRun {
  fit: LeaverTakeUp;
  /** EM steps taken. */
  iterations: number;
  /** True when both rates moved less than 1e-10 in the last step (false: stopped at the iteration limit). */
  converged: boolean;
}

const clamp01 = (x: number) => Math.min(1, Math.max(0, x));

/**
 * Maximum likelihood of P(take-up) = (1 − r) t0 + r t1 over offers with churn scores `r` and
 * outcomes `y` (1 taken up), by EM (the likelihood is concave in t0, t1), with one take-up and
 * one decline of prior weight in each group so a group with no take-ups is not fitted at 0.
 * Undefined when there are fewer than 50 offers or none was taken up.
 */
export function fitLeaverTakeUpRun(r: ArrayLike<number>, y: ArrayLike<number>, iterations = 200): LeaverTakeUpRun | undefined {
  const n = r.length;
  if (y.length !== n) throw new RangeError(`fitLeaverTakeUp: ${n} churn scores but ${y.length} outcomes`);
  let takeUps = 0;
  for (let i = 0; i < n; i++) takeUps += y[i]!;
  if (n < 50 || takeUps === 0) return undefined;
  let t0 = takeUps / n;
  let t1 = Math.min(0.5, 2 * t0);
  let steps = 0;
  let converged = false;
  for (let it = 0; it < iterations; it++) {
    // E: the chance each offer went to a leaver, given its outcome; M: each group's rate.
    let wl = 1;
    let yl = 0.5;
    let ws = 1;
    let ys = 0.5;
    for (let i = 0; i < n; i++) {
      const ri = clamp01(r[i]!);
      const leaving = y[i] ? ri * t1 : ri * (1 - t1);
      const staying = y[i] ? (1 - ri) * t0 : (1 - ri) * (1 - t0);
      const w = leaving + staying > 0 ? leaving / (leaving + staying) : ri;
      wl += w;
      ws += 1 - w;
      yl += w * y[i]!;
      ys += (1 - w) * y[i]!;
    }
    const next0 = ys / ws;
    const next1 = yl / wl;
    const done = Math.abs(next0 - t0) < 1e-10 && Math.abs(next1 - t1) < 1e-10;
    t0 = next0;
    t1 = next1;
    steps = it + 1;
    if (done) {
      converged = true;
      break;
    }
  }
  return { fit: { stayers: t0, leavers: t1, offers: n, takeUps }, iterations: steps, converged };
}

/** The fitted rates alone (fitLeaverTakeUpRun). */
export function fitLeaverTakeUp(r: ArrayLike<number>, y: ArrayLike<number>, iterations = 200): LeaverTakeUp | undefined {
  return fitLeaverTakeUpRun(r, y, iterations)?.fit;
}

/** The chance of a take-up at churn score r. */
export function takeUpAt(fit: Pick<LeaverTakeUp, 'stayers' | 'leavers'>, r: number): number {
  const x = clamp01(r);
  return (1 - x) * fit.stayers + x * fit.leavers;
}

/** The chance that a customer with churn score r who takes the offer up was leaving (Bayes' rule). */
export function leavingGivenTakeUp(fit: Pick<LeaverTakeUp, 'stayers' | 'leavers'>, r: number): number {
  const x = clamp01(r);
  const p = takeUpAt(fit, x);
  return p > 0 ? (x * fit.leavers) / p : x;
}

/** How precisely the offers pin the two rates down. */
export interface LeaverTakeUpPrecision {
  /** Standard errors of the stayers' and leavers' rates (Infinity: the offers cannot tell the two apart). */
  seStayers: number;
  seLeavers: number;
  /** Correlation of the two estimates (near ±1: only a combination of them is identified). */
  correlation: number;
}

/**
 * Standard errors from the observed information of the log-likelihood at the fit (the
 * prior's pseudo-counts left out). Take-up is linear in the two rates, with gradient
 * (1 − r, r), so the information is Σ [y/p² + (1 − y)/(1 − p)²] (1 − r, r)ᵀ(1 − r, r): singular
 * when every offer has the same churn score, which is when the two groups cannot be told
 * apart (identifiability).
 */
export function leaverTakeUpPrecision(fit: Pick<LeaverTakeUp, 'stayers' | 'leavers'>, r: ArrayLike<number>, y: ArrayLike<number>): LeaverTakeUpPrecision {
  if (y.length !== r.length) throw new RangeError(`leaverTakeUpPrecision: ${r.length} churn scores but ${y.length} outcomes`);
  let j00 = 0;
  let j01 = 0;
  let j11 = 0;
  for (let i = 0; i < r.length; i++) {
    const x = clamp01(r[i]!);
    const p = takeUpAt(fit, x);
    const curvature = y[i] ? 1 / (p * p) : 1 / ((1 - p) * (1 - p));
    j00 += curvature * (1 - x) * (1 - x);
    j01 += curvature * (1 - x) * x;
    j11 += curvature * x * x;
  }
  const det = j00 * j11 - j01 * j01;
  // Relative to the diagonal, so a rounding-level determinant counts as singular.
  if (!(det > 1e-12 * j00 * j11) || !Number.isFinite(det)) return { seStayers: Number.POSITIVE_INFINITY, seLeavers: Number.POSITIVE_INFINITY, correlation: Number.NaN };
  return { seStayers: Math.sqrt(j11 / det), seLeavers: Math.sqrt(j00 / det), correlation: -j01 / Math.sqrt(j00 * j11) };
}
