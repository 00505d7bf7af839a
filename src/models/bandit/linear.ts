/**
 * Linear Thompson sampling (Agrawal and Goyal, 2013): per action, Bayesian ridge
 * regression of the reward on a context vector, θ ~ N(A⁻¹ b, v² A⁻¹) with
 * A = λI + Σ x xᵀ and b = Σ r x. Each choice draws θ per action and scores xᵀθ. Here the
 * reward is the residual of an acceptance against its warm-start estimate, so a new
 * action starts at the propensity model's (or the catalogue's) value and learns how
 * customers differ from it. Observations can be removed exactly (erasure).
 */
import { normal, type Rng } from '../../core/random.js';
import { cholesky, choleskyInverse, choleskySolve, type SquareMatrix } from '../linalg/dense.js';

/** The sufficient statistics of one action's regression. */
export interface LinearArm {
  /** Precision A = λI + Σ x xᵀ, row-major d x d. */
  precision: SquareMatrix;
  /** b = Σ r x. */
  moment: Float64Array;
  /** Observations in. */
  n: number;
}

/** An arm with no observations: A = λI. */
export function linearArm(dims: number, ridge: number): LinearArm {
  if (!(ridge > 0)) throw new RangeError(`ridge must be > 0, got ${ridge}`);
  const data = new Float64Array(dims * dims);
  for (let i = 0; i < dims; i++) data[i * dims + i] = ridge;
  return { precision: { n: dims, data }, moment: new Float64Array(dims), n: 0 };
}

/** Adds (sign 1) or removes (sign -1) one observation of reward `r` at context `x`. */
export function observe(arm: LinearArm, x: ArrayLike<number>, r: number, sign: 1 | -1 = 1): void {
  const d = arm.precision.n;
  const a = arm.precision.data;
  for (let i = 0; i < d; i++) {
    const xi = x[i]!;
    arm.moment[i]! += sign * r * xi;
    for (let j = 0; j < d; j++) a[i * d + j]! += sign * xi * x[j]!;
  }
  arm.n += sign;
}

/** Moves the reward of an observation already in by `delta` (a response that arrived later). */
export function adjustReward(arm: LinearArm, x: ArrayLike<number>, delta: number): void {
  for (let i = 0; i < arm.moment.length; i++) arm.moment[i]! += delta * x[i]!;
}

/** The posterior mean A⁻¹ b. */
export function linearMean(arm: LinearArm): Float64Array {
  return choleskySolve(cholesky(arm.precision), arm.moment);
}

/** A posterior draw of θ: mean + v L z with L Lᵀ = A⁻¹. */
export function sampleTheta(arm: LinearArm, noise: number, rng: Rng): Float64Array {
  const d = arm.precision.n;
  const mean = linearMean(arm);
  const l = cholesky(choleskyInverse(arm.precision));
  const z = new Float64Array(d);
  for (let i = 0; i < d; i++) z[i] = normal(rng);
  for (let i = 0; i < d; i++) {
    let s = 0;
    for (let k = 0; k <= i; k++) s += l.data[i * d + k]! * z[k]!;
    mean[i]! += noise * s;
  }
  return mean;
}

/** xᵀθ. */
export function dot(x: ArrayLike<number>, theta: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * theta[i]!;
  return s;
}

/** The posterior mean and standard deviation of xᵀθ (for the greedy choice and reports). */
export function predictive(arm: LinearArm, x: ArrayLike<number>, noise: number): { mean: number; sd: number } {
  const l = cholesky(arm.precision);
  const mean = dot(x, choleskySolve(l, arm.moment));
  const ax = choleskySolve(l, x);
  return { mean, sd: noise * Math.sqrt(Math.max(0, dot(x, ax))) };
}

/**
 * A context vector from named features: an intercept, then sign(v)·log1p(|v|) of each
 * (money spans five orders of magnitude; the log keeps one customer from dominating the
 * fit); a missing value is 0.
 */
export function contextVector(values: Readonly<Record<string, number | null | undefined>>, names: readonly string[]): Float64Array {
  const x = new Float64Array(names.length + 1);
  x[0] = 1;
  names.forEach((n, i) => {
    const v = values[n];
    x[i + 1] = v === null || v === undefined || !Number.isFinite(v) ? 0 : Math.sign(v) * Math.log1p(Math.abs(v));
  });
  return x;
}
