/**
 * Survival data as the Cox fitter wants it: rows sorted once by stratum and then by time
 * (latest first), covariates centred, so every Newton-Raphson iteration is a single
 * backward pass with running risk-set sums.
 */
import { ValidationError, type FieldIssue } from '../../core/errors.js';

/** Right-censored survival data with a row-major design matrix (n rows x p covariates). */
export interface SurvivalData {
  /** Follow-up time of each row (days, months...). */
  time: ArrayLike<number>;
  /** 1 when the row ended in the event (churn, prepayment, death), 0 when censored. */
  event: ArrayLike<number>;
  /** Covariates, row-major: row i, covariate j is `x[i * p + j]`. */
  x: ArrayLike<number>;
  /** Number of covariates. */
  p: number;
  /** Optional stratum of each row (integer codes): separate risk sets, shared coefficients. */
  strata?: ArrayLike<number>;
}

/** Sorted, centred copy of the data; `order[k]` is the original row of sorted row k. */
export interface SortedSurvival {
  n: number;
  p: number;
  order: Int32Array;
  time: Float64Array;
  event: Uint8Array;
  stratum: Int32Array;
  /** Centred covariates, row-major in sorted order. */
  x: Float64Array;
  /** The column means that were subtracted. */
  centre: Float64Array;
}

/** Checks the shapes and values of survival data; throws a ValidationError naming the field. */
export function validateSurvivalData(d: SurvivalData): void {
  const issues: FieldIssue[] = [];
  const n = d.time.length;
  if (n === 0) issues.push({ field: 'time', rule: 'nonempty', message: 'no rows' });
  if (d.event.length !== n) issues.push({ field: 'event', rule: 'length', message: `has ${d.event.length} rows, time has ${n}` });
  if (!Number.isInteger(d.p) || d.p < 0) issues.push({ field: 'p', rule: 'integer', message: `must be a non-negative integer, got ${d.p}` });
  if (d.x.length !== n * d.p) issues.push({ field: 'x', rule: 'length', message: `has ${d.x.length} values, expected n*p = ${n * d.p}` });
  if (d.strata && d.strata.length !== n) issues.push({ field: 'strata', rule: 'length', message: `has ${d.strata.length} rows, time has ${n}` });
  for (let i = 0; i < n && issues.length < 5; i++) {
    if (!Number.isFinite(d.time[i]!) || d.time[i]! < 0) issues.push({ field: `time[${i}]`, rule: 'nonnegative', message: `must be a finite number >= 0, got ${d.time[i]}` });
    if (d.event[i] !== 0 && d.event[i] !== 1) issues.push({ field: `event[${i}]`, rule: 'binary', message: `must be 0 or 1, got ${d.event[i]}` });
  }
  for (let k = 0; k < d.x.length && issues.length < 5; k++) {
    if (!Number.isFinite(d.x[k]!)) issues.push({ field: `x[${Math.floor(k / d.p)}][${k % d.p}]`, rule: 'finite', message: `must be finite, got ${d.x[k]}` });
  }
  if (issues.length > 0) throw new ValidationError(issues);
}

/** Sorts by (stratum, time descending, censored before events at a tied time) and centres x. */
export function sortSurvival(d: SurvivalData): SortedSurvival {
  validateSurvivalData(d);
  const n = d.time.length;
  const p = d.p;
  const strata = d.strata;
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => {
    if (strata) {
      const s = strata[a]! - strata[b]!;
      if (s !== 0) return s;
    }
    const t = d.time[b]! - d.time[a]!;
    if (t !== 0) return t;
    return d.event[a]! - d.event[b]! || a - b;
  });
  const centre = new Float64Array(p);
  for (let i = 0; i < n; i++) for (let j = 0; j < p; j++) centre[j]! += d.x[i * p + j]!;
  for (let j = 0; j < p; j++) centre[j]! /= n;
  const time = new Float64Array(n);
  const event = new Uint8Array(n);
  const stratum = new Int32Array(n);
  const x = new Float64Array(n * p);
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    time[k] = d.time[i]!;
    event[k] = d.event[i]!;
    stratum[k] = strata ? strata[i]! : 0;
    for (let j = 0; j < p; j++) x[k * p + j] = d.x[i * p + j]! - centre[j]!;
  }
  return { n, p, order, time, event, stratum, x, centre };
}
