/**
 * k-means clustering (Lloyd's algorithm) with greedy k-means++ seeding, restarts, and the
 * same stopping rule as scikit-learn: stop when no customer changes segment, or when the
 * centres move less than `tol` times the mean feature variance; the labels are then
 * recomputed against the final centres so labels, centres and inertia always agree.
 */
import { ValidationError } from '../../core/errors.js';
import { deriveSeed, mulberry32, type Rng } from '../../core/random.js';
import { nearestCentres, squaredDistance } from './distance.js';
import { boundedAssign, initialBounds, loosenBounds } from './hamerly.js';
import type { FeatureMatrix } from './matrix.js';

/** Options of a k-means fit. */
export interface KMeansOptions {
  k: number;
  /** Seed of the restarts; run r uses deriveSeed(seed, r). */
  seed: number;
  /** Restarts from fresh k-means++ seeds; the lowest inertia wins. */
  nInit?: number;
  maxIter?: number;
  /** Relative tolerance on the centre shift (scikit-learn's `tol`); 0 runs to exact convergence. */
  tol?: number;
}

/** A fitted clustering in the units of the matrix it was fitted on. */
export interface KMeansResult {
  k: number;
  /** k x cols, row-major. */
  centres: Float64Array;
  labels: Int32Array;
  /** Sum of squared distances of rows to their centre. */
  inertia: number;
  sizes: number[];
  iterations: number;
  converged: boolean;
}

/** Assigns every row to its nearest centre; fills labels and squared distances, returns the inertia. */
export function assignToNearest(m: FeatureMatrix, centres: Float64Array, k: number, labels: Int32Array, distances?: Float64Array): number {
  const { data, rows: n, cols: d } = m;
  const out = new Float64Array(2);
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    labels[i] = nearestCentres(data, i, centres, k, d, out);
    if (distances) distances[i] = out[0]!;
    inertia += out[0]!;
  }
  return inertia;
}

/** Row index drawn with probability proportional to weights, from their running sum. */
function drawIndex(cumulative: Float64Array, rng: Rng): number {
  const target = rng.next() * cumulative[cumulative.length - 1]!;
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumulative[mid]! > target) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/**
 * Greedy k-means++ (Arthur & Vassilvitskii 2007, with scikit-learn's 2 + ln k candidates per
 * step): each new centre is the best of several rows drawn with probability proportional to
 * their squared distance from the centres chosen so far.
 */
export function kmeansPlusPlus(m: FeatureMatrix, k: number, rng: Rng): Float64Array {
  const { data, rows: n, cols: d } = m;
  const centres = new Float64Array(k * d);
  const trials = 2 + Math.floor(Math.log(k));
  const first = Math.min(n - 1, Math.floor(rng.next() * n));
  centres.set(data.subarray(first * d, (first + 1) * d), 0);
  const closest = new Float64Array(n);
  for (let i = 0; i < n; i++) closest[i] = squaredDistance(data, i, centres, 0, d);
  const cumulative = new Float64Array(n);
  const candidate = new Float64Array(n);
  const bestClosest = new Float64Array(n);
  for (let c = 1; c < k; c++) {
    let run = 0;
    for (let i = 0; i < n; i++) cumulative[i] = run += closest[i]!;
    let bestPotential = Infinity;
    let bestRow = 0;
    for (let t = 0; t < trials; t++) {
      // All rows coincide with chosen centres: any row will do, they are all at distance 0.
      const row = run > 0 ? drawIndex(cumulative, rng) : Math.floor(rng.next() * n);
      let potential = 0;
      for (let i = 0; i < n; i++) {
        const a = i * d;
        const b = row * d;
        let s = 0;
        for (let u = 0; u < d; u++) {
          const diff = data[a + u]! - data[b + u]!;
          s += diff * diff;
        }
        const v = s < closest[i]! ? s : closest[i]!;
        candidate[i] = v;
        potential += v;
      }
      if (potential < bestPotential) {
        bestPotential = potential;
        bestRow = row;
        bestClosest.set(candidate);
      }
    }
    centres.set(data.subarray(bestRow * d, (bestRow + 1) * d), c * d);
    closest.set(bestClosest);
  }
  return centres;
}

/** Checks k against the data, naming the rule broken. */
export function validateK(m: FeatureMatrix, k: number): void {
  if (!(Number.isInteger(k) && k >= 1)) throw new ValidationError([{ field: 'k', rule: 'positive_integer', message: `is ${k}` }]);
  if (k > m.rows) throw new ValidationError([{ field: 'k', rule: 'at_most_rows', message: `is ${k} but there are only ${m.rows} rows` }]);
  if (m.cols < 1) throw new ValidationError([{ field: 'columns', rule: 'non_empty', message: 'needs at least one feature' }]);
}

/** Mean of the column variances: the scale that makes `tol` relative, as in scikit-learn. */
function meanVariance(m: FeatureMatrix): number {
  const { data, rows: n, cols: d } = m;
  let total = 0;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += data[i * d + j]!;
    mean /= n;
    let ss = 0;
    for (let i = 0; i < n; i++) ss += (data[i * d + j]! - mean) ** 2;
    total += ss / n;
  }
  return total / d;
}

/** Lloyd iterations from given centres (modified in place), with Hamerly's bounds to skip settled rows. */
export function lloyd(m: FeatureMatrix, centres: Float64Array, k: number, maxIter: number, tolAbsolute: number): KMeansResult {
  const { data, rows: n, cols: d } = m;
  const labels = new Int32Array(n);
  const upper = new Float64Array(n);
  const lower = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  const moved = new Float64Array(k);
  let iterations = 0;
  let converged = false;
  let strict = false;
  for (let iter = 0; iter < maxIter; iter++) {
    iterations++;
    if (iter === 0) initialBounds(m, centres, k, labels, upper, lower);
    else if (boundedAssign(m, centres, k, labels, upper, lower) === 0) {
      converged = strict = true;
      break;
    }
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const j = labels[i]!;
      counts[j] = counts[j]! + 1;
      for (let t = 0; t < d; t++) sums[j * d + t] = sums[j * d + t]! + data[i * d + t]!;
    }
    if (counts.some((c) => c === 0)) {
      const distances = new Float64Array(n);
      for (let i = 0; i < n; i++) distances[i] = squaredDistance(data, i, centres, labels[i]!, d);
      // A relocated row is its new centre (distance 0); 0 is a valid lower bound for the rest.
      for (const i of relocateEmpty(m, counts, sums, distances, labels)) upper[i] = lower[i] = 0;
    }
    let shift = 0;
    for (let j = 0; j < k; j++) {
      let move = 0;
      for (let t = 0; t < d; t++) {
        const v = sums[j * d + t]! / counts[j]!;
        move += (v - centres[j * d + t]!) ** 2;
        centres[j * d + t] = v;
      }
      moved[j] = Math.sqrt(move);
      shift += move;
    }
    loosenBounds(labels, upper, lower, moved);
    if (shift <= tolAbsolute) {
      converged = true;
      break;
    }
  }
  // Stopped on the tolerance: one more exact pass so labels and inertia match the final centres.
  let inertia = 0;
  if (strict) for (let i = 0; i < n; i++) inertia += squaredDistance(data, i, centres, labels[i]!, d);
  else inertia = assignToNearest(m, centres, k, labels);
  const sizes = new Array<number>(k).fill(0);
  for (let i = 0; i < n; i++) sizes[labels[i]!]!++;
  return { k, centres, labels, inertia, sizes, iterations, converged };
}

/** An empty segment takes over the row farthest from its centre (scikit-learn's rule), so k segments stay k. */
function relocateEmpty(m: FeatureMatrix, counts: Float64Array, sums: Float64Array, distances: Float64Array, labels: Int32Array): number[] {
  const d = m.cols;
  const taken = new Set<number>();
  for (let j = 0; j < counts.length; j++) {
    if (counts[j]! > 0) continue;
    let far = -1;
    for (let i = 0; i < m.rows; i++) if (!taken.has(i) && counts[labels[i]!]! > 1 && (far < 0 || distances[i]! > distances[far]!)) far = i;
    if (far < 0) continue;
    taken.add(far);
    const from = labels[far]!;
    counts[from] = counts[from]! - 1;
    counts[j] = 1;
    for (let t = 0; t < d; t++) {
      const v = m.data[far * d + t]!;
      sums[from * d + t] = sums[from * d + t]! - v;
      sums[j * d + t] = v;
    }
    labels[far] = j;
    distances[far] = 0;
  }
  return [...taken];
}

/** Fits k-means: `nInit` k-means++ starts, Lloyd iterations each, the lowest inertia kept. */
export function fitKMeans(m: FeatureMatrix, options: KMeansOptions): KMeansResult {
  const { k, seed } = options;
  validateK(m, k);
  const nInit = options.nInit ?? 10;
  const maxIter = options.maxIter ?? 300;
  const tolAbsolute = (options.tol ?? 1e-4) * meanVariance(m);
  let best: KMeansResult | undefined;
  for (let run = 0; run < nInit; run++) {
    const rng = mulberry32(deriveSeed(seed, run));
    const result = lloyd(m, kmeansPlusPlus(m, k, rng), k, maxIter, tolAbsolute);
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}
