/**
 * Kaplan-Meier survival curve with Greenwood standard errors and log-scale confidence
 * limits, median survival and its confidence interval, and the restricted mean, as R's
 * `survfit(Surv(time, event) ~ 1)` and `print(survfit)` report them.
 */
import { ValidationError } from '../../core/errors.js';
import { normalQuantile } from '../stats/normal.js';
import { validateSurvivalData } from './coxData.js';

export interface KaplanMeierOptions {
  /** Confidence level of the pointwise limits and of the median's interval (default 0.95). */
  confLevel?: number;
  /** Upper limit of the restricted mean (default: the last observed time; R's "common" limit for groups is the overall last time). */
  restrictedMeanUpTo?: number;
}

/** One row per distinct observed time (events and censorings), as survfit stores them. */
export interface KaplanMeierCurve {
  time: number[];
  nRisk: number[];
  nEvent: number[];
  nCensor: number[];
  survival: number[];
  /** Greenwood SE of the cumulative hazard -log S(t) (R's `std.err`). */
  stdErrCumHazard: number[];
  /** SE of S(t) itself: S(t) × stdErrCumHazard. */
  stdErrSurvival: number[];
  lower: number[];
  upper: number[];
  n: number;
  events: number;
  confLevel: number;
  /** Median survival time and its interval; null when the curve (or limit) never reaches 0.5. */
  median: number | null;
  medianLower: number | null;
  medianUpper: number | null;
  /** Restricted mean survival time up to the last observed time, and its SE. */
  restrictedMean: number;
  restrictedMeanSe: number;
}

/**
 * The first time a step curve is at or below one half, as R's survfit quantile: when the
 * curve equals 0.5 exactly over an interval, the midpoint of that interval's ends.
 */
function halfwayTime(time: number[], curve: number[]): number | null {
  const tol = Math.sqrt(Number.EPSILON);
  for (let i = 0; i < curve.length; i++) {
    if (Math.abs(curve[i]! - 0.5) < tol) {
      // Flat at 0.5: average with the time the curve next drops.
      for (let j = i + 1; j < curve.length; j++) if (curve[j]! < curve[i]! - tol) return (time[i]! + time[j]!) / 2;
      return time[i]!;
    }
    if (curve[i]! < 0.5) return time[i]!;
  }
  return null;
}

/** Fits the Kaplan-Meier estimator. */
export function kaplanMeier(time: ArrayLike<number>, event: ArrayLike<number>, options: KaplanMeierOptions = {}): KaplanMeierCurve {
  validateSurvivalData({ time, event, x: [], p: 0 });
  const confLevel = options.confLevel ?? 0.95;
  const z = normalQuantile(1 - (1 - confLevel) / 2);
  const n = time.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => time[a]! - time[b]!);
  const out: KaplanMeierCurve = {
    time: [], nRisk: [], nEvent: [], nCensor: [], survival: [], stdErrCumHazard: [], stdErrSurvival: [],
    lower: [], upper: [], n, events: 0, confLevel, median: null, medianLower: null, medianUpper: null,
    restrictedMean: 0, restrictedMeanSe: 0,
  };
  let atRisk = n;
  let s = 1;
  let greenwood = 0;
  for (let k = 0; k < n; ) {
    const t = time[order[k]!]!;
    let d = 0;
    let c = 0;
    for (; k < n && time[order[k]!] === t; k++) {
      if (event[order[k]!] === 1) d++;
      else c++;
    }
    if (d > 0) {
      s *= 1 - d / atRisk;
      greenwood += atRisk > d ? d / (atRisk * (atRisk - d)) : Infinity;
    }
    const se = Math.sqrt(greenwood);
    out.time.push(t);
    out.nRisk.push(atRisk);
    out.nEvent.push(d);
    out.nCensor.push(c);
    out.survival.push(s);
    out.stdErrCumHazard.push(se);
    out.stdErrSurvival.push(s * se);
    // Log-scale limits; undefined (NaN) where S = 0, as R gives NA.
    out.lower.push(s > 0 && Number.isFinite(se) ? s * Math.exp(-z * se) : NaN);
    out.upper.push(s > 0 && Number.isFinite(se) ? Math.min(1, s * Math.exp(z * se)) : NaN);
    out.events += d;
    atRisk -= d + c;
  }
  out.median = halfwayTime(out.time, out.survival);
  // The lower limit curve crosses one half first, so it gives the lower end of the interval.
  out.medianLower = halfwayTime(out.time, out.lower.map((l) => (Number.isNaN(l) ? 0 : l)));
  out.medianUpper = halfwayTime(out.time, out.upper.map((u) => (Number.isNaN(u) ? 0 : u)));
  restrictedMean(out, options.restrictedMeanUpTo);
  return out;
}

/**
 * Area under the curve up to `upTo` (default the last observed time) and its SE, as R's rmean and
 * se(rmean): variance = sum over event times of (area beyond t)² d / (n (n - d)).
 */
function restrictedMean(c: KaplanMeierCurve, upTo?: number): void {
  const m = c.time.length;
  if (m === 0) return;
  const end = upTo ?? c.time[m - 1]!;
  if (end < c.time[m - 1]!) {
    throw new ValidationError([{ field: 'restrictedMeanUpTo', rule: 'at_least_last_time', message: `must be at least the last time ${c.time[m - 1]}, got ${end}` }]);
  }
  // Piece k runs from time[k] to the next time (or end) at height survival[k]; before the first time, height 1.
  const pieces: number[] = [];
  for (let k = 0; k < m; k++) pieces.push(c.survival[k]! * ((k + 1 < m ? c.time[k + 1]! : end) - c.time[k]!));
  let total = Math.min(c.time[0]!, end);
  for (const a of pieces) total += a;
  c.restrictedMean = total;
  let variance = 0;
  let beyond = 0;
  for (let k = m - 1; k >= 0; k--) {
    beyond += pieces[k]!;
    const d = c.nEvent[k]!;
    const r = c.nRisk[k]!;
    if (d > 0 && r > d) variance += (beyond * beyond * d) / (r * (r - d));
  }
  c.restrictedMeanSe = Math.sqrt(variance);
}
