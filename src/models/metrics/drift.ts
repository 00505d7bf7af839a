/**
 * Distribution shift between a reference (the training window) and now: the population
 * stability index over reference-quantile bins, and the two-sample Kolmogorov-Smirnov
 * statistic with its asymptotic p-value.
 */
import { ValidationError } from '../../core/errors.js';
import { quantileSorted } from './calibration.js';

/** A feature's or score's distribution on the reference window, compact enough to store with a model. */
export interface DistributionReference {
  /** Rows in the reference (non-missing and missing). */
  n: number;
  /** Share of rows with no value (NaN). */
  missingShare: number;
  /** Interior bin edges: bin b holds edges[b-1] <= x < edges[b] (deduplicated reference quantiles). */
  edges: number[];
  /** Share of the non-missing reference rows in each of the edges.length + 1 bins. */
  shares: number[];
  /** Evenly spaced order statistics of the non-missing reference values (the ECDF for KS). */
  quantiles: number[];
}

/** Summarises reference values: `bins` quantile bins for PSI, `points` quantiles for KS. */
export function distributionReference(values: ArrayLike<number>, bins = 10, points = 201): DistributionReference {
  const present = Float64Array.from(Array.prototype.filter.call(values, (v: number) => !Number.isNaN(v)) as number[]).sort();
  const n = values.length;
  if (n === 0) throw new ValidationError([{ field: 'values', rule: 'non_empty', message: 'no reference rows' }]);
  const edges: number[] = [];
  for (let k = 1; k < bins; k++) {
    const q = quantileSorted(present, k / bins);
    if (Number.isFinite(q) && (edges.length === 0 || q > edges[edges.length - 1]!)) edges.push(q);
  }
  const counts = binCounts(present, edges);
  const shares = counts.map((c) => (present.length === 0 ? 0 : c / present.length));
  const quantiles = present.length === 0 ? [] : Array.from({ length: points }, (_, k) => quantileSorted(present, k / (points - 1)));
  return { n, missingShare: (n - present.length) / n, edges, shares, quantiles };
}

function binOf(edges: readonly number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (x < edges[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

function binCounts(values: ArrayLike<number>, edges: readonly number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (let i = 0; i < values.length; i++) if (!Number.isNaN(values[i]!)) counts[binOf(edges, values[i]!)]!++;
  return counts;
}

/**
 * PSI = Σ (a_b − e_b) ln(a_b / e_b) over the reference bins plus a missing-value bin, with
 * shares floored at `floor` so an empty bin adds a large finite term, not infinity.
 * Rule of thumb: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift.
 */
export function populationStabilityIndex(expected: readonly number[], actual: readonly number[], floor = 1e-4): number {
  if (expected.length !== actual.length) throw new ValidationError([{ field: 'actual', rule: 'length', message: `${actual.length} bins but the reference has ${expected.length}` }]);
  let psi = 0;
  for (let b = 0; b < expected.length; b++) {
    const e = Math.max(expected[b]!, floor);
    const a = Math.max(actual[b]!, floor);
    psi += (a - e) * Math.log(a / e);
  }
  return psi;
}

/** PSI of current values against a stored reference (bins of all rows, missing included). */
export function psiAgainst(ref: DistributionReference, current: ArrayLike<number>): { psi: number; expected: number[]; actual: number[] } {
  const n = current.length;
  if (n === 0) throw new ValidationError([{ field: 'current', rule: 'non_empty', message: 'no current rows' }]);
  const counts = binCounts(current, ref.edges);
  const present = counts.reduce((s, c) => s + c, 0);
  const expected = [...ref.shares.map((s) => s * (1 - ref.missingShare)), ref.missingShare];
  const actual = [...counts.map((c) => c / n), (n - present) / n];
  return { psi: populationStabilityIndex(expected, actual), expected, actual };
}

/** A two-sample KS result. */
export interface KsResult {
  /** sup |F_a − F_b|. */
  statistic: number;
  /** Asymptotic p-value: the Kolmogorov distribution at D·sqrt(n·m/(n+m)) (scipy `kstwobign.sf`). */
  pValue: number;
  n: number;
  m: number;
}

/** Two-sample Kolmogorov-Smirnov test of a against b (NaNs ignored). */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): KsResult {
  const x = Float64Array.from(Array.prototype.filter.call(a, (v: number) => !Number.isNaN(v)) as number[]).sort();
  const y = Float64Array.from(Array.prototype.filter.call(b, (v: number) => !Number.isNaN(v)) as number[]).sort();
  const d = ksStatisticSorted(x, y);
  return { statistic: d, pValue: kolmogorovSurvival(d * Math.sqrt((x.length * y.length) / (x.length + y.length))), n: x.length, m: y.length };
}

/** sup |F_x − F_y| of two sorted samples, stepping over tied values together. */
export function ksStatisticSorted(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) return Number.NaN;
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = Math.min(x[i]!, y[j]!);
    while (i < n && x[i] === v) i++;
    while (j < m && y[j] === v) j++;
    d = Math.max(d, Math.abs(i / n - j / m));
  }
  return d;
}

/**
 * KS of current values against a stored reference's quantiles. The quantile grid stands in
 * for the reference ECDF (error ≤ 1/(points−1)); the p-value uses the reference's full size.
 */
export function ksAgainst(ref: DistributionReference, current: ArrayLike<number>): KsResult {
  const y = Float64Array.from(Array.prototype.filter.call(current, (v: number) => !Number.isNaN(v)) as number[]).sort();
  const nRef = Math.round(ref.n * (1 - ref.missingShare));
  if (ref.quantiles.length === 0 || y.length === 0) return { statistic: Number.NaN, pValue: Number.NaN, n: nRef, m: y.length };
  const d = ksStatisticSorted(ref.quantiles, y);
  return { statistic: d, pValue: kolmogorovSurvival(d * Math.sqrt((nRef * y.length) / (nRef + y.length))), n: nRef, m: y.length };
}

/** P(K > x) for the Kolmogorov distribution: 2 Σ (−1)^(k−1) exp(−2k²x²), or the small-x series. */
export function kolmogorovSurvival(x: number): number {
  if (Number.isNaN(x)) return Number.NaN;
  if (x <= 0) return 1;
  if (x < 1) {
    // For small x the alternating series converges slowly; use the theta-function form of the CDF.
    const w = Math.PI * Math.PI / (8 * x * x);
    let s = 0;
    for (let k = 1; k <= 7; k += 2) s += Math.exp(-k * k * w);
    return 1 - (Math.sqrt(2 * Math.PI) / x) * s;
  }
  let s = 0;
  for (let k = 1; k <= 100; k++) {
    const term = Math.exp(-2 * k * k * x * x);
    s += (k % 2 === 1 ? 1 : -1) * term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * s));
}
